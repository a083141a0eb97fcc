"""Walk the recorded graph into plain data: tensor nodes, op nodes and the edges between them.

Nothing here knows about Graphviz. :func:`build_graph` turns the ``grad_fn`` records behind
some output tensors into a :class:`Graph`; :func:`collapse` folds every module deeper than a
given depth into one box. ``render.py`` draws the result.

What becomes a node:

* every recorded op (a ``Node``): an :class:`OpNode`;
* every output of every op: a :class:`TensorNode` (kind ``intermediate`` or ``output``);
* every leaf that requires grad: one :class:`TensorNode` per Tensor object (``parameter``
  when it is in ``params``, else ``leaf``);
* every tensor input that does not require grad: an ``input`` :class:`TensorNode`, one per
  use (the graph keeps only its shape and name, not the object), merged by name when it has
  one;
* every Python-number argument (the ``1`` in ``1 - y``, the ``2`` in ``x ** 2``): a
  :class:`ConstantNode`, one per use. Its value is known when the op saved it for backward
  (``mul``, ``div``, ``pow``) or when it was recorded inside :func:`~minigrad.viz.retain_grads`;
  otherwise the node says "a number".

Edges run forward: input tensor -> op -> output tensor. The backward picture reverses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from minigrad.autograd.function import Node
from minigrad.tensor import Tensor

INPUT, PARAMETER, LEAF, INTERMEDIATE, OUTPUT = "input", "parameter", "leaf", "intermediate", "output"


@dataclass
class TensorNode:
    """A tensor in the picture. ``tensor`` is the object itself when it is still reachable (a
    leaf, an output, or an intermediate kept by ``retain_grad``): then values and gradients
    can be shown."""

    id: str
    kind: str
    name: str | None
    shape: tuple[int, ...]
    dtype: str
    device: str | None = None
    tensor: Any = None
    requires_grad: bool = True
    scope: str | None = None


@dataclass
class OpNode:
    """One recorded op: the primitive's name, its attributes and its input/output shapes.

    ``constants`` lists the positions of Python-number arguments. ``module`` is set when the op
    stands for a whole leaf-module call (see :func:`fold_composites`): its class name.
    """

    id: str
    op: str
    attrs: dict
    input_shapes: tuple
    output_shapes: tuple
    needs_input_grad: tuple = ()
    device: str | None = None
    scope: str | None = None
    constants: tuple[int, ...] = ()
    module: str | None = None
    primitive_count: int = 1


#: The value of a Python-number argument that the record does not keep.
UNKNOWN = object()


@dataclass
class ConstantNode:
    """A Python number an op used (``1`` in ``1 - y``); ``value`` may be :data:`UNKNOWN`."""

    id: str
    value: Any
    scope: str | None = None


@dataclass
class ModuleNode:
    """A module (one call of it) collapsed into a single box by :func:`collapse`."""

    id: str
    label: str
    output_shapes: tuple
    op_count: int
    parameter_count: int
    scope: str | None = None


@dataclass
class Edge:
    """``source -> target`` in forward direction; ``carries_grad`` when backward sends a
    gradient back along it (edges from inputs that do not require grad do not)."""

    source: str
    target: str
    carries_grad: bool = True
    position: int | None = None  # which positional input of the target op this edge feeds


@dataclass
class Scope:
    """One call of an ``nn.Module``: a labelled cluster in the picture.

    ``path`` is the module's name in ``model.named_modules()`` (``""`` for the model itself),
    so its depth is the number of dotted parts. ``parent`` is the enclosing scope's id.
    """

    id: str
    path: str
    label: str
    parent: str | None = None
    module_type: str | None = None

    @property
    def depth(self) -> int:
        return 0 if self.path == "" else self.path.count(".") + 1


@dataclass
class Graph:
    """Nodes in drawing order (inputs first), edges, and the module scopes they belong to."""

    nodes: dict[str, TensorNode | OpNode | ModuleNode | ConstantNode] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    scopes: dict[str, Scope] = field(default_factory=dict)

    @property
    def is_scalar(self) -> bool:
        """True when every tensor holds one number: drawn micrograd-style."""
        tensors = [n for n in self.nodes.values() if isinstance(n, TensorNode)]
        return bool(tensors) and all(_numel(t.shape) == 1 for t in tensors) and not any(
            isinstance(n, ModuleNode) for n in self.nodes.values()
        )

    def children(self, scope_id: str) -> list[str]:
        """The ids of the scopes directly inside ``scope_id``."""
        return [s.id for s in self.scopes.values() if s.parent == scope_id]


@dataclass
class ScopeMap:
    """Which module call produced which op: ``scopes`` by id, ``op_scope[id(node)] = scope id``.

    ``draw_model`` fills it from forward hooks; tests can write one by hand.
    """

    scopes: dict[str, Scope] = field(default_factory=dict)
    op_scope: dict[int, str] = field(default_factory=dict)


def _numel(shape: tuple[int, ...]) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


def _device_name(backend: Any) -> str | None:
    return None if backend is None or backend.type == "cpu" else backend.name


def build_graph(
    outputs: Tensor | Iterable[Tensor],
    params: dict[str, Tensor] | None = None,
    scopes: ScopeMap | None = None,
) -> Graph:
    """The graph that produced ``outputs`` (a tensor or a list of tensors), as plain data.

    ``params`` (name -> tensor, e.g. ``dict(model.named_parameters())``) names the leaves.
    Walks with an explicit stack, so a chain of 100,000 ops is fine.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    for t in outputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph expects tensors, got {type(t).__name__}")
    param_names = {id(t): name for name, t in (params or {}).items()}
    walker = _Walker(param_names, scopes or ScopeMap())
    return walker.run(outputs)


