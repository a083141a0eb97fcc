"""Scans along one dim: cumsum and cumprod (primitives), cummax, cummin and logcumsumexp
(composed, so their gradients come from indexing and logaddexp).

A reverse scan (``flip``, scan, ``flip``) is a negative-step slice around a scan; every backward
here is written with such tensor ops, so higher orders come for free.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from minigrad.autograd.function import Primitive
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.ops.elementwise import where


class ValuesIndices(NamedTuple):
    """What ``cummax`` and ``cummin`` return, as PyTorch's named tuple."""

    values: Any
    indices: Any


def _along(ndim: int, dim: int, part: slice) -> tuple:
    return (slice(None),) * dim + (part,)


def flip(x: Any, dim: int) -> Any:
    return x[_along(x.ndim, dim, slice(None, None, -1))]


def reverse_cumsum(x: Any, dim: int) -> Any:
    """``out[i] = sum of x[i:]`` along ``dim``."""
    return flip(Cumsum.apply(flip(x, dim), dim=dim), dim)


class Cumsum(Primitive):
    name = "cumsum"

    @staticmethod
    def forward(ctx, a, *, dim):
        return ctx.xp.cumsum(a, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return reverse_cumsum(grad, ctx.attrs["dim"])  # each input reaches every later output


class Cumprod(Primitive):
    """``out[k] = x[0] * ... * x[k]``. Its gradient at ``x[i]`` is the sum over ``k >= i`` of
    ``grad[k]`` times the product of the other factors of ``out[k]``; without zeros that is
    ``reverse_cumsum(grad * out)[i] / x[i]``. With zeros (per slice, from its first zero ``z``
    on): positions before ``z`` keep that formula (``out`` is 0 from ``z``, so the later terms
    vanish), positions after ``z`` get 0 (each product still holds ``x[z] = 0``), and ``z``
    itself gets ``prod(x[:z]) * sum over k >= z of grad[k] * prod(x[z+1:k+1])``, as PyTorch.
    """

    name = "cumprod"

    @staticmethod
    def forward(ctx, a, *, dim):
        ctx.save_for_backward(ctx.input(0), ctx.output(0))
        return ctx.xp.cumprod(a, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        dim, xp = ctx.attrs["dim"], ctx.xp
        zero = x._array == 0
        if not zero.any():
            return reverse_cumsum(grad * out, dim) / x
        if is_grad_enabled():  # create_graph: the O(n) formula below is right, its derivative is not
            return _cumprod_gradient_by_products(x, grad, dim)
        zeros_so_far = xp.cumsum(zero, axis=dim)
        before = zeros_so_far == 0  # strictly before the slice's first zero
        first = zero & (zeros_so_far == 1)
        after = ~before & ~first
        safe = where(before, x, 1)
        part_before = where(before, reverse_cumsum(grad * out, dim) / safe, 0)
        tail = Cumprod.apply(where(after, x, 1), dim=dim)  # prod(x[z+1:k+1]) for k >= z
        at_first = Cumprod.apply(safe, dim=dim) * reverse_cumsum(where(before, 0, grad * tail), dim)
        return part_before + where(first, at_first, 0)


def _cumprod_gradient_by_products(x: Any, grad: Any, dim: int) -> Any:
    """The gradient of cumprod as a differentiable function of ``x``, zeros included (PyTorch
    takes this path for double backward too): ``sum over k >= i of grad[k] * prod(x[j] for j <= k,
    j != i)``, from the cumprods of the n rows ``x`` with its i-th entry set to 1. O(n^2) memory
    per slice, so only used under ``create_graph``. After the first zero the gradient is 0 but
    its derivative with respect to that zero is not, which is what the O(n) formula loses."""
    xp, n = x.backend.xp, x.shape[dim]
    last = x.transpose(dim, -1)  # (..., n)
    rows = where(xp.eye(n, dtype=bool), 1.0, last.unsqueeze(-2))  # (..., n, n): row i has x_i = 1
    products = Cumprod.apply(rows, dim=rows.ndim - 1)  # [..., i, k] = prod(x_j, j <= k, j != i)
    later = xp.arange(n)[None, :] >= xp.arange(n)[:, None]  # k >= i
    total = where(later, products * grad.transpose(dim, -1).unsqueeze(-2), 0.0).sum(-1)
    return total.transpose(dim, -1)


def _running(xp, array, dim: int, combine) -> Any:
    """An inclusive scan with the elementwise ``combine`` (``maximum``...): the ufunc's own
    ``accumulate`` where the array library has one (NumPy), else by doubling strides (Hillis and
    Steele): log2(n) passes of whole-array ops, on any backend."""
    accumulate = getattr(combine, "accumulate", None)
    if accumulate is not None:
        return accumulate(array, axis=dim)
    out = array.copy()
    n, stride = array.shape[dim], 1
    while stride < n:
        later = _along(array.ndim, dim, slice(stride, None))
        earlier = _along(array.ndim, dim, slice(None, n - stride))
        out[later] = combine(out[later], out[earlier])
        stride *= 2
    return out


class CumulativeExtremum(Primitive):
    """``cummax`` / ``cummin`` along ``dim``: the running extremum and where it was last reached
    (a later tie takes over, a NaN wins and stays, as PyTorch).

    Each input cell ``j`` that is reached is copied to a run of outputs ``j .. next - 1`` (up to
    the next reached cell), so its gradient is the sum of ``grad`` over that run: a difference
    of the reverse cumulative sum, read at ``j`` and at ``next``. No scatter is needed.
    """

    name = "cumulative_extremum"

    @staticmethod
    def forward(ctx, a, *, dim, op):
        xp = ctx.xp
        running = _running(xp, a, dim, xp.maximum if op == "cummax" else xp.minimum)
        n = a.shape[dim]
        positions = xp.arange(n).reshape((-1,) + (1,) * (a.ndim - 1 - dim))
        reached = a == running
        if a.dtype.kind == "f":
            reached = reached | (a != a)
        index = _running(xp, xp.where(reached, positions, 0).astype(xp.int64), dim, xp.maximum)
        reached = index == positions  # the cells whose value is copied forward (ties: the last)
        # next[j]: the first reached cell after j (n if none): a reverse running minimum
        later = xp.where(reached, positions, n).astype(xp.int64)
        shifted = xp.concatenate([later[_along(a.ndim, dim, slice(1, None))],
                                  xp.full_like(later[_along(a.ndim, dim, slice(0, 1))], n)], axis=dim)
        flipped = _running(xp, shifted[_along(a.ndim, dim, slice(None, None, -1))], dim, xp.minimum)
        following = flipped[_along(a.ndim, dim, slice(None, None, -1))]
        ctx.save_for_backward(ctx.constant(reached), ctx.constant(following))
        return running, index

    @staticmethod
    def backward(ctx, grad, grad_index):
        from minigrad.ops.composite import cat
        from minigrad.tensor import Tensor

        reached, following = ctx.saved_tensors
        dim, xp = ctx.attrs["dim"], ctx.xp
        total = reverse_cumsum(grad, dim)  # total[k] = sum of grad[k:]
        padded = cat([total, total[_along(grad.ndim, dim, slice(0, 1))] * 0], dim)  # total[n] = 0
        grid = [xp.arange(n).reshape((n,) + (1,) * (grad.ndim - 1 - i)) for i, n in enumerate(grad.shape)]
        grid[dim] = following._array
        after_run = padded[tuple(Tensor._make(g, grad.backend) for g in grid)]
        return where(reached._array, total - after_run, 0.0)


def cumulative_extremum(x: Any, dim: int, op: str) -> ValuesIndices:
    """``(values, indices)`` of ``cummax`` / ``cummin`` (see :class:`CumulativeExtremum`)."""
    from minigrad.tensor import Tensor

    if x.ndim == 0:
        return ValuesIndices(x * 1, Tensor._make(x.backend.xp.zeros((), dtype=x.backend.xp.int64), x.backend))
    if x.numel() == 0:
        return ValuesIndices(x * 1, Tensor._make(x.backend.xp.zeros(x.shape, dtype=x.backend.xp.int64), x.backend))
    values, indices = CumulativeExtremum.apply(x, dim=dim, op=op)
    return ValuesIndices(values, indices)


def logcumsumexp(x: Any, dim: int, logaddexp) -> Any:
    """``log(cumsum(exp(x)))`` without overflow: a doubling scan of ``logaddexp``."""
    from minigrad.ops.composite import cat

    if x.ndim == 0:
        return x * 1
    out, n, stride = x, x.shape[dim], 1
    while stride < n:
        head = out[_along(x.ndim, dim, slice(None, stride))]
        later = out[_along(x.ndim, dim, slice(stride, None))]
        earlier = out[_along(x.ndim, dim, slice(None, n - stride))]
        out = cat([head, logaddexp(later, earlier)], dim)
        stride *= 2
    return out * 1 if out is x else out
