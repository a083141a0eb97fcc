"""Reverse-mode differentiation: walk the recorded graph from the outputs back to the leaves.

The walk is iterative (an explicit stack, never recursion), so a chain of 100,000 ops works.
Nodes run in a dependency order (Kahn's algorithm): a node's backward runs only after every
consumer of its outputs has sent its gradient, and gradients that meet at a node are summed.

Broadcasting is undone in exactly one place, :func:`_deliver`: a gradient is summed to the
shape of the input it is for. No primitive repeats that logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.autograd.function import Node, _tensor_module
from minigrad.autograd.grad_mode import set_grad_enabled


def backward(
    tensors: Sequence[Any],
    grad_tensors: Sequence[Any] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Any] | None = None,
) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (``torch.autograd.backward``)."""
    roots, seeds = _roots_and_seeds(tensors, grad_tensors)
    only = None if inputs is None else {id(t) for t in inputs}
    _run(roots, seeds, retain_graph, create_graph, capture=None, accumulate_only=only)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """Return d(outputs)/d(inputs) without touching ``.grad`` (``torch.autograd.grad``)."""
    from minigrad.tensor import Tensor

    single_input = isinstance(inputs, Tensor)
    inputs = (inputs,) if single_input else tuple(inputs)
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    if grad_outputs is not None and isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    roots, seeds = _roots_and_seeds(outputs, grad_outputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("autograd.grad: one of the inputs does not require grad")
    capture: dict[Any, Any] = {_key_of(t): None for t in inputs}
    _run(roots, seeds, retain_graph, create_graph, capture=capture, accumulate_only=set())
    result = tuple(capture[_key_of(t)] for t in inputs)
    if not allow_unused and any(g is None for g in result):
        raise RuntimeError(
            "autograd.grad: one of the inputs was not used to compute the outputs; "
            "pass allow_unused=True to get None for it"
        )
    return result


def _key_of(tensor: Any) -> Any:
    return (tensor.grad_fn, tensor._output_index) if tensor.grad_fn is not None else id(tensor)


def _roots_and_seeds(tensors: Sequence[Any], grad_tensors: Sequence[Any] | None) -> tuple:
    from minigrad.tensor import Tensor

    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"got {len(tensors)} outputs but {len(grad_tensors)} gradients")
    seeds = []
    for t, g in zip(tensors, grad_tensors):
        if not t.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "create the inputs with requires_grad=True, and do not compute under no_grad()"
            )
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but the output "
                    f"has shape {t.shape}: call .sum() first or pass gradient= of that shape"
                )
            g = Tensor._make(t.backend.xp.ones(t.shape, dtype=t.dtype), t.backend)
        elif not isinstance(g, Tensor):
            g = Tensor._make(t.backend.asarray(g, dtype=t.dtype), t.backend)
        if g.shape != t.shape:
            raise RuntimeError(f"gradient has shape {g.shape} but the output has shape {t.shape}")
        seeds.append(g)
    return list(tensors), seeds


def _run(
    roots: list,
    seeds: list,
    retain_graph: bool | None,
    create_graph: bool,
    capture: dict | None,
    accumulate_only: set | None,
) -> None:
    if retain_graph is None:
        retain_graph = create_graph
    with set_grad_enabled(create_graph):
        pending: dict[Node, list] = {}
        for tensor, seed in zip(roots, seeds):
            if tensor.grad_fn is None:  # a leaf was asked to backward: d(x)/d(x) is the seed
                _accumulate_leaf(tensor, seed, capture, accumulate_only)
            else:
                _add_pending(pending, tensor.grad_fn, tensor._output_index, seed)
        root_nodes = list(pending)
        dependencies = _count_dependencies(root_nodes)
        ready = [n for n in root_nodes if dependencies.get(n, 0) == 0]
        while ready:
            node = ready.pop()
            grads = pending.pop(node, None)
            if grads is not None:  # a node no gradient reached only releases its inputs
                _run_output_hooks(node, grads)
                _capture_outputs(node, grads, capture)
                input_grads = _call_backward(node, grads)
                if not retain_graph:
                    node.free()
                for edge, needed, grad_value, meta in zip(
                    node.next_functions, node.needs_input_grad, input_grads, node.input_meta
                ):
                    if edge is None or not needed or grad_value is None:
                        continue
                    grad_value = _deliver(grad_value, meta, node)
                    source, index = edge
                    if isinstance(source, Node):
                        _add_pending(pending, source, index, grad_value)
                    else:
                        _accumulate_leaf(source, grad_value, capture, accumulate_only)
            for edge in node.next_functions:
                if edge is not None and isinstance(edge[0], Node):
                    source = edge[0]
                    dependencies[source] -= 1
                    if dependencies[source] == 0:
                        ready.append(source)


