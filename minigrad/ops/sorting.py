# ruff: noqa: A002  (PyTorch's argument names: input, ...)
"""Sorting and order statistics with PyTorch's signatures: sort, argsort, msort, topk,
kthvalue, median, nanmedian, mode, unique, unique_consecutive; searchsorted, bucketize, bincount.

The order is found on the raw arrays (a stable sort: equal elements keep their order, as
PyTorch's ``stable=True``; NaN counts as the largest value, as PyTorch's); the values are then
read out of the input at those indices (``gather``), so gradients flow exactly to the returned
indices and differentiate again.
"""

from __future__ import annotations

from typing import Any

from minigrad.errors import DTypeError, UnsupportedDTypeError
from minigrad.ops.composite import ValuesIndices, dim_in_range
from minigrad.ops.gather_scatter import gather


def _tensor():
    from minigrad.tensor import Tensor

    return Tensor


def _order(xp, array, axis: int, descending: bool):
    """Stable argsort along ``axis``; descending keeps equal elements in their original order
    (sort the reversed array ascending, reverse the result, map the positions back)."""
    if array.dtype.kind == "b":
        array = array.astype(xp.uint8)
    if not descending:
        return xp.argsort(array, axis=axis, kind="stable")
    n = array.shape[axis]
    flipped = xp.flip(array, axis=axis)
    order = xp.flip(xp.argsort(flipped, axis=axis, kind="stable"), axis=axis)
    return n - 1 - order


def _dim(input, dim: int, op: str) -> int:
    return dim_in_range(dim, input.ndim, op)


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """``(values, indices)`` sorted along ``dim`` (always stable here: ``stable=False`` allows
    any order of ties in PyTorch, and the stable one is such an order)."""
    tensor = _tensor()
    dim = _dim(input, dim, "sort")
    if input.ndim == 0:
        return ValuesIndices(input * 1 if input.requires_grad else tensor._make(input._array.copy(), input.backend),
                             tensor._make(input.backend.xp.zeros((), dtype=input.backend.xp.int64), input.backend))
    order = _order(input.backend.xp, input._array, dim, descending).astype(input.backend.xp.int64)
    indices = tensor._make(order, input.backend)
    return ValuesIndices(gather(input, dim, indices), indices)


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """The indices that sort ``input`` along ``dim`` (int64)."""
    return sort(input, dim, descending, stable=stable).indices


def _no_bool_kernel(input, op: str, kernel: str) -> None:
    """PyTorch has no bool kernel for these (NotImplementedError, its class)."""
    if input.dtype.kind == "b":
        raise UnsupportedDTypeError(
            f"{op}: \"{kernel}\" not implemented for 'Bool' (as PyTorch); convert with .int() first"
        )


