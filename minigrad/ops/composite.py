"""Ops composed from primitives. They need no backward of their own: the graph of the
primitives they call is differentiated, to any order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from minigrad.ops import elementwise, reduction, shape


class ValuesIndices(NamedTuple):
    """What ``max(dim)`` and ``min(dim)`` return, as PyTorch's named tuple."""

    values: Any
    indices: Any


def infer_shape(old: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...]:
    """Fill in one ``-1`` in a reshape target."""
    if sum(1 for n in new if n == -1) > 1 or any(n < -1 for n in new):
        raise RuntimeError(f"invalid shape {list(new)}: only one dimension can be -1")
    known = 1
    for n in new:
        if n != -1:
            known *= n
    total = 1
    for n in old:
        total *= n
    if known == 0 or total % known:
        raise RuntimeError(f"shape {list(new)} is invalid for input of size {total} (shape {list(old)})")
    return tuple(total // known if n == -1 else n for n in new)


def mean(x, dim=None, keepdim=False):
    if x.dtype.kind != "f":
        raise RuntimeError(f"mean needs a floating-point tensor, got {x.dtype}: call .float() first")
    dims = reduction.normalize_dims(dim, x.ndim)
    count = x.numel() if dims is None else _count(x.shape, dims)
    return x.sum(dims, keepdim) / count


def var(x, dim=None, correction=1, keepdim=False):
    dims = reduction.normalize_dims(dim, x.ndim)
    count = x.numel() if dims is None else _count(x.shape, dims)
    centered = x - mean(x, dims, True)
    return (centered * centered).sum(dims, keepdim) / max(count - correction, 0)


def _count(shape_: tuple[int, ...], dims: tuple[int, ...]) -> int:
    result = 1
    for d in dims:
        result *= shape_[d]
    return result


def log_softmax(x, dim):
    # Subtract the max first (a constant: softmax is shift-invariant) so exp cannot overflow.
    shifted = x - x.detach().amax(dim, keepdim=True)
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def softmax(x, dim):
    e = (x - x.detach().amax(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def maximum(a, b):
    """Elementwise max; where equal, the gradient is split in half (as PyTorch)."""
    return _pick(a, b, a._array > b._array)


def minimum(a, b):
    return _pick(a, b, a._array < b._array)


def _pick(a, b, a_wins):
    a, b = a._promoted(b)
    tie = a._array == b._array
    picked = elementwise.where(a_wins, a, b)
    if not tie.any():
        return picked
    return elementwise.where(tie, (a + b) * 0.5, picked)


def cat(tensors: Sequence[Any], dim: int = 0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    ndim = tensors[0].ndim
    dim = dim % max(ndim, 1)
    for t in tensors[1:]:
        if t.ndim != ndim or any(t.shape[i] != tensors[0].shape[i] for i in range(ndim) if i != dim):
            raise RuntimeError(
                f"cat: tensors must have the same shape except in dim {dim}, got "
                f"{[tuple(t.shape) for t in tensors]}"
            )
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dtype:
            raise TypeError(f"cat: all tensors need one dtype, got {dtype} and {t.dtype}")
    return shape.Cat.apply(*tensors, dim=dim)


def stack(tensors: Sequence[Any], dim: int = 0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, got {[tuple(t.shape) for t in tensors]}"
            )
    dim = dim % (tensors[0].ndim + 1)
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def pad(x, pad: Sequence[int], mode: str = "constant", value: float = 0.0):
    """PyTorch's ``F.pad``: ``pad`` lists (left, right) pairs from the LAST dimension backwards.

    ``constant`` is a primitive; ``reflect``, ``replicate`` and ``circular`` are gathers with
    integer indices, so their gradients (scatter-adds) come from indexing for free.
    """
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(
            f"pad must hold (before, after) pairs for at most {x.ndim} dims, got {tuple(pad)}"
        )
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    widths = [(0, 0)] * (x.ndim - len(pairs)) + list(reversed(pairs))
    if mode == "constant":
        if any(before < 0 or after < 0 for before, after in widths):
            raise ValueError(f"negative padding {tuple(pad)} is not supported")
        if all(before == 0 and after == 0 for before, after in widths):
            return x
        return shape.ConstantPad.apply(x, widths=tuple(widths), value=value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"unknown padding mode {mode!r}: use constant, reflect, replicate or circular")
    xp = x.backend.xp
    result = x
    for axis, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        size = x.shape[axis]
        if mode == "reflect" and (before >= size or after >= size):
            raise ValueError(
                f"reflect padding ({before}, {after}) must be smaller than the dimension's size {size}"
            )
        if mode == "circular" and (before > size or after > size):
            raise ValueError(
                f"circular padding ({before}, {after}) must be at most the dimension's size {size}"
            )
        positions = xp.arange(-before, size + after)
        if mode == "reflect":
            period = 2 * (size - 1) if size > 1 else 1
            positions = xp.abs(positions) % period
            positions = xp.where(positions >= size, period - positions, positions)
        elif mode == "replicate":
            positions = xp.clip(positions, 0, size - 1)
        else:
            positions = positions % size
        index = (slice(None),) * axis + (positions,)
        result = result[index]
    return result
