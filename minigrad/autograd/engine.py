"""Reverse-mode differentiation: walk the recorded graph from the outputs back to the leaves.

The walk is iterative (an explicit stack, never recursion), so a chain of 100,000 ops works.
Nodes run in a dependency order (Kahn's algorithm): a node's backward runs only after every
consumer of its outputs has sent its gradient, and gradients that meet at a node are summed.

Only nodes on a path to what was asked for run: ``autograd.grad(loss, x)`` never computes a
weight gradient, and ``ctx.needs_input_grad`` tells each backward which inputs are wanted.
A gradient no path produced is ``None``, not an array of zeros, unless the op asks for zeros
(``ctx.set_materialize_grads``, True by default as in PyTorch).

Every gradient that reaches a tensor, leaf or not, goes the same way (:class:`_Sinks`): the
tensor's hooks first, then ``.grad`` (``backward``) or the result (``autograd.grad``).
Broadcasting is undone in exactly one place, :func:`_deliver`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.autograd import anomaly
from minigrad.autograd.function import Node, TensorInfo, _tensor_module
from minigrad.autograd.grad_mode import set_grad_enabled


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (``torch.autograd.backward``).

    With ``inputs``, only those tensors (leaves or not) receive ``.grad``, and only the part of
    the graph leading to them runs.
    """
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("backward: inputs= was given but is empty; pass the tensors to accumulate into")
    roots, seeds = _roots_and_seeds(tensors, None if grad_tensors is None else _as_tuple(grad_tensors))
    _run(roots, seeds, retain_graph, create_graph, _Sinks(inputs, capture=False, create_graph=create_graph))


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple:
    """Return d(outputs)/d(inputs) without touching ``.grad`` (``torch.autograd.grad``)."""
    inputs, outputs = _as_tuple(inputs), _as_tuple(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("autograd.grad: materialize_grads=True needs allow_unused=True (or unset)")
    roots, seeds = _roots_and_seeds(outputs, None if grad_outputs is None else _as_tuple(grad_outputs))
    for position, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {position} does not require grad")
    sinks = _Sinks(inputs, capture=True, create_graph=create_graph)
    _run(roots, seeds, retain_graph, create_graph, sinks)
    result = []
    for position, t in enumerate(inputs):
        value = sinks.captured.get(_key_of(t))
        if value is None and not allow_unused:
            raise RuntimeError(
                f"autograd.grad: input {position} was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        if value is None and materialize_grads:
            value = t.new_zeros(t.shape)
        result.append(value)
    return tuple(result)


def _as_tuple(value: Any) -> tuple:
    if isinstance(value, _tensor_module().Tensor):
        return (value,)
    return tuple(value)


def _key_of(tensor: Any) -> Any:
    """Where a tensor's gradient arrives: ``(node, output_index)``, or the leaf's id."""
    return (tensor.grad_fn, tensor._output_index) if tensor.grad_fn is not None else id(tensor)


def _roots_and_seeds(tensors: Sequence[Any], grad_tensors: Sequence[Any] | None) -> tuple:
    tensor_type = _tensor_module().Tensor
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors to differentiate but {len(grad_tensors)} gradients")
    seeds = []
    for position, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {position} of tensors does not require grad and does not have a grad_fn: "
                "create the inputs with requires_grad=True, and do not compute under no_grad()"
            )
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but the output "
                    f"has shape {t.shape}: call .sum() first or pass gradient= of that shape"
                )
            g = tensor_type._make(t.backend.xp.ones(t.shape, dtype=t.dtype), t.backend)
        elif not isinstance(g, tensor_type):
            g = tensor_type._make(t.backend.asarray(g, dtype=t.dtype), t.backend)
        if g.shape != t.shape:
            raise RuntimeError(
                f"Mismatch in shape: the gradient for output {position} has shape {list(g.shape)} "
                f"but the output has shape {list(t.shape)}"
            )
        seeds.append(g)
    return list(tensors), seeds