class _Walker:
    def __init__(self, param_names: dict[int, str], scopes: ScopeMap) -> None:
        self.param_names = param_names
        self.scope_map = scopes
        self.ids: dict[Any, str] = {}
        self.nodes: dict[str, Any] = {}
        self.in_edges: dict[str, list[Edge]] = {}  # op id -> edges from its inputs, in order
        self.out_edges: dict[str, list[Edge]] = {}  # op id -> edges to its results
        self.producer: dict[str, str] = {}  # result tensor id -> op id
        self.consumers: dict[str, list[str]] = {}  # leaf node id -> op node ids using it

    def _new_id(self, key: Any) -> tuple[str, bool]:
        existing = self.ids.get(key)
        if existing is not None:
            return existing, False
        node_id = self.ids[key] = f"n{len(self.ids)}"
        return node_id, True

    def run(self, outputs: list[Tensor]) -> Graph:
        output_ids = set()
        stack: list[Node] = []
        for t in outputs:
            if t.grad_fn is None:
                output_ids.add(self._leaf(t))
                continue
            node_id, new = self._new_id(("op", id(t.grad_fn)))
            if new:
                stack.append(t.grad_fn)
            output_ids.add(self._output_tensor(t.grad_fn, t._output_index, node_id))
        while stack:
            node = stack.pop()
            self._op(node, stack)
        for node_id in output_ids:
            self.nodes[node_id].kind = OUTPUT
        for t in outputs:  # the output objects themselves: their values can be shown
            tensor_node = self.nodes[self.ids[self._key(t)]]
            tensor_node.tensor = t
            tensor_node.name = tensor_node.name or t.name
        self._place_leaves()
        order = self._inputs_first([self.ids[self._key(t)] for t in outputs])
        edges = [
            e for node_id in order
            for e in (*self.in_edges.get(node_id, ()), *self.out_edges.get(node_id, ()))
        ]
        # Renumber in drawing order, so the DOT text reads n0, n1... from the inputs down.
        renamed = {old: f"n{index}" for index, old in enumerate(order)}
        nodes = {}
        for old in order:
            node = self.nodes[old]
            node.id = renamed[old]
            nodes[node.id] = node
        edges = [Edge(renamed[e.source], renamed[e.target], e.carries_grad, e.position) for e in edges]
        return Graph(nodes=nodes, edges=edges, scopes=dict(self.scope_map.scopes))

    @staticmethod
    def _key(t: Tensor) -> tuple:
        return ("leaf", id(t)) if t.grad_fn is None else ("out", id(t.grad_fn), t._output_index)

    def _inputs_first(self, output_ids: list[str]) -> list[str]:
        """Nodes in a dependency order, each op's inputs in argument order (a post-order walk
        with an explicit stack): the DOT text reads top-down and the layout keeps ``a`` left of
        ``b`` in ``a * b``."""
        order: list[str] = []
        done: set[str] = set()
        stack: list[tuple[str, bool]] = [(node_id, False) for node_id in reversed(output_ids)]
        while stack:
            node_id, expanded = stack.pop()
            if expanded:
                order.append(node_id)
                for edge in self.out_edges.get(node_id, ()):  # an op brings its results along
                    if edge.target not in done:
                        done.add(edge.target)
                        order.append(edge.target)
                continue
            if node_id in done:
                continue
            producer = self.producer.get(node_id)
            if producer is not None:  # a result is placed by the op that computes it
                if producer not in done:
                    stack.append((producer, False))
                continue
            done.add(node_id)
            stack.append((node_id, True))
            for edge in reversed(self.in_edges.get(node_id, [])):
                if edge.source not in done:
                    stack.append((edge.source, False))
        return order

    def _op(self, node: Node, stack: list[Node]) -> None:
        op_id = self.ids[("op", id(node))]
        scope = self.scope_map.op_scope.get(id(node))
        device = _device_name(node.backend)
        constants = constant_arguments(node)
        self.nodes[op_id] = OpNode(
            id=op_id, op=node.name, attrs=dict(node.attrs),
            input_shapes=tuple(None if m is None else tuple(m[0]) for m in node.inputs),
            output_shapes=tuple(tuple(info.shape) for info in node.outputs),
            needs_input_grad=tuple(bool(n) for n in node.needs_input_grad), device=device, scope=scope,
            constants=tuple(constants),
        )
        for index in range(len(node.outputs)):
            self._output_tensor(node, index, op_id)
        in_edges = self.in_edges[op_id] = []
        for index, (edge, meta) in enumerate(zip(node.next_functions, node.inputs)):
            if edge is not None:
                source, source_index = edge
                if isinstance(source, Node):
                    source_op, new = self._new_id(("op", id(source)))
                    if new:
                        stack.append(source)
                    tensor_id = self._output_tensor(source, source_index, source_op)
                else:
                    tensor_id = self._leaf(source)
                    self.consumers.setdefault(tensor_id, []).append(op_id)
                needed = bool(node.needs_input_grad[index])
                in_edges.append(Edge(tensor_id, op_id, carries_grad=needed, position=index))
            elif meta is not None:
                tensor_id = self._input(node, index, meta, device)
                in_edges.append(Edge(tensor_id, op_id, carries_grad=False, position=index))
            elif index in constants:
                constant_id, _ = self._new_id(("constant", id(node), index))
                self.nodes[constant_id] = ConstantNode(constant_id, constants[index], scope)
                in_edges.append(Edge(constant_id, op_id, carries_grad=False, position=index))

    def _output_tensor(self, node: Node, index: int, op_id: str) -> str:
        tensor_id, new = self._new_id(("out", id(node), index))
        if new:
            shape, dtype, _ = node.outputs[index]
            out_backend = node.function.output_backend(node.backend, node.attrs)
            kept = node.retained_outputs.get(index)
            self.nodes[tensor_id] = TensorNode(
                id=tensor_id, kind=INTERMEDIATE, name=None if kept is None else kept.name,
                shape=tuple(shape), dtype=str(dtype), device=_device_name(out_backend),
                tensor=kept, scope=self.scope_map.op_scope.get(id(node)),
            )
            self.out_edges.setdefault(op_id, []).append(Edge(op_id, tensor_id))
            self.producer[tensor_id] = op_id
        return tensor_id

    def _leaf(self, tensor: Tensor) -> str:
        tensor_id, new = self._new_id(("leaf", id(tensor)))
        if new:
            name = self.param_names.get(id(tensor))
            kind = PARAMETER if name is not None else LEAF
            self.nodes[tensor_id] = TensorNode(
                id=tensor_id, kind=kind, name=name if name is not None else tensor.name,
                shape=tuple(tensor.shape), dtype=tensor.dtype.name,
                device=_device_name(tensor.backend), tensor=tensor,
                requires_grad=tensor.requires_grad,
            )
        return tensor_id

    def _input(self, node: Node, index: int, meta: tuple, device: str | None) -> str:
        shape, dtype, name = meta
        key = ("input", name) if name is not None else ("input", id(node), index)
        tensor_id, new = self._new_id(key)
        if new:
            self.nodes[tensor_id] = TensorNode(
                id=tensor_id, kind=INPUT, name=name, shape=tuple(shape), dtype=str(dtype),
                device=device, requires_grad=False,
            )
        return tensor_id

    def _place_leaves(self) -> None:
        """A parameter sits in the innermost module call that all its users share."""
        scopes = self.scope_map.scopes
        for tensor_id, users in self.consumers.items():
            tensor_node = self.nodes[tensor_id]
            if tensor_node.kind != PARAMETER or not scopes:
                continue
            chains = [_chain(scopes, self.nodes[u].scope) for u in users]
            common = chains[0]
            for chain in chains[1:]:
                common = [s for s, other in zip(common, chain) if s == other]
            tensor_node.scope = common[-1] if common else None


