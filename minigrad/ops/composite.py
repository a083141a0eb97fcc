"""Ops composed from primitives. They need no backward of their own: the graph of the
primitives they call is differentiated, to any order."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

from minigrad.backends.dtypes import result_type
from minigrad.errors import ArgumentError, EmptyReductionError, ShapeError, UnsupportedDTypeError
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


def _refuse_integers(x, op):
    if x.dtype.kind not in "fc":
        raise UnsupportedDTypeError(f'{op}: "{op}" is not implemented for {x.dtype} (as PyTorch); call .float() first')


def log_softmax(x, dim):
    _refuse_integers(x, "log_softmax")
    if x.numel() == 0:
        dim_in_range(dim, x.ndim, "log_softmax")
        return x.clone()  # nothing to normalise (PyTorch returns the empty tensor)
    if x.dtype.kind == "f":  # one primitive (the same arithmetic as the composed form below)
        from minigrad.ops.classification import LogSoftmax

        axis = dim_in_range(dim, x.ndim, "log_softmax")
        return LogSoftmax.apply(x, dim=axis if x.ndim else None)
    # Subtract the max first (a constant: softmax is shift-invariant) so exp cannot overflow.
    shifted = x - x.detach().amax(dim, keepdim=True)
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def softmax(x, dim):
    _refuse_integers(x, "softmax")
    if x.numel() == 0:
        dim_in_range(dim, x.ndim, "softmax")
        return x.clone()
    e = (x - x.detach().amax(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def maximum(a, b):
    """Elementwise max, PyTorch's ``maximum`` (the gradient rule: ``elementwise.Maximum``)."""
    return _pick(a, b, "maximum")


def minimum(a, b):
    """Elementwise min, PyTorch's ``minimum`` (the gradient rule: ``elementwise.Minimum``)."""
    return _pick(a, b, "minimum")


def _pick(a, b, op):
    from minigrad.tensor import Tensor

    if not isinstance(b, Tensor):
        raise TypeError(f"{op}(): argument 'other' must be Tensor, not {type(b).__name__}")
    a, b = a._promoted(b, op)
    # _promoted leaves a bool operand uncast (NumPy computes x * mask in x's dtype); here the
    # halves of a tie would be computed in float32, so cast both to the result dtype.
    dtype = result_type(a, b)
    a, b = a.to(dtype), b.to(dtype)
    xp = a.backend.xp
    if a.dtype.kind not in "fc":  # integers and booleans: no gradient, no ties to split
        return Tensor._make(getattr(xp, op)(a._array, b._array), a.backend)
    return (elementwise.Maximum if op == "maximum" else elementwise.Minimum).apply(a, b)


def extremum_with_index(x, dim, keepdim, op):
    """``max(dim)`` / ``min(dim)``: ``(values, indices)``, as PyTorch's named tuple.

    Unlike ``amax``, which splits the gradient between ties, the gradient goes only to the
    returned index (the first of the ties, as PyTorch's CPU kernel; a NaN wins): the values are
    read out of ``x`` at the indices, so their gradient is a scatter to exactly those cells.
    """
    from minigrad.tensor import Tensor

    (dim,) = reduction.normalize_dims(dim, x.ndim) or (None,)
    xp = x.backend.xp
    if dim is None:  # a 0-d tensor: its value, at index 0
        return ValuesIndices(x.clone(), Tensor._make(xp.zeros((), dtype=xp.int64), x.backend))
    if x.shape[dim] == 0:
        raise EmptyReductionError(f"{op}(): Expected reduction dim {dim} to have non-zero size (shape {list(x.shape)})")
    find = xp.argmax if op == "max" else xp.argmin
    index = find(x._array, axis=dim, keepdims=True)
    grid = [xp.arange(n).reshape((n,) + (1,) * (x.ndim - 1 - i)) for i, n in enumerate(x.shape)]
    grid[dim] = index
    values = x[tuple(Tensor._make(g, x.backend) for g in grid)]
    if not keepdim:
        values, index = values.squeeze(dim), index.squeeze(axis=dim)
    return ValuesIndices(values, Tensor._make(index, x.backend))


def dim_in_range(dim: int, ndim: int, op: str) -> int:
    """``dim`` (negative counts from the end) as a position in ``range(ndim)``; IndexError,
    PyTorch's class and message, when it is out of range (it never wraps around). A 0-d tensor
    accepts 0 and -1, as in PyTorch."""
    dim, ndim = operator.index(dim), max(ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})"
        )
    return dim % ndim


