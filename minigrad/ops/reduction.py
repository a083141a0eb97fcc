"""Reductions: sum and max/min over dimensions. Mean, var, softmax and friends are composed
from these in ``minigrad.ops.composite``."""

from __future__ import annotations

import operator

from minigrad.autograd.function import Primitive
from minigrad.errors import EmptyReductionError


def normalize_dims(dim, ndim: int) -> tuple[int, ...] | None:
    """``None`` (all dims), an int or a tuple, negative allowed, as a sorted tuple of positives.

    A 0-d tensor accepts dim 0 and -1, as in PyTorch, and has no dim to reduce: ``()``.
    """
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    result = []
    for d in map(operator.index, dims):  # NumPy integers work too
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"dimension {d} is out of range for a tensor with {ndim} dimensions "
                f"(expected a value in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])"
            )
        result.append(d % max(ndim, 1))
    return tuple(sorted(set(result))) if ndim else ()


def kept_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape of a reduction with ``keepdim=True``."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


class Sum(Primitive):
    name = "sum"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False):
        return a.sum(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.inputs[0].shape
        dims = ctx.attrs["dim"]
        return grad.reshape(kept_shape(shape, dims)).expand(shape)


def _extremum_forward(ctx, a, reduce, dim, keepdim, nan_wins=False):
    empty = [n for i, n in enumerate(a.shape) if n == 0 and (dim is None or i in dim)]
    if empty:
        raise EmptyReductionError(
            f"{ctx.name}(): Expected reduction dim to have non-zero size: the maximum or minimum of "
            f"no elements is undefined (input of shape {list(a.shape)}, dim {dim})"
        )
    out = reduce(a, axis=dim, keepdims=True)
    hit = a == out
    if nan_wins and a.dtype.kind == "f":
        # max()/min() of everything: a NaN result sends the gradient to the NaNs (PyTorch's
        # evenly_distribute_backward); amax/amin give NaN everywhere there (0 hits / 0).
        hit |= ctx.xp.isnan(a) & ctx.xp.isnan(out)
    share = hit / hit.sum(axis=dim, keepdims=True)  # ties split the gradient equally
    ctx.save_for_backward(ctx.constant(share.astype(a.dtype, copy=False)))
    return out if keepdim else out.squeeze(axis=dim)


def _extremum_backward(ctx, grad):
    (share,) = ctx.saved_tensors
    return grad.reshape(kept_shape(share.shape, ctx.attrs["dim"])) * share


class Amax(Primitive):
    """Maximum over ``dim``; ties share the gradient equally (PyTorch's ``amax``)."""

    name = "amax"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False, nan_wins=False):
        return _extremum_forward(ctx, a, ctx.xp.max, dim, keepdim, nan_wins)

    backward = staticmethod(_extremum_backward)


class Amin(Primitive):
    """Minimum over ``dim``; ties share the gradient equally (PyTorch's ``amin``)."""

    name = "amin"

    @staticmethod
    def forward(ctx, a, *, dim=None, keepdim=False, nan_wins=False):
        return _extremum_forward(ctx, a, ctx.xp.min, dim, keepdim, nan_wins)

    backward = staticmethod(_extremum_backward)