def _count_dependencies(root_nodes: list) -> dict:
    """For every node reachable from the roots, how many edges point into it."""
    dependencies: dict[Node, int] = {}
    seen = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None or not isinstance(edge[0], Node):
                continue
            source = edge[0]
            dependencies[source] = dependencies.get(source, 0) + 1
            if source not in seen:
                seen.add(source)
                stack.append(source)
    return dependencies


def _add_pending(pending: dict, node: Node, index: int, grad_value: Any) -> None:
    slots = pending.get(node)
    if slots is None:
        slots = pending[node] = [None] * len(node.output_meta)
    slots[index] = grad_value if slots[index] is None else slots[index] + grad_value


def _call_backward(node: Node, grads: list) -> tuple:
    if any(g is None for g in grads):  # an output no gradient reached gets zeros
        tensor_type, xp = _tensor_module().Tensor, node.backend.xp
        grads = [
            g if g is not None else tensor_type._make(xp.zeros(shape, dtype=dtype), node.backend)
            for g, (shape, dtype) in zip(grads, node.output_meta)
        ]
    result = node.function.backward(node, *grads)
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(node.next_functions):
        raise RuntimeError(
            f"{node.name}.backward returned {len(result)} gradients, but forward took "
            f"{len(node.next_functions)} positional inputs: return one (or None) per input"
        )
    return result


def _deliver(grad_value: Any, meta: tuple, node: Node) -> Any:
    """Sum a gradient back to its input's shape (undoing broadcasting) and match its dtype."""
    tensor_type = _tensor_module().Tensor
    if not isinstance(grad_value, tensor_type):
        grad_value = tensor_type._make(node.backend.asarray(grad_value), node.backend)
    shape, dtype, _ = meta
    if grad_value.shape != shape:
        grad_value = grad_value.sum_to_size(shape)
    if grad_value.dtype != dtype:
        from minigrad.ops.shape import Cast

        # Cast directly, not with .to(): .to() turns a leaf into a new leaf, cutting the graph.
        grad_value = Cast.apply(grad_value, dtype=dtype)
    return grad_value


def _accumulate_leaf(leaf: Any, grad_value: Any, capture: dict | None, only: set | None) -> None:
    key = id(leaf)
    if capture is not None and key in capture:
        capture[key] = grad_value if capture[key] is None else capture[key] + grad_value
        return
    if only is not None and key not in only:
        return
    for hook in leaf._hooks:
        replaced = hook(grad_value)
        if replaced is not None:
            grad_value = replaced
    # Out of place on purpose: the same gradient object may also be another leaf's gradient.
    leaf.grad = _owned(grad_value) if leaf.grad is None else leaf.grad + grad_value


def _owned(grad_value: Any) -> Any:
    """A gradient ``.grad`` may keep and the user may update in place (``grad.zero_()``).

    Backward hands out views: ``a + b`` gives both inputs the same gradient object, and a
    sum's gradient is a read-only broadcast. A gradient that is part of a graph
    (``create_graph=True``) is kept as it is, since in-place updates are refused on it anyway.
    """
    if grad_value.requires_grad:
        return grad_value
    return type(grad_value)._make(grad_value.data.copy(), grad_value.backend)


def _run_output_hooks(node: Node, grads: list) -> None:
    """Hooks registered on non-leaf tensors see (and may replace) their summed gradient."""
    for index, hooks in node.output_hooks.items():
        for hook in hooks:
            if grads[index] is not None:
                replaced = hook(grads[index])
                if replaced is not None:
                    grads[index] = replaced


def _capture_outputs(node: Node, grads: list, capture: dict | None) -> None:
    """Hand gradients to non-leaf tensors that asked for them (``retain_grad``, ``autograd.grad``)."""
    for index, grad_value in enumerate(grads):
        if grad_value is None:
            continue
        if capture is not None and (node, index) in capture:
            capture[(node, index)] = grad_value
        tensor = node.retained_outputs.get(index)
        if tensor is not None:
            tensor.grad = _owned(grad_value) if tensor.grad is None else tensor.grad + grad_value
