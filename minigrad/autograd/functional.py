"""Higher-level derivatives of functions (``torch.autograd.functional``): vjp, jvp,
jacobian, hessian, vhp, hvp — all built on reverse mode (``autograd.grad``).

As in PyTorch, a Tensor argument gives Tensor results and a tuple gives tuples; gradients of
inputs the function does not use are zeros (``strict=True`` raises instead); with
``create_graph=False`` the results are detached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minigrad.autograd.engine import grad
from minigrad.autograd.grad_mode import enable_grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(value: Any, what: str, fn: str) -> tuple[bool, tuple]:
    from minigrad.tensor import Tensor

    if isinstance(value, Tensor):
        return False, (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, Tensor) for v in value):
        return True, tuple(value)
    raise TypeError(
        f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but got {type(value).__name__}"
    )


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    # Fresh leaves that require grad; with create_graph a view keeps the caller's graph.
    return tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(True) for x in inputs)


def _grads(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool, strict: bool, fn: str) -> tuple:
    wanted = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not wanted:
        found: tuple = (None,) * len(inputs)
    else:
        found = grad([o for o, _ in wanted], inputs, [g for _, g in wanted],
                     create_graph=create_graph, retain_graph=True, allow_unused=True)
    result = []
    for position, (x, g) in enumerate(zip(inputs, found)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{fn}: the output of the user-provided function is independent of input {position}. "
                    "This is not allowed in strict mode."
                )
            g = x.new_zeros(x.shape) if hasattr(x, "new_zeros") else x.detach() * 0
        result.append(g if create_graph else g.detach())
    return tuple(result)


def _call(func: Callable, inputs: tuple, fn: str) -> tuple[bool, tuple]:
    with enable_grad():
        out = func(*inputs)
    return _as_tuple(out, "outputs of the user-provided function", fn)


def _vectors(v: Any, like: tuple, fn: str, what: str) -> tuple:
    if v is None:
        if any(t.numel() != 1 for t in like):
            raise RuntimeError(
                f"{fn}: The vector v can only be None if the {what} is a single element Tensor; pass v"
            )
        return tuple(t.detach() * 0 + 1 for t in like)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like) or any(a.shape != b.shape for a, b in zip(vs, like)):
        raise RuntimeError(f"{fn}: v has shapes {[list(a.shape) for a in vs]} but the {what} has shapes "
                           f"{[list(b.shape) for b in like]}")
    return vs


def _detach(values: tuple, create_graph: bool) -> tuple:
    return values if create_graph else tuple(v.detach() for v in values)


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``."""
    is_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "vjp")
    vs = _vectors(v, outs, "vjp", "output of the function")
    result = _grads(outs, xs, vs, create_graph, strict, "vjp")
    outs = _detach(outs, create_graph)
    return (outs if out_tuple else outs[0]), (result if is_tuple else result[0])


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), J v)`` by the double-vjp trick: J v = d/du (u^T J)^T v, as PyTorch does."""
    is_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
    vs = _vectors(v, xs, "jvp", "input")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "jvp")
    dummies = tuple(o.detach() * 0 for o in outs)
    dummies = tuple(d.requires_grad_(True) for d in dummies)
    with enable_grad():
        vjps = _grads(outs, xs, dummies, True, strict, "jvp")
        result = _grads(vjps, dummies, vs, create_graph, strict, "jvp")
    outs = _detach(outs, create_graph)
    return (outs if out_tuple else outs[0]), (result if out_tuple else result[0])


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian: for one output and one input, a Tensor of shape ``out.shape + in.shape``;
    tuples of tuples ``[output][input]`` otherwise. One backward per output element."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    is_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, "jacobian")
    rows = []
    for out in outs:
        flat = out.reshape(-1)
        per_input: list[list] = [[] for _ in xs]
        for k in range(flat.shape[0]):
            seed = flat.detach() * 0
            seed._array[k] = 1
            grads = _grads((flat,), xs, (seed,), create_graph, strict, "jacobian")
            for i, g in enumerate(grads):
                per_input[i].append(g)
        blocks = []
        for x, pieces in zip(xs, per_input):
            from minigrad.ops.composite import stack

            block = stack(pieces) if pieces else x.new_zeros((0, *x.shape))
            blocks.append(block.reshape(tuple(out.shape) + tuple(x.shape)))
        rows.append(tuple(blocks))
    if not out_tuple and not is_tuple:
        return rows[0][0]
    if not out_tuple:
        return rows[0]
    if not is_tuple:
        return tuple(r[0] for r in rows)
    return tuple(rows)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a function with one scalar output: the Jacobian of its gradient."""
    is_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args: Any) -> tuple:
        out_tuple, outs = _call(func, args, "hessian")
        if out_tuple or outs[0].numel() != 1:
            raise RuntimeError("hessian: The function given to hessian should return a single element Tensor")
        return _grads(outs, args, (outs[0].detach() * 0 + 1,), True, strict, "hessian")

    result = jacobian(gradient, xs if is_tuple else xs[0], create_graph, strict, vectorize, outer_jacobian_strategy)
    if not is_tuple:
        return result[0] if isinstance(result, tuple) else result
    return result


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)`` for a scalar function."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), H v)``; H is symmetric, so the same product as ``vhp``."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")


def _second_order(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool, fn: str) -> tuple:
    is_tuple, xs = _as_tuple(inputs, "inputs", fn)
    vs = _vectors(v, xs, fn, "input")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _call(func, xs, fn)
    if out_tuple or outs[0].numel() != 1:
        raise RuntimeError(f"{fn}: The function given to {fn} should return a single element Tensor")
    with enable_grad():
        first = _grads(outs, xs, (outs[0].detach() * 0 + 1,), True, strict, fn)
        second = _grads(first, xs, vs, create_graph, strict, fn)
    out = outs[0] if create_graph else outs[0].detach()
    return out, (second if is_tuple else second[0])
