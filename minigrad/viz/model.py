"""``draw_model``: run a model once and draw its graph grouped by ``nn.Module``.

A forward hook on every module sees, after each call, the tensors that went in and the one
that came out. The ops a call produced are those reachable backwards from its output without
crossing its inputs; each op belongs to the deepest module call that produced it, and each call
becomes a labelled cluster (``conv1: Conv2d(1, 6, kernel_size=(5, 5), ...)``). A module used
several times (one ``Tanh`` applied after every layer) gets one cluster per call.
"""

from __future__ import annotations

import contextlib
from typing import Any

from minigrad.autograd.function import Node
from minigrad.autograd.grad_mode import enable_grad
from minigrad.tensor import Tensor
from minigrad.viz.graph import Scope, ScopeMap, build_graph, collapse, fold_composites
from minigrad.viz.render import Digraph, to_digraph
from minigrad.viz.retain import retain_grads

LABEL_LIMIT = 70


def draw_model(
    model: Any,
    example_input: Tensor | tuple[Tensor, ...],
    *,
    show: str = "forward",
    values: bool = False,
    grads: bool = False,
    depth: int | None = None,
    rankdir: str = "TB",
    legend: bool | str = False,
    title: str | None = None,
    primitives: bool = False,
    fontsize: float = 10,
    size: str | tuple[float, float] | None = None,
    dpi: float | None = None,
    grid: int = 3,
) -> Digraph:
    """Run ``model(example_input)`` and draw its graph, one labelled cluster per module call.

    Args:
        model: an ``nn.Module``.
        example_input: a tensor, e.g. ``(1, 1, 28, 28)``, or a tuple of tensors.
        show: ``"forward"``, ``"backward"`` or ``"both"`` (see ``draw_graph``).
        values, grads: show tiny tensors' numbers / gradients. For gradients (and for the
            backward pictures) ``draw_model`` runs one backward pass of ``output.sum()``; the
            parameters' ``.grad`` are restored afterwards, so drawing changes nothing.
        depth: fold every module call at this depth into one box: ``depth=1`` draws one box
            per child of the model (``conv1``, ``fc1``...), ``depth=0`` one box for the model.
        primitives: draw every primitive op. By default each call of a leaf module (one
            without sub-modules) is ONE op box labelled with the module: pooling is drawn as
            pooling, not as the getitem/reshape/sum/div it is computed with.
        rankdir, legend, title, fontsize, size, dpi, grid: as in ``draw_graph``.

    Parameters are named by their path (``conv1.weight``), the input is ``input``. Container
    modules (``Sequential``, the model itself) are labelled clusters.
    """
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    needs_backward = grads or show != "forward"
    parameters = dict(model.named_parameters())
    saved_grads = {name: p.grad for name, p in parameters.items()}
    unnamed = [t for t in inputs if isinstance(t, Tensor) and t.name is None]
    for t in unnamed:
        t.name = "input"
    try:
        with retain_grads() if (values or needs_backward) else contextlib.nullcontext():
            outputs, scopes = module_scopes(model, *inputs)
        needs_backward = needs_backward and any(t.requires_grad for t in outputs)
        if needs_backward:
            for p in parameters.values():
                p.grad = None
            total = outputs[0].sum()
            for other in outputs[1:]:
                total = total + other.sum()
            total.backward()
        graph = build_graph(outputs, parameters, scopes)
    finally:
        for t in unnamed:
            t.name = None
    if depth is not None:
        graph = collapse(graph, depth)
    elif not primitives:
        graph = fold_composites(graph)
    dot = to_digraph(graph, show=show, values=values, grads=grads, rankdir=rankdir, legend=legend,
                     title=title, fontsize=fontsize, size=size, dpi=dpi, grid=grid)
    if needs_backward:
        for name, p in parameters.items():
            p.grad = saved_grads[name]
    return dot


def module_label(path: str, module: Any) -> str:
    """``conv1: Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))``; the model itself is just its
    class name (and configuration, if short)."""
    extra_repr = getattr(module, "extra_repr", None)
    extra = extra_repr() if callable(extra_repr) else ""
    if not path:
        text = f"{type(module).__name__}({extra})" if extra else type(module).__name__
    else:
        text = f"{path}: {type(module).__name__}({extra})"
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 4] + "...)"


def module_scopes(model: Any, *inputs: Any) -> tuple[list[Tensor], ScopeMap]:
    """Run ``model(*inputs)`` with a forward hook on every module; return the output tensors
    and which module call produced each op of the recorded graph."""
    calls: list[tuple[str, Any, tuple, Any]] = []
    handles = []
    for path, module in model.named_modules():
        def hook(module: Any, hook_inputs: Any, output: Any, path: str = path) -> None:
            calls.append((path, module, _tensors(hook_inputs), _tensors(output)))

        handles.append(module.register_forward_hook(hook))
    try:
        with enable_grad():
            result = model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    outputs = _tensors(result)
    if not outputs:
        raise TypeError(f"draw_model: the model returned {type(result).__name__}, not tensors")
    return outputs, _scope_map(calls)


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors(item)]
    return []


def _ops_of_call(inputs: list[Tensor], outputs: list[Tensor]) -> set[int]:
    """The ids of the Nodes between a call's inputs and its outputs."""
    boundary = {id(t.grad_fn) for t in inputs if t.grad_fn is not None}
    found: set[int] = set()
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None and id(t.grad_fn) not in boundary]
    while stack:
        node = stack.pop()
        if id(node) in found:
            continue
        found.add(id(node))
        for edge in node.next_functions:
            if edge is not None and isinstance(edge[0], Node) and id(edge[0]) not in boundary:
                stack.append(edge[0])
    return found


def _scope_map(calls: list[tuple[str, Any, list, list]]) -> ScopeMap:
    call_count: dict[str, int] = {}
    for path, *_ in calls:
        call_count[path] = call_count.get(path, 0) + 1
    seen: dict[str, int] = {}
    scopes: list[tuple[Scope, set[int]]] = []
    for path, module, inputs, outputs in calls:
        ops = _ops_of_call(inputs, outputs)
        seen[path] = seen.get(path, 0) + 1
        if not ops:
            continue  # a module that recorded nothing (Identity, a flatten of a flat tensor)
        label = module_label(path, module)
        if call_count[path] > 1:
            label += f"  [call {seen[path]} of {call_count[path]}]"
        scope = Scope(id=f"s{len(scopes)}", path=path, label=label, module_type=type(module).__name__)
        scopes.append((scope, ops))
    # The parent of a call is the deepest shallower call whose ops include all of its ops.
    for scope, ops in scopes:
        candidates = [
            (other.depth, -len(other_ops), other.id) for other, other_ops in scopes
            if other.depth < scope.depth and ops <= other_ops
        ]
        scope.parent = max(candidates)[2] if candidates else None
    op_scope: dict[int, str] = {}
    depth_of: dict[int, int] = {}
    for scope, ops in scopes:
        for op in ops:
            if scope.depth > depth_of.get(op, -1):
                op_scope[op], depth_of[op] = scope.id, scope.depth
    return ScopeMap(scopes={scope.id: scope for scope, _ in scopes}, op_scope=op_scope)