class _Sinks:
    """Where gradients end: the one path for leaves, retained non-leaves and captured inputs."""

    def __init__(self, targets: tuple | None, capture: bool, create_graph: bool) -> None:
        self.capture = capture
        self.create_graph = create_graph
        self.all_leaves = targets is None  # plain backward(): every leaf that requires grad
        self.leaf_ids = set() if targets is None else {id(t) for t in targets if t.grad_fn is None}
        self.outputs = {} if targets is None else {_key_of(t): t for t in targets if t.grad_fn is not None}
        self.captured: dict[Any, Any] = {}
        self.leaf_totals: dict[int, tuple] = {}
        self.leaf_waiting: dict[int, int] = {}

    def wants_leaf(self, leaf: Any) -> bool:
        return self.all_leaves or id(leaf) in self.leaf_ids

    def leaf(self, leaf: Any, grad_value: Any) -> None:
        """A contribution to a leaf's gradient; contributions are summed and delivered once, by
        ``finish`` (as PyTorch's AccumulateGrad node: hooks see the total, not each part)."""
        if not self.wants_leaf(leaf):
            return
        key = id(leaf)
        entry = self.leaf_totals.get(key)
        self.leaf_totals[key] = (leaf, grad_value if entry is None else entry[1] + grad_value)

    def count_leaf_edges(self, visit: Any) -> None:
        """How many edges from the nodes to visit lead to each wanted leaf: its gradient is
        complete (and delivered) once all of those nodes have run."""
        waiting = self.leaf_waiting
        for node in visit:
            for edge, needed in zip(node.next_functions, node.needs_input_grad):
                if needed and edge is not None and not isinstance(edge[0], Node):
                    waiting[id(edge[0])] = waiting.get(id(edge[0]), 0) + 1

    def leaf_edge_done(self, leaf: Any) -> None:
        """A node with an edge to ``leaf`` has sent what it will send: deliver the leaf's summed
        gradient once all of its edges are done."""
        key = id(leaf)
        left = self.leaf_waiting.get(key, 0) - 1
        self.leaf_waiting[key] = left
        if left == 0 and key in self.leaf_totals:
            self._deliver_leaf(key)

    def finish(self) -> None:
        """Deliver what is left (leaves that were roots themselves)."""
        for key in list(self.leaf_totals):
            self._deliver_leaf(key)

    def _deliver_leaf(self, key: int) -> None:
        """A leaf's summed gradient: its hooks first, then ``.grad`` or the result."""
        leaf, grad_value = self.leaf_totals.pop(key)
        for hook in tuple(leaf._hooks.values()) if leaf._hooks else ():
            replaced = hook(grad_value)
            if replaced is not None:
                grad_value = replaced
        if self.capture:
            self.captured[key] = grad_value
        else:
            self._accumulate(leaf, grad_value)

    def node_outputs(self, node: Node, grads: list) -> None:
        """The summed gradient of each output of ``node``: hooks (which may replace it), then sinks."""
        if not (node.output_hooks or node.retained_outputs or self.outputs):
            return  # the common case: nobody registered anything on these outputs
        for index, hooks in node.output_hooks.items():
            for hook in tuple(hooks.values()):
                if grads[index] is not None:
                    replaced = hook(grads[index])
                    if replaced is not None:
                        grads[index] = replaced
        for index, grad_value in enumerate(grads):
            if grad_value is None:
                continue
            key = (node, index)
            if self.capture and key in self.outputs:
                self.captured[key] = grad_value
            # retain_grad() fills .grad in autograd.grad too, as in PyTorch (leaves' .grad never).
            tensor = node.retained_outputs.get(index)
            if tensor is None and not self.capture:
                tensor = self.outputs.get(key)
            if tensor is not None:
                self._accumulate(tensor, grad_value)

    def _accumulate(self, tensor: Any, grad_value: Any) -> None:
        current = tensor._grad
        if current is None:
            tensor._grad = _owned(grad_value)
        elif self.create_graph or current.requires_grad or grad_value.requires_grad:
            tensor._grad = current + grad_value  # part of a graph: out of place
        else:
            current._array += grad_value._array  # in place, as PyTorch: x.grad stays the same object
            current._mark_modified()
        if tensor._post_accumulate_hooks:
            for hook in tuple(tensor._post_accumulate_hooks.values()):
                hook(tensor)


def _owned(grad_value: Any) -> Any:
    """A gradient ``.grad`` may keep and the user may update in place (``grad.zero_()``).

    Backward hands out views: ``a + b`` gives both inputs the same gradient object, and a
    sum's gradient is a read-only broadcast. A gradient that is part of a graph
    (``create_graph=True``) is kept as it is.
    """
    if grad_value.requires_grad:
        return grad_value
    return type(grad_value)._make(grad_value._array.copy(), grad_value.backend)