#: Ops whose missing (non-tensor) positional arguments can only be Python numbers.
NUMBER_OPERANDS = {"add": (0, 1), "sub": (0, 1), "mul": (0, 1), "div": (0, 1), "pow": (0, 1), "where": (1, 2)}


def constant_arguments(node: Node) -> dict[int, Any]:
    """Position -> value of the Python-number arguments of ``node`` (:data:`UNKNOWN` when the
    record did not keep the value)."""
    recorded = getattr(node, "constants", None) or {}
    found = {index: value for index, value in recorded.items()}
    for index in NUMBER_OPERANDS.get(node.name, ()):
        if index < len(node.inputs) and node.inputs[index] is None and index not in found:
            found[index] = UNKNOWN
    if any(value is UNKNOWN for value in found.values()):
        for saved in getattr(node, "_saved", ()):  # mul, div, pow save their operands
            if saved is not None and saved.kind == "constant" and found.get(saved.index, None) is UNKNOWN:
                if isinstance(saved.value, (int, float)):
                    found[saved.index] = saved.value
    return found


def _chain(scopes: dict[str, Scope], scope_id: str | None) -> list[str]:
    """The scope ids from the outermost down to ``scope_id``."""
    chain = []
    while scope_id is not None:
        chain.append(scope_id)
        scope_id = scopes[scope_id].parent
    return chain[::-1]