def msort(input):
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their indices,
    in sorted order (also for ``sorted=False``, which lets PyTorch return any order)."""
    if input.dtype.kind == "b":
        raise DTypeError("topk: topk does not support bool dtypes on CPU (as PyTorch); convert with .int() first")
    dim = _dim(input, dim, "topk")
    size = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, dim {dim} has size {size})")
    values, indices = sort(input, dim, descending=largest)
    if input.ndim == 0:
        return ValuesIndices(values, indices)
    key = (slice(None),) * dim + (slice(0, k),)
    return ValuesIndices(values[key], indices[key])


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
    _no_bool_kernel(input, "kthvalue", "kthvalue_cpu")
    dim = _dim(input, dim, "kthvalue")
    size = input.shape[dim] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _pick(input, dim, keepdim, lambda n, xp, counted: xp.full(counted.shape, k - 1))


def _pick(input, dim: int, keepdim: bool, position):
    """The element at sorted position ``position(n, xp, nan_counts)`` along ``dim``, with index."""
    tensor = _tensor()
    xp = input.backend.xp
    source = input.reshape(1) if input.ndim == 0 else input
    order = _order(xp, source._array, dim, False).astype(xp.int64)
    counted = (xp.isnan(source._array).sum(axis=dim, keepdims=True) if source.dtype.kind == "f"
               else xp.zeros([1 if d == dim else n for d, n in enumerate(source.shape)], dtype=xp.int64))
    where = position(source.shape[dim], xp, counted).astype(xp.int64)
    indices = xp.take_along_axis(order, where, axis=dim)
    index = tensor._make(indices, input.backend)
    values = gather(source, dim, index)
    if not keepdim or input.ndim == 0:
        values, index = values.squeeze(dim), tensor._make(indices.squeeze(axis=dim), input.backend)
    return ValuesIndices(values, index)


def _lower_median_position(n, xp, nan_counts):
    """The lower median's sorted position; a row with NaN gives its first NaN (NaN sorts last)."""
    return xp.where(nan_counts > 0, n - nan_counts, (n - 1) // 2)


def _spread_over_ties(input, position):
    """The global median: its value, with the gradient shared evenly between every element equal
    to it (NaN equal to NaN), as PyTorch's ``median()`` without ``dim``; NaN for no elements."""
    from minigrad.ops.elementwise import where

    tensor = _tensor()
    if input.numel() == 0:
        return input.new_full((), float("nan"))
    picked = _pick(input.reshape(-1), 0, False, position).values
    if input.dtype.kind != "f":
        return picked
    xp = input.backend.xp
    value = picked._array
    equal = (input._array == value) | (xp.isnan(input._array) & xp.isnan(value))
    mask = tensor._make(equal, input.backend)
    return where(mask, input, input.new_zeros(())).sum() / int(equal.sum())


def median(input, dim: Any = None, keepdim: bool = False):
    """No ``dim``: the lower median of all elements (0-d; NaN if any is NaN). With ``dim``:
    ``(values, indices)`` of the lower median along ``dim``."""
    _no_bool_kernel(input, "median", "median_cpu" if dim is None else "median_out")
    if dim is None:
        return _spread_over_ties(input, _lower_median_position)
    dim = _dim(input, dim, "median")
    if input.ndim and input.shape[dim] == 0:
        raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
    return _pick(input, dim, keepdim, _lower_median_position)


def nanmedian(input, dim: Any = None, keepdim: bool = False):
    """``median`` ignoring NaN (NaN only where every element is NaN)."""
    def position(n, xp, nan_counts):
        return xp.where(nan_counts == n, 0, (n - nan_counts - 1) // 2)

    if dim is None:
        return _spread_over_ties(input, position)
    dim = _dim(input, dim, "nanmedian")
    if input.ndim and input.shape[dim] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {dim} to have non-zero size.")
    return _pick(input, dim, keepdim, position)


def mode(input, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence, as PyTorch's CPU kernel."""
    tensor = _tensor()
    xp = input.backend.xp
    dim = _dim(input, dim, "mode")
    source = input.reshape(1) if input.ndim == 0 else input
    n = source.shape[dim]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {dim} to have non-zero size.")
    moved = xp.moveaxis(source._array, dim, -1)
    order = xp.argsort(moved, axis=-1, kind="stable")
    ordered = xp.take_along_axis(moved, order, axis=-1)
    # Runs of equal values in each sorted row; flattened, every row starts a run too, so one
    # cumsum numbers the runs of all rows and a diff of their starts gives their lengths.
    starts = xp.concatenate([xp.ones(ordered.shape[:-1] + (1,), dtype=bool), ordered[..., 1:] != ordered[..., :-1]], -1)
    flat_starts = starts.reshape(-1)
    run_of = xp.cumsum(flat_starts) - 1
    first = xp.nonzero(flat_starts)[0]
    lengths = xp.diff(xp.concatenate([first, xp.asarray([flat_starts.size])]))
    length = lengths[run_of].reshape(starts.shape)
    # argmax: the first element of the longest run, i.e. of the smallest value among equally
    # frequent ones; stable sorting put that value's last occurrence at the run's end.
    best = xp.argmax(length, axis=-1)[..., None]
    run_end = best + xp.take_along_axis(length, best, axis=-1) - 1
    index = xp.moveaxis(xp.take_along_axis(order, run_end, axis=-1), -1, dim)
    index_tensor = tensor._make(index.astype(xp.int64), input.backend)
    values = gather(source, dim, index_tensor)
    if not keepdim or input.ndim == 0:
        values = values.squeeze(dim)
        index_tensor = tensor._make(index.astype(xp.int64).squeeze(axis=dim), input.backend)
    return ValuesIndices(values, index_tensor)


def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
           dim: int | None = None):
    """The distinct values (sorted, as PyTorch's CPU kernel even for ``sorted=False``), or the
    distinct slices along ``dim``; optionally where each element went and how often each occurs.
    Not differentiable (as in PyTorch)."""
    tensor = _tensor()
    xp, backend = input.backend.xp, input.backend
    if dim is None:
        values, inverse, counts = xp.unique(input._array.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(input.shape)
    else:
        dim = _dim(input, dim, "unique")
        values, inverse, counts = xp.unique(input._array, return_inverse=True, return_counts=True, axis=dim)
        inverse = inverse.reshape(-1)
    return _unique_result(tensor, backend, values, inverse, counts, return_inverse, return_counts)


def _unique_result(tensor, backend, values, inverse, counts, return_inverse, return_counts):
    xp = backend.xp
    out = [tensor._make(values, backend)]
    if return_inverse:
        out.append(tensor._make(inverse.astype(xp.int64), backend))
    if return_counts:
        out.append(tensor._make(counts.astype(xp.int64), backend))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None):
    """Collapse runs of equal consecutive elements (or slices along ``dim``) to one."""
    tensor = _tensor()
    xp, backend = input.backend.xp, input.backend
    if dim is None:
        array = input._array.reshape(-1)
        axis = 0
    else:
        axis = _dim(input, dim, "unique_consecutive")
        array = input._array
    n = array.shape[axis] if array.ndim else 1
    moved = xp.moveaxis(array, axis, 0).reshape(n, -1) if array.ndim else array.reshape(1, 1)
    if n == 0:
        starts = xp.zeros(0, dtype=bool)
    else:
        differs = (moved[1:] != moved[:-1]).any(axis=1) if moved.shape[1] else xp.zeros(n - 1, dtype=bool)
        starts = xp.concatenate([xp.ones(1, dtype=bool), differs])
    first = xp.nonzero(starts)[0]
    values = xp.take(array, first, axis=axis) if array.ndim else array.reshape(1)
    inverse = xp.cumsum(starts) - 1
    if dim is None:
        inverse = inverse.reshape(input.shape)
    counts = xp.diff(xp.concatenate([first, xp.asarray([n])]))
    return _unique_result(tensor, backend, values, inverse, counts, return_inverse, return_counts)


# --- searching and counting (not differentiable, as in PyTorch) ---------------------------------
def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,  # noqa: A002
                 side: str | None = None, sorter=None):
    """Where each value of ``input`` would be inserted into the sorted last dim of
    ``sorted_sequence`` to keep it sorted (before equal values; after them with ``right=True``
    or ``side='right'``). A 1-D sequence serves every value; an N-D one is searched row by row
    (its leading dims match ``input``'s)."""
    tensor = _tensor()
    backend = sorted_sequence.backend
    xp = backend.xp
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    sequence = sorted_sequence._array
    if sorter is not None:
        sequence = xp.take_along_axis(sequence, sorter._array, axis=-1)
    scalar = not isinstance(input, tensor)
    values = xp.asarray(input) if scalar else input._array
    if sequence.ndim == 1:
        positions = xp.searchsorted(sequence, values, side="right" if right else "left")
    else:
        if scalar or sequence.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
                f"{list(sequence.shape)} and input value tensor {list(values.shape)}"
            )
        # Row by row: how many of the row's entries lie before (or at, for right) each value.
        rows, points = sequence[..., None, :], values[..., :, None]
        positions = ((rows <= points) if right else (rows < points)).sum(axis=-1)
    return tensor._make(xp.asarray(positions).astype(xp.int32 if out_int32 else xp.int64), backend)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):  # noqa: A002
    """The bucket of each value: ``i`` with ``boundaries[i-1] < x <= boundaries[i]`` (``<=``
    and ``<`` swapped with ``right=True``); ``boundaries`` is 1-D and sorted."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input, weights=None, minlength: int = 0):  # noqa: A002
    """How often each value ``0..max`` occurs in the 1-D non-negative integer ``input`` (at least
    ``minlength`` counts); with ``weights``, their sums instead (float32 weights stay float32,
    others give float64, as PyTorch)."""
    from minigrad.errors import UnsupportedDTypeError

    tensor = _tensor()
    xp, backend = input.backend.xp, input.backend
    if input.dtype.kind not in "iu":
        raise UnsupportedDTypeError(f'"bincount_cpu" not implemented for \'{input.dtype}\'')
    if input.ndim != 1 or (input.numel() and bool((input._array < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError(f"minlength should be >= 0, got {minlength}")
    length = max(int(input._array.max()) + 1 if input.numel() else 0, minlength)
    if weights is None:
        counts = xp.zeros(length, dtype=xp.int64)
        backend.scatter_add(counts, input._array, xp.ones(input.shape, dtype=xp.int64))
        return tensor._make(counts, backend)
    if weights.shape != input.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = weights.dtype if weights.dtype == xp.float32 else xp.float64
    sums = xp.zeros(length, dtype=dtype)
    backend.scatter_add(sums, input._array, weights._array.astype(dtype))
    return tensor._make(sums, backend)