def _run(roots: list, seeds: list, retain_graph: bool | None, create_graph: bool, sinks: _Sinks) -> None:
    if retain_graph is None:
        retain_graph = create_graph
    with set_grad_enabled(create_graph):
        pending: dict[Node, list] = {}
        for tensor, seed in zip(roots, seeds):
            if tensor.grad_fn is None:  # a leaf was asked to backward: d(x)/d(x) is the seed
                sinks.leaf(tensor, seed)
            else:
                _add_pending(pending, tensor.grad_fn, tensor._output_index, seed)
        if sinks.all_leaves:  # every reachable node runs: one walk finds them and counts edges
            visit, dependencies = _reachable_and_counted(list(pending), sinks)
            runs = visit
        else:
            visit, runs = _plan(list(pending), sinks)
            dependencies = _count_dependencies(visit)
            sinks.count_leaf_edges(visit)
        ready = [n for n in pending if n in visit and dependencies.get(n, 0) == 0]
        checking, all_leaves = anomaly.is_enabled(), sinks.all_leaves
        tensor_type = _tensor_module().Tensor
        while ready:
            node = ready.pop()
            grads = pending.pop(node, None)
            declared = node.needs_input_grad
            wanted, input_grads = declared, None
            if grads is not None:  # a node no gradient reached only releases its inputs
                if node.output_hooks or node.retained_outputs or sinks.outputs:
                    sinks.node_outputs(node, grads)
                if node in runs:
                    if not all_leaves:
                        wanted = _wanted(node, visit, sinks)
                    input_grads = _call_backward(node, grads, wanted)
                    if checking:
                        anomaly.check_gradients(node, input_grads)
                    if not retain_graph:
                        node.free()
            if input_grads is None:
                input_grads = (None,) * len(node.next_functions)
            # One pass over the edges: deliver each wanted input gradient (summed back to its
            # input's shape and dtype by _deliver where they differ); then, the node having sent
            # what it will send, its inputs' nodes wait for one edge less, and a leaf whose every
            # edge is done gets its summed gradient.
            for edge, needed, grad_value, info, declared_need in zip(node.next_functions, wanted, input_grads,
                                                                      node._input_fields, declared):
                if edge is None:
                    continue
                source = edge[0]
                if needed and grad_value is not None:
                    if (
                        type(grad_value) is not tensor_type
                        or grad_value._array.shape != info[0]
                        or grad_value._array.dtype != info[1]
                    ):
                        grad_value = _deliver(grad_value, TensorInfo._make(info), node)
                    if type(source) is Node:
                        _add_pending(pending, source, edge[1], grad_value)
                    else:
                        sinks.leaf(source, grad_value)
                if type(source) is Node:
                    if source in visit:
                        left = dependencies[source] - 1
                        dependencies[source] = left
                        if left == 0:
                            ready.append(source)
                elif declared_need:
                    sinks.leaf_edge_done(source)
        sinks.finish()


def _wanted(node: Node, visit: Any, sinks: _Sinks) -> tuple:
    """Which of ``node``'s inputs this walk needs a gradient for."""
    if sinks.all_leaves:  # every input that requires grad is wanted
        return node.needs_input_grad
    return tuple(
        edge is not None
        and needed
        and (edge[0] in visit if isinstance(edge[0], Node) else sinks.wants_leaf(edge[0]))
        for edge, needed in zip(node.next_functions, node.needs_input_grad)
    )


def _reachable_and_counted(root_nodes: list, sinks: _Sinks) -> tuple:
    """Every node reachable from the roots (what plain ``backward()`` visits and runs) and the
    edges into each (``_count_dependencies``), found in one walk that also counts the edges to
    each leaf (``sinks.count_leaf_edges``)."""
    seen, stack = set(root_nodes), list(root_nodes)
    dependencies: dict[Node, int] = {}
    waiting = sinks.leaf_waiting
    while stack:
        node = stack.pop()
        for edge, needed in zip(node.next_functions, node.needs_input_grad):
            if edge is None:
                continue
            source = edge[0]
            if type(source) is Node:
                dependencies[source] = dependencies.get(source, 0) + 1
                if source not in seen:
                    seen.add(source)
                    stack.append(source)
            elif needed:
                waiting[id(source)] = waiting.get(id(source), 0) + 1
    return seen, dependencies


