"""The duality of convolution, drawn from what autograd really records.

``conv2d``'s backward is written with ``conv2d`` itself, so differentiating with
``create_graph=True`` records the gradient computation as a graph of ordinary ops: ``dL/dx`` is
a conv2d of the padded (and, for strides, dilated) upstream gradient with the flipped kernel,
channels swapped; ``dL/dW`` a conv2d of the input with the upstream gradient. This module
computes that graph and names its tensors the way the lecture does (``dL/dy``, ``flip(W)``,
``pad(dL/dy)``, ``xcorr(...)``), so the picture reads as the two rules.
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Node
from minigrad.tensor import Tensor
from minigrad.viz.retain import retain_grads


def duality_graph(
    output: Tensor,
    params: dict[str, Tensor] | None = None,
    upstream: Tensor | None = None,
) -> tuple[list[Tensor], dict[str, Tensor]]:
    """Differentiate ``output`` with ``create_graph=True`` and name what the gradients are made of.

    Args:
        output: the result of the forward pass (e.g. ``F.conv2d(x, W)``), called ``y``.
        params: name -> leaf tensor; other leaves that require grad use their ``.name``.
        upstream: ``dL/dy`` (default: ones); it becomes a named leaf of the gradient graph.

    Returns:
        ``(gradients, names)``: one gradient per leaf that requires grad, named ``dL/d<leaf>``
        (``None`` for a leaf the output does not depend on), and name -> tensor for the
        leaves whose name is not their ``.name`` (given in ``params`` or made up: ``x0``), to
        pass to ``draw_graph``. The upstream gradient is a leaf named ``dL/dy``.
    """
    from minigrad import autograd

    leaves = _leaves(output)
    if not leaves:
        raise ValueError("duality: nothing in this graph requires grad, so there is no gradient to draw")
    by_id = {id(t): name for name, t in (params or {}).items()}
    named: dict[str, Tensor] = {}
    for index, leaf in enumerate(leaves):
        name = by_id.get(id(leaf)) or leaf.name or f"x{index}"
        named[name] = leaf
    output_name = output.name or "y"
    if upstream is None:
        upstream = output.detach() * 0 + 1
    upstream = upstream.detach().requires_grad_(True)
    upstream.name = f"dL/d{output_name}"
    with retain_grads():  # keep every intermediate, so the picture can show their numbers
        gradients = autograd.grad(output, list(named.values()), grad_outputs=upstream,
                                  create_graph=True, retain_graph=True, allow_unused=True)
    result = []
    for name, gradient in zip(named, gradients):
        if gradient is not None:
            gradient.name = f"dL/d{name}"
        result.append(gradient)
    _name_intermediates([g for g in result if g is not None])
    return result, {name: t for name, t in named.items() if t.name != name}


def _leaves(output: Tensor) -> list[Tensor]:
    """The leaves that require grad behind ``output``, in first-use order."""
    if output.grad_fn is None:
        return [output] if output.requires_grad else []
    found, seen, stack = [], set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in reversed(node.next_functions):
            if edge is None:
                continue
            source = edge[0]
            if isinstance(source, Node):
                stack.append(source)
            elif id(source) not in {id(t) for t in found}:
                found.append(source)
    return sorted(found, key=lambda t: _first_use(output, t))


def _first_use(output: Tensor, leaf: Tensor) -> int:
    """Position of ``leaf`` among the op's arguments (x before W before b in a conv)."""
    node = output.grad_fn
    for index, edge in enumerate(node.next_functions if node is not None else ()):
        if edge is not None and edge[0] is leaf:
            return index
    return 1_000


def _name_intermediates(gradients: list[Tensor]) -> None:
    """Name the tensors of the gradient graph after what they are (inputs before outputs)."""
    for node in _topological(gradients):
        sources = [_source_name(node, i) for i in range(len(node.inputs))]
        name = _derived_name(node, sources)
        kept = node.retained_outputs.get(0)
        if name is not None and kept is not None and kept.name is None:
            kept.name = name


def _topological(outputs: list[Tensor]) -> list[Node]:
    order, done, stack = [], set(), [(t.grad_fn, False) for t in outputs if t.grad_fn is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in done:
            continue
        done.add(id(node))
        stack.append((node, True))
        for edge in node.next_functions:
            if edge is not None and isinstance(edge[0], Node) and id(edge[0]) not in done:
                stack.append((edge[0], False))
    return order


def _source_name(node: Node, index: int) -> str | None:
    edge = node.next_functions[index] if index < len(node.next_functions) else None
    if edge is None:
        info = node.inputs[index]
        return None if info is None else info.name
    source, output_index = edge
    if isinstance(source, Node):
        kept = source.retained_outputs.get(output_index)
        return None if kept is None else kept.name
    return source.name


def _derived_name(node: Node, sources: list[str | None]) -> str | None:
    """``flip(W)``, ``W^T``, ``pad(dL/dy)``, ``dilate(dL/dy)``, ``xcorr(a, b)``, ``sum(dL/dy)``."""
    first = sources[0] if sources else None
    if node.name == "conv2d" and None not in sources[:2]:
        return f"xcorr({sources[0]}, {sources[1]})"
    if node.name == "getitem":
        dilated = _dilated_source(node)  # its inner steps have no names of their own
        if dilated:
            return f"dilate({dilated})"
    if first is None:
        return None
    if node.name == "getitem":
        key = node.attrs.get("key")
        parts = key if isinstance(key, tuple) else (key,)
        if any(isinstance(p, slice) and p.step is not None and p.step < 0 for p in parts):
            return f"flip({first})"
        return f"crop({first})"
    if node.name == "permute" and tuple(node.attrs.get("dims", ()))[:2] == (1, 0):
        return f"{first}^T"
    if node.name == "constant_pad":
        return f"pad({first})"
    if node.name == "sum":
        return f"sum({first})"
    return None


def _dilated_source(node: Node) -> str | None:
    """The name X when ``node`` ends ``insert_zeros(X)``: reshape, zero pad, reshape, crop."""
    chain = []
    current: Any = node
    for expected in ("reshape", "constant_pad", "reshape"):
        edge = current.next_functions[0] if current.next_functions else None
        if edge is None or not isinstance(edge[0], Node) or edge[0].name != expected:
            return None
        current = edge[0]
        chain.append(current)
    return _source_name(current, 0)