def cat(tensors: Sequence[Any], dim: int = 0):
    """Join tensors along an existing dim; their dtypes are promoted as PyTorch's (int and float
    give the float)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for position, t in enumerate(tensors):
        if t.ndim == 0:
            raise ShapeError(f"cat: zero-dimensional tensor (at position {position}) cannot be concatenated; use stack")
    ndim = tensors[0].ndim
    dim = dim_in_range(dim, ndim, "cat")
    for position, t in enumerate(tensors[1:], start=1):
        if t.ndim != ndim or any(t.shape[i] != tensors[0].shape[i] for i in range(ndim) if i != dim):
            raise ShapeError(
                f"cat: Sizes of tensors must match except in dimension {dim}, but tensor {position} has "
                f"shape {list(t.shape)} and tensor 0 {list(tensors[0].shape)}"
            )
    dtype = result_type(*tensors)
    tensors = [t if t.dtype == dtype else shape.Cast.apply(t, dtype=dtype) for t in tensors]
    return shape.Cat.apply(*tensors, dim=dim)


def stack(tensors: Sequence[Any], dim: int = 0):
    """Join equal-shaped tensors along a new dim ``dim`` (in ``[-ndim - 1, ndim]``)."""
    tensors = list(tensors)
    if not tensors:
        raise ArgumentError("stack expects a non-empty TensorList")
    for position, t in enumerate(tensors[1:], start=1):
        if t.shape != tensors[0].shape:
            raise ShapeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at entry 0 "
                f"and {list(t.shape)} at entry {position}"
            )
    dim = dim_in_range(dim, tensors[0].ndim + 1, "stack")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def pad(x, pad: Sequence[int], mode: str = "constant", value: float = 0.0):
    """PyTorch's ``F.pad``: ``pad`` lists (left, right) pairs from the LAST dimension backwards.

    Negative widths crop, in every mode, as PyTorch. ``constant`` crops (a slice), then pads
    (a primitive); ``reflect`` and ``replicate`` read the input at positions ``-left`` to
    ``size + right`` mapped back into it; ``circular`` crops first, then wraps around what is
    left. The last three are gathers with integer indices, so their gradients (scatter-adds)
    come from indexing for free. They pad the last 1 to 3 dims of a ``(N, C, ...)`` or
    ``(C, ...)`` input.
    """
    try:
        pad = [operator.index(p) for p in pad]
    except TypeError:
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}") from None
    if len(pad) % 2:
        raise ArgumentError(f"pad: Padding length must be divisible by 2, got {len(pad)} values {tuple(pad)}")
    if len(pad) // 2 > x.ndim:
        raise ArgumentError(
            "pad: Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {x.ndim}"
        )
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    widths = [(0, 0)] * (x.ndim - len(pairs)) + list(reversed(pairs))
    if mode == "constant":
        return _constant_pad(x, widths, value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad: Unrecognised padding mode {mode!r}: use constant, reflect, replicate or circular"
        )
    if len(pairs) > 3 or x.ndim not in (len(pairs) + 1, len(pairs) + 2):
        raise NotImplementedError(
            f"pad: padding size {len(pad)} is not supported for {x.ndim}-D input in {mode} mode: it pads "
            "the last 1, 2 or 3 dims of a batched (N, C, ...) or unbatched (C, ...) input "
            "(2 values for a 2-D or 3-D input, 4 for 3-D or 4-D, 6 for 4-D or 5-D)"
        )
    if mode != "circular":
        _check_reflect_replicate_sizes(x.shape, widths, len(pairs), mode)
    xp = x.backend.xp
    result = x
    for axis, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        size = x.shape[axis]
        if mode == "circular":
            positions = _circular_positions(xp, size, before, after, axis)
        else:
            if mode == "reflect" and (before >= size or after >= size):
                raise ArgumentError(
                    f"pad: Padding size should be less than the corresponding input dimension, but "
                    f"got padding ({before}, {after}) at dimension {axis} of input {list(x.shape)}"
                )
            positions = xp.arange(-before, size + after)
            if mode == "reflect":
                period = 2 * (size - 1) if size > 1 else 1
                positions = xp.abs(positions) % period
                positions = xp.where(positions >= size, period - positions, positions)
            else:
                positions = xp.clip(positions, 0, size - 1)
        index = (slice(None),) * axis + (positions,)
        result = result[index]
    return result


def _check_reflect_replicate_sizes(sizes, widths, padded: int, mode: str) -> None:
    """PyTorch's rule, odd as it is: a 1-D pad needs an output of at least 1; 2-D and 3-D pads
    need at least ONE padded dim of size >= 1 (the others may be cropped to 0), none negative."""
    outputs = [size + before + after for size, (before, after) in zip(sizes[-padded:], widths[-padded:])]
    if min(outputs) < 0 or max(outputs) < 1 or (padded == 1 and outputs[0] < 1):
        raise ArgumentError(
            f"pad: input (sizes {list(sizes[-padded:])} in the padded dims) is too small for {mode} "
            f"padding {[w for w in widths[-padded:]]}: calculated output sizes {outputs}"
        )


def _constant_pad(x, widths, value):
    """Crop where a width is negative (a slice, a view), then pad where it is positive."""
    crop = []
    for axis, ((before, after), size) in enumerate(zip(widths, x.shape)):
        start, stop = max(-before, 0), size - max(-after, 0)
        if stop < start:
            raise ArgumentError(
                f"pad: cropping ({before}, {after}) from dim {axis} of size {size} leaves a negative "
                f"size {stop - start}"
            )
        crop.append(slice(start, stop))
    if any(before < 0 or after < 0 for before, after in widths):
        x = x[tuple(crop)]
    grow = tuple((max(before, 0), max(after, 0)) for before, after in widths)
    if all(before == 0 and after == 0 for before, after in grow):
        return x
    return shape.ConstantPad.apply(x, widths=grow, value=value)


def _circular_positions(xp, size: int, before: int, after: int, axis: int):
    """Circular padding as PyTorch: crop the negative widths, then wrap around what is left
    (at most once: a width larger than the cropped size is refused)."""
    start, stop = max(-before, 0), size - max(-after, 0)
    kept = stop - start
    if max(before, 0) > kept or max(after, 0) > kept or kept < 0:
        raise ArgumentError(
            f"pad: Padding value causes wrapping around more than once: circular padding "
            f"({before}, {after}) of dim {axis}, whose size after cropping is {max(kept, 0)}"
        )
    if kept == 0:
        return xp.arange(0)
    return start + xp.arange(-max(before, 0), kept + max(after, 0)) % kept