def collapse(graph: Graph, depth: int) -> Graph:
    """Fold every module call at ``depth`` (and everything inside it) into one box.

    ``depth=0`` folds the whole model, ``depth=1`` each of its direct children, and so on.
    Nodes outside any module (the input, a loss computed after the model) stay as they are.
    Edges between folded nodes become edges between boxes, without duplicates or self-loops.
    """
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    scopes = graph.scopes
    box_of: dict[str, str] = {}  # scope id at the cut -> its box's node id
    new_nodes: dict[str, Any] = {}
    members: dict[str, list[Any]] = {}
    target: dict[str, str] = {}  # old node id -> node id in the collapsed graph
    for node_id, node in graph.nodes.items():
        cut = next((s for s in _chain(scopes, node.scope) if scopes[s].depth >= depth), None)
        if cut is None:
            new_nodes[node_id] = node
            target[node_id] = node_id
            continue
        box_id = box_of.get(cut)
        if box_id is None:
            box_id = box_of[cut] = f"m{len(box_of)}"
            new_nodes[box_id] = None  # placeholder keeps the drawing order
            members[box_id] = []
        members[box_id].append(node)
        target[node_id] = box_id
    merged: dict[tuple[str, str], bool] = {}  # (source, target) -> carries a gradient
    box_outputs: dict[str, list[tuple]] = {box: [] for box in members}
    for edge in graph.edges:
        source, destination = target[edge.source], target[edge.target]
        if source == destination:
            continue
        if source in members and isinstance(graph.nodes[edge.source], TensorNode):
            box_outputs[source].append(graph.nodes[edge.source].shape)
        merged[source, destination] = merged.get((source, destination), False) or edge.carries_grad
    edges = [Edge(source, destination, grad) for (source, destination), grad in merged.items()]
    for cut, box_id in box_of.items():
        scope = scopes[cut]
        nodes = members[box_id]
        ops = sum(isinstance(n, OpNode) for n in nodes)
        parameter_count = sum(
            _numel(n.shape) for n in nodes if isinstance(n, TensorNode) and n.kind == PARAMETER
        )
        shapes = tuple(dict.fromkeys(box_outputs[box_id]))
        for n in nodes:  # a box that is the model's output shows that output's shape
            if isinstance(n, TensorNode) and n.kind == OUTPUT and n.shape not in shapes:
                shapes += (n.shape,)
        new_nodes[box_id] = ModuleNode(
            id=box_id, label=scope.label, output_shapes=shapes, op_count=ops,
            parameter_count=parameter_count, scope=scope.parent,
        )
    kept_scopes = {
        s.id: s for s in scopes.values() if s.depth < depth and s.id not in box_of
    }
    return Graph(nodes=new_nodes, edges=edges, scopes=kept_scopes)