def _plan(root_nodes: list, sinks: _Sinks) -> tuple:
    """The nodes to visit (a wanted gradient passes through or ends there) and those whose
    backward must run. Without ``inputs=`` that is every node reachable from the roots."""
    seen, stack = set(root_nodes), list(root_nodes)
    while stack:  # every node reachable from the roots
        node = stack.pop()
        for edge in node.next_functions:
            if edge is not None and isinstance(edge[0], Node) and edge[0] not in seen:
                seen.add(edge[0])
                stack.append(edge[0])
    if sinks.all_leaves:
        return seen, seen
    dependencies = _count_dependencies(seen)
    order, ready = [], [n for n in seen if dependencies.get(n, 0) == 0]
    while ready:  # Kahn's order: a node comes before the nodes its edges point to
        node = ready.pop()
        order.append(node)
        for edge in node.next_functions:
            if edge is not None and isinstance(edge[0], Node):
                dependencies[edge[0]] -= 1
                if dependencies[edge[0]] == 0:
                    ready.append(edge[0])
    visit, runs = set(), set()
    for node in reversed(order):  # the nodes an edge points to are decided first
        for edge in node.next_functions:
            if edge is None:
                continue
            source = edge[0]
            if (source in visit) if isinstance(source, Node) else sinks.wants_leaf(source):
                runs.add(node)
                break
        if node in runs or any((node, i) in sinks.outputs for i in range(len(node._output_fields))):
            visit.add(node)
    return visit, runs


def _count_dependencies(visit: Any) -> dict:
    """For every node to visit, how many edges from other such nodes point into it."""
    dependencies: dict[Node, int] = {}
    for node in visit:
        for edge in node.next_functions:
            if edge is not None and isinstance(edge[0], Node) and edge[0] in visit:
                dependencies[edge[0]] = dependencies.get(edge[0], 0) + 1
    return dependencies


def _add_pending(pending: dict, node: Node, index: int, grad_value: Any) -> None:
    slots = pending.get(node)
    if slots is None:
        slots = pending[node] = [None] * len(node._output_fields)
    slots[index] = grad_value if slots[index] is None else slots[index] + grad_value


def _call_backward(node: Node, grads: list, wanted: tuple) -> tuple:
    if node.materialize_grads and (len(grads) > 1 or grads[0] is None) and any(g is None for g in grads):
        # zeros for unreached float outputs
        tensor_type, xp = _tensor_module().Tensor, node.backend.xp
        grads = [
            tensor_type._make(xp.zeros(info.shape, dtype=info.dtype), node.backend)
            if g is None and info.dtype.kind == "f" else g
            for g, info in zip(grads, node.outputs)
        ]
    declared = node.needs_input_grad
    if wanted is declared:  # plain backward(): every input that requires grad is wanted
        result = node.function.backward(node, *grads)
    else:
        node.needs_input_grad = wanted  # what this backward must produce, for this walk only
        try:
            result = node.function.backward(node, *grads)
        finally:
            node.needs_input_grad = declared
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(node.next_functions):
        raise RuntimeError(
            f"{node.name}.backward returned {len(result)} gradients, but forward took "
            f"{len(node.next_functions)} positional inputs: return one (or None) per input"
        )
    return result


def _deliver(grad_value: Any, info: Any, node: Node) -> Any:
    """Sum a gradient back to its input's shape (undoing broadcasting) and match its dtype."""
    tensor_type = _tensor_module().Tensor
    if not isinstance(grad_value, tensor_type):
        grad_value = tensor_type._make(node.backend.asarray(grad_value), node.backend)
    # The arrays' shape and dtype, compared as they are: no Size or dtype wrapper per node.
    if grad_value._array.shape != info.shape:
        grad_value = grad_value.sum_to_size(info.shape)
    if grad_value._array.dtype != info.dtype:
        from minigrad.ops.shape import Cast

        # Cast directly, not with .to(): .to() turns a leaf into a new leaf, cutting the graph.
        grad_value = Cast.apply(grad_value, dtype=info.dtype)
    return grad_value