#: The functional name of a module whose forward is several primitives (for the folded box).
MODULE_FUNCTIONS = {
    "AvgPool2d": "avg_pool2d", "AdaptiveAvgPool2d": "adaptive_avg_pool2d", "MaxPool2d": "max_pool2d",
    "Linear": "linear", "Flatten": "flatten", "Unflatten": "unflatten", "BatchNorm1d": "batch_norm",
    "BatchNorm2d": "batch_norm", "Softmax": "softmax", "LogSoftmax": "log_softmax",
    "CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss", "MSELoss": "mse_loss",
    "LeakyReLU": "leaky_relu", "Dropout": "dropout", "Conv1d": "conv1d", "Conv2d": "conv2d",
    # Names the class name does not spell in snake case (the others, ConvTranspose2d ->
    # conv_transpose2d, PixelShuffle -> pixel_shuffle, ..., come from _snake).
    "RNN": "rnn", "LSTM": "lstm", "GRU": "gru", "RNNCell": "rnn_cell", "LSTMCell": "lstm_cell",
    "GRUCell": "gru_cell", "Upsample": "interpolate", "UpsamplingNearest2d": "interpolate",
    "UpsamplingBilinear2d": "interpolate", "MultiheadAttention": "multi_head_attention",
}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def fold_composites(graph: Graph) -> Graph:
    """Draw each call of a leaf module (one with no sub-modules) as ONE op, even when its forward
    is several primitives: an ``AvgPool2d`` is shown as ``avg_pool2d``, not as the getitem,
    reshape, sum and div it is computed with; a ``Linear`` as ``linear``.

    The folded op keeps the call's outside inputs (parameters included) and its results; the
    tensors and numbers used only inside disappear. Calls that are a single primitive already
    (``Conv2d``, ``ReLU``) are left as they are, attributes and all.
    """
    parents = {s.parent for s in graph.scopes.values()}
    leaf_scopes = {scope_id for scope_id in graph.scopes if scope_id not in parents}
    members: dict[str, list[str]] = {}
    for node_id, node in graph.nodes.items():
        if isinstance(node, OpNode) and node.scope in leaf_scopes:
            members.setdefault(node.scope, []).append(node_id)
    groups = {scope: ops for scope, ops in members.items() if len(ops) > 1}
    if not groups:
        return graph
    producer = {e.target: e.source for e in graph.edges if isinstance(graph.nodes[e.source], OpNode)}
    users: dict[str, list[str]] = {}
    for edge in graph.edges:
        if isinstance(graph.nodes[edge.target], OpNode):
            users.setdefault(edge.source, []).append(edge.target)
    replaced: dict[str, str] = {}  # old op id -> the folded op's id
    removed: set[str] = set()
    folded: dict[str, OpNode] = {}
    for scope_id, ops in groups.items():
        inside = set(ops)
        first = ops[0]
        for op_id in ops:
            replaced[op_id] = first
        for node_id, node in graph.nodes.items():
            if node_id in inside:
                continue
            made_inside = producer.get(node_id) in inside
            used = users.get(node_id, [])
            only_inside = bool(used) and all(u in inside for u in used)
            if isinstance(node, ConstantNode) and only_inside:
                removed.add(node_id)
            elif isinstance(node, TensorNode) and made_inside and node.kind != OUTPUT and only_inside:
                removed.add(node_id)
            elif isinstance(node, TensorNode) and node.kind == INPUT and node.name is None and only_inside:
                removed.add(node_id)  # a constant tensor the module made for itself (a divisor)
        inputs = [e for e in graph.edges if e.target in inside and e.source not in inside
                  and producer.get(e.source) not in inside and e.source not in removed]
        outputs = [e for e in graph.edges if e.source in inside and e.target not in removed]
        scope = graph.scopes[scope_id]
        module_type = scope.module_type or "Module"
        input_ids = list(dict.fromkeys(e.source for e in inputs))
        needs = [any(e.carries_grad for e in inputs if e.source == i) for i in input_ids]
        computed_as = ", ".join(dict.fromkeys(graph.nodes[op_id].op for op_id in ops))
        folded[first] = OpNode(
            id=first, op=MODULE_FUNCTIONS.get(module_type, _snake(module_type)),
            attrs={"computed_as": computed_as},
            input_shapes=tuple(getattr(graph.nodes[i], "shape", None) for i in input_ids),
            output_shapes=tuple(graph.nodes[e.target].shape for e in outputs),
            needs_input_grad=tuple(needs), device=graph.nodes[first].device, scope=scope_id,
            module=module_type, primitive_count=len(ops),
        )
    nodes = {}
    for node_id, node in graph.nodes.items():
        if node_id in removed or (node_id in replaced and replaced[node_id] != node_id):
            continue
        nodes[node_id] = folded.get(node_id, node)
    edges, seen = [], set()
    for edge in graph.edges:
        source, target = replaced.get(edge.source, edge.source), replaced.get(edge.target, edge.target)
        if source == target or source not in nodes or target not in nodes:
            continue
        key = (source, target)
        if key in seen:
            for kept in edges:
                if (kept.source, kept.target) == key:
                    kept.carries_grad = kept.carries_grad or edge.carries_grad
            continue
        seen.add(key)
        position = edge.position if target not in folded else None
        edges.append(Edge(source, target, edge.carries_grad, position))
    for target in folded:  # the folded op's inputs, numbered in its edge order
        inputs = [e for e in edges if e.target == target]
        for index, edge in enumerate(inputs):
            edge.position = index
    return Graph(nodes=nodes, edges=edges, scopes=graph.scopes)
