# ruff: noqa: A002  (PyTorch's argument names: input, ...)
"""Reading and writing through index tensors and masks, with PyTorch's signatures and errors:
gather, scatter (and its reductions), index_select/add/copy/fill, masked_fill/scatter/select,
nonzero, take, take_along_dim, put.

Every op is a composite: a gather is advanced indexing (``getitem``, whose gradient is a
scatter-add), a scatter-add is ``index_add_into``, a scatter that overwrites is ``index_put``,
so gradients (and their gradients) come from those primitives. Indices are checked here, not
wrapped around: NumPy would read ``-1`` as the last element, PyTorch's gather refuses it.
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Primitive
from minigrad.errors import DTypeError, ShapeError
from minigrad.ops import elementwise, shape
from minigrad.ops.composite import dim_in_range


def _tensor():
    from minigrad.tensor import Tensor

    return Tensor


def _check_index(index: Any, op: str) -> Any:
    if not isinstance(index, _tensor()):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype.kind != "i" or index.dtype.itemsize < 4:
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {index.dtype}")
    return index


def _check_bounds(positions: Any, size: int, dim: int, op: str) -> None:
    if positions.size and (bool((positions < 0).any()) or bool((positions >= size).any())):
        bad = positions[(positions < 0) | (positions >= size)].reshape(-1)[0]
        raise RuntimeError(f"{op}(): index {int(bad)} is out of bounds for dimension {dim} with size {size}")


def _grid_key(index: Any, dim: int) -> tuple:
    """The advanced-index key reading ``x[i][j]...`` with ``index`` in place of dim ``dim``:
    ``out[i][j][k] = x[i][index[i][j][k]][k]`` for ``dim == 1`` (PyTorch's gather rule)."""
    xp = index.backend.xp
    ndim = index.ndim
    parts = []
    for d, n in enumerate(index.shape):
        if d == dim:
            parts.append(index._array)
        else:
            parts.append(xp.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1)))
    return tuple(parts)


def _as_1d(x):
    return x.reshape(1) if x.ndim == 0 else x


def _check_gather_shapes(x, dim: int, index, op: str, src=None) -> None:
    if index.ndim != max(x.ndim, 1) and not (x.ndim == 0 and index.ndim == 0):
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as input tensor")
    xs, ids = _as_1d(x).shape, _as_1d(index).shape
    for d in range(len(ids)):
        if (d != dim and ids[d] > xs[d]) or (src is not None and ids[d] > _as_1d(src).shape[d]):
            raise RuntimeError(
                f"{op}(): Expected index {list(index.shape)} to be no larger than self {list(x.shape)} apart "
                f"from dimension {dim}"
                + ("" if src is None else f" and to be no larger size than src {list(src.shape)}")
            )


def gather(input, dim: int, index, *, sparse_grad: bool = False):
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` (for ``dim == 1``); shape of ``index``."""
    _check_index(index, "gather")
    dim = dim_in_range(dim, input.ndim, "gather")
    _check_gather_shapes(input, dim, index, "gather")
    source, index1 = _as_1d(input), _as_1d(index)
    _check_bounds(index1._array, source.shape[dim], dim, "gather")
    out = source[_grid_key(index1, dim)]
    return out.reshape(()) if index.ndim == 0 else out


def _scatter_parts(input, dim: int, index, src, op: str):
    """The checked pieces of a scatter: the 1-D-at-least target, the key, and the values
    (``src`` cut to ``index``'s shape, or a scalar)."""
    _check_index(index, op)
    dim = dim_in_range(dim, input.ndim, op)
    tensor = _tensor()
    is_tensor = isinstance(src, tensor)
    if is_tensor and src.dtype != input.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype ({input.dtype} and {src.dtype})")
    _check_gather_shapes(input, dim, index, op, src if is_tensor else None)
    target, index1 = _as_1d(input), _as_1d(index)
    _check_bounds(index1._array, target.shape[dim], dim, op)
    key = _grid_key(index1, dim)
    if is_tensor:
        src = _as_1d(src)[tuple(slice(0, n) for n in index1.shape)]
    return target, key, src


def _restore(result, input):
    return result.reshape(()) if input.ndim == 0 else result


def scatter(input, dim: int, index, src: Any = None, *, value: Any = None, reduce: str | None = None):
    """``input`` with ``out[i][index[i][j]] = src[i][j]`` (dim 1); ``src`` may be a number.
    ``reduce='add'`` or ``'multiply'`` combines instead of overwriting (PyTorch's older API)."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected a `src` tensor or a `value`")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        if not isinstance(src, _tensor()):
            src = input.new_full(index.shape, src)
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    target, key, values = _scatter_parts(input, dim, index, src, "scatter")
    if not isinstance(values, _tensor()):
        values = target.new_full((), values)
    values = values.expand(_as_1d(index).shape)  # the key selects one cell per index element
    return _restore(shape.IndexPut.apply(target, values, key=key), input)


def scatter_add(input, dim: int, index, src):
    """``input`` plus ``src`` accumulated at ``index`` along ``dim`` (repeats add up)."""
    target, key, values = _scatter_parts(input, dim, index, src, "scatter_add")
    if not isinstance(values, _tensor()):
        raise TypeError("scatter_add(): argument 'src' must be Tensor")
    return _restore(target + shape.IndexAddInto.apply(values, shape=target.shape, key=key), input)


REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """Reduce ``src`` into ``input`` at ``index`` with ``sum``, ``prod``, ``mean``, ``amax`` or
    ``amin``; with ``include_self=False`` the cells that receive values forget ``input``'s.

    The gradient of ``amax``/``amin`` is shared evenly between all the values equal to the
    result, as PyTorch's (see ``_scatter_extremum``); ``mean`` on integers rounds down, as PyTorch's.
    """
    if reduce not in REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    target, key, values = _scatter_parts(input, dim, index, src, "scatter_reduce")
    if not isinstance(values, _tensor()):
        raise TypeError("scatter_reduce(): argument 'src' must be Tensor")
    tensor = _tensor()
    xp, backend = target.backend.xp, target.backend

    def scattered(v):
        return shape.IndexAddInto.apply(v, shape=target.shape, key=key)

    hits = xp.zeros(target.shape, dtype=xp.int64)
    backend.scatter_add(hits, key, xp.ones(values.shape, dtype=xp.int64))
    touched = tensor._make(hits > 0, backend)
    keep_self = tensor._make(xp.ones(target.shape, dtype=bool) if include_self else hits == 0, backend)
    base = elementwise.where(keep_self, target, target.new_zeros(()))
    if reduce == "sum":
        return _restore(base + scattered(values), input)
    if reduce == "mean":
        count = xp.where(hits > 0, hits + keep_self._array, 1).astype(target.dtype)
        total = base + scattered(values)
        if target.dtype.kind in "iub":  # PyTorch rounds an integer mean down (floor division)
            return _restore(tensor._make(xp.where(hits > 0, total._array // count, target._array), backend), input)
        return _restore(elementwise.where(touched, total / tensor._make(count, backend), target), input)
    if reduce in ("amax", "amin"):
        return _restore(_scatter_extremum(target, key, values, reduce, keep_self), input)
    return _restore(_scatter_prod(target, key, values, keep_self), input)


def _scatter_extremum(target, key, values, reduce, keep_self):
    """amax/amin: the extreme values by ``reduce_at``; the gradient is PyTorch's:
    each cell's gradient is divided by the number of its inputs equal to the result, and goes to
    each of them. PyTorch counts ``input``'s value among them even when ``include_self=False``
    (then gives it no gradient), so ties there get a smaller share; the same here."""
    tensor = _tensor()
    xp, backend = target.backend.xp, target.backend
    fill = _lowest(xp, target.dtype) if reduce == "amax" else _highest(xp, target.dtype)
    extreme = xp.where(keep_self._array, target._array, fill)
    reduce_at(xp, "maximum" if reduce == "amax" else "minimum", extreme, key, values._array)
    result = tensor._make(extreme, backend)
    if target.dtype.kind != "f" or not (target.requires_grad or values.requires_grad):
        return result
    self_is_result = target._array == extreme
    src_is_result = values._array == extreme[key]
    ties = self_is_result.astype(target.dtype)
    backend.scatter_add(ties, key, src_is_result.astype(target.dtype))
    share = tensor._make(1 / xp.where(ties == 0, 1, ties), backend)
    zero = target.new_zeros(())
    picked_self = elementwise.where(tensor._make(self_is_result & keep_self._array, backend), target, zero)
    picked_src = elementwise.where(tensor._make(src_is_result, backend), values, values.new_zeros(()))
    # Linear in the inputs with exactly those weights; its value may differ from the result (the
    # include_self=False quirk above), so only its variation is added to the exact result.
    spread = (picked_self + shape.IndexAddInto.apply(picked_src, shape=target.shape, key=key)) * share
    finite = tensor._make(xp.isfinite(spread._array), backend)
    return elementwise.where(finite, result + (spread - spread.detach()), result)


def _scatter_prod(target, key, values, keep_self):
    """prod: the product of the factors reaching each cell (``input``'s where it is kept)."""
    return ScatterProd.apply(target, values, key=key, keep_self=keep_self._array)


def reduce_at(xp, ufunc: str, target, key: tuple, values) -> None:
    """``target[key] = ufunc(target[key], values)`` in place, repeated cells combining
    (NumPy's ``ufunc.at``). Where the array library has no ``at`` for this ufunc (CuPy has no
    atomic multiply), the values are applied in passes: each pass takes at most one value per
    cell (its rank among the values of its cell), so plain indexed writes never collide."""
    at = getattr(getattr(xp, ufunc), "at", None)
    if at is not None:
        try:
            at(target, key, values)
            return
        except (NotImplementedError, TypeError):
            pass
    cells = xp.ravel_multi_index(tuple(xp.broadcast_to(part, values.shape).reshape(-1) for part in key),
                                 target.shape) if values.size else xp.zeros(0, dtype=xp.int64)
    flat_values = values.reshape(-1)
    order = xp.argsort(cells, kind="stable")
    sorted_cells = cells[order]
    starts = xp.concatenate([xp.ones(min(sorted_cells.size, 1), dtype=bool), sorted_cells[1:] != sorted_cells[:-1]])
    run_of = xp.cumsum(starts) - 1
    rank = xp.arange(sorted_cells.size) - xp.nonzero(starts)[0][run_of]  # position within the cell's run
    flat_target = target.reshape(-1)  # a view: target is a fresh contiguous array here
    combine = getattr(xp, ufunc)
    for r in range(int(rank.max()) + 1 if rank.size else 0):
        chosen = order[rank == r]
        flat_target[cells[chosen]] = combine(flat_target[cells[chosen]], flat_values[chosen])


def _lowest(xp, dtype):
    return -xp.inf if dtype.kind == "f" else (xp.iinfo(dtype).min if dtype.kind in "iu" else False)


def _highest(xp, dtype):
    return xp.inf if dtype.kind == "f" else (xp.iinfo(dtype).max if dtype.kind in "iu" else True)


class ScatterProd(Primitive):
    """scatter_reduce's ``prod`` (by the backend's ``multiply.at``).

    Backward is PyTorch's formula, written with tensor ops (so it differentiates again): the
    gradient of a factor is the product of the other factors of its cell, which is
    ``result / factor`` unless the factor is 0; a zero that is its cell's only zero among the
    values gets the product with itself replaced by 1 (computed by this same primitive).
    """

    name = "scatter_prod"

    @staticmethod
    def forward(ctx, target, values, *, key, keep_self):
        ctx.save_for_backward(ctx.input(0), ctx.input(1), ctx.output(0))
        product = ctx.xp.where(keep_self, target, ctx.xp.ones((), dtype=target.dtype))
        reduce_at(ctx.xp, "multiply", product, key, values)
        return product

    @staticmethod
    def backward(ctx, grad):
        tensor = _tensor()
        target, values, result = ctx.saved_tensors
        key, keep = ctx.attrs["key"], ctx.attrs["keep_self"]
        xp, backend = grad.backend.xp, grad.backend
        zero = grad.new_zeros(())
        grad_target = grad_values = None
        if ctx.needs_input_grad[0]:
            self_zero = tensor._make(target._array == 0, backend)
            masked_self = elementwise.where(self_zero, grad.new_ones(()), target)
            others = ScatterProd.apply(masked_self, values, key=key, keep_self=keep)
            grad_target = elementwise.where(tensor._make(keep, backend), grad * others / masked_self, zero)
        if ctx.needs_input_grad[1]:
            src_zero = values._array == 0
            zeros_per_cell = xp.zeros(target.shape, dtype=xp.int64)
            backend.scatter_add(zeros_per_cell, key, src_zero.astype(xp.int64))
            single = tensor._make(src_zero & (zeros_per_cell[key] == 1), backend)
            masked_values = elementwise.where(single, values.new_ones(()), values)
            without = ScatterProd.apply(target, masked_values, key=key, keep_self=keep)
            safe = elementwise.where(tensor._make(src_zero, backend), values.new_ones(()), values)
            grad_values = elementwise.where(single, (grad * without)[key], (grad * result)[key] / safe)
        return grad_target, grad_values


# --- index_* ----------------------------------------------------------------------------------
def _dim_index(input, dim: int, index, op: str):
    """The checked ``(dim, positions)`` of the index_* ops: a 1-D (or 0-d) integer index."""
    if not isinstance(index, _tensor()):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    if index.dtype.kind not in "i" or index.dtype.itemsize < 4:
        raise RuntimeError(f"{op}(): Expected dtype int32 or int64 for index, got {index.dtype}")
    dim = dim_in_range(dim, input.ndim, op)
    positions = index._array.reshape(-1)
    size = input.shape[dim] if input.ndim else 1
    _check_bounds(positions, size, dim, op)
    return dim, positions


def index_select(input, dim: int, index):
    """The slices of ``dim`` at the positions ``index`` (a copy, in ``index``'s order)."""
    dim, positions = _dim_index(input, dim, index, "index_select")
    out = _as_1d(input)[(slice(None),) * dim + (positions,)]
    return out.reshape(()) if input.ndim == 0 and index.ndim == 0 else out


def _check_source(input, dim: int, positions, source, op: str) -> None:
    expected = list(_as_1d(input).shape)
    expected[dim] = positions.size
    got = list(_as_1d(source).shape) if isinstance(source, _tensor()) else None
    if got != expected:
        raise ShapeError(
            f"{op}(): source of shape {list(source.shape)} does not match self {list(input.shape)} with "
            f"dim {dim} replaced by the index length {positions.size} (expected {expected})"
        )
    if source.dtype != input.dtype:
        raise DTypeError(f"{op}(): self ({input.dtype}) and source ({source.dtype}) must have the same scalar type")


def index_add(input, dim: int, index, source, *, alpha: Any = 1):
    """``input`` with ``alpha * source``'s slices added at the positions ``index`` along ``dim``."""
    dim, positions = _dim_index(input, dim, index, "index_add")
    _check_source(input, dim, positions, source, "index_add")
    target = _as_1d(input)
    values = _as_1d(source) if alpha == 1 else _as_1d(source) * alpha
    key = (slice(None),) * dim + (positions,)
    return _restore(target + shape.IndexAddInto.apply(values, shape=target.shape, key=key), input)


def index_copy(input, dim: int, index, source):
    """``input`` with its slices at ``index`` along ``dim`` replaced by ``source``'s."""
    dim, positions = _dim_index(input, dim, index, "index_copy")
    _check_source(input, dim, positions, source, "index_copy")
    key = (slice(None),) * dim + (positions,)
    return _restore(shape.IndexPut.apply(_as_1d(input), _as_1d(source), key=key), input)


def index_fill(input, dim: int, index, value: Any):
    """``input`` with its slices at ``index`` along ``dim`` set to ``value`` (a number or 0-d tensor)."""
    dim, positions = _dim_index(input, dim, index, "index_fill")
    value = _fill_value(input, value, "index_fill")
    key = (slice(None),) * dim + (positions,)
    return _restore(shape.IndexPut.apply(_as_1d(input), value, key=key), input)


def _fill_value(input, value: Any, op: str):
    """A fill value as a 0-d tensor of ``input``'s dtype (differentiable when it is a tensor)."""
    if isinstance(value, _tensor()):
        if value.ndim != 0:
            raise RuntimeError(
                f"{op} only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s)."
            )
        return value if value.dtype == input.dtype else shape.Cast.apply(value, dtype=input.dtype)
    return input.new_full((), value)


# --- masks ------------------------------------------------------------------------------------
def _check_mask(mask, op: str) -> None:
    if not isinstance(mask, _tensor()):
        raise TypeError(f"{op}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask.dtype.kind != "b":
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {mask.dtype}")


def masked_fill(input, mask, value: Any):
    """``input`` where ``mask`` is False, ``value`` where it is True (broadcast together)."""
    _check_mask(mask, "masked_fill_")
    return elementwise.where(mask, _fill_value(input, value, "masked_fill_"), input)


def masked_scatter(input, mask, source):
    """``input`` with the cells where ``mask`` is True taken from ``source``'s elements in order."""
    from minigrad.tensor import broadcast_shapes

    _check_mask(mask, "masked_scatter_")
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but got "
                           f"{input.dtype} and {source.dtype}")
    full = broadcast_shapes(input.shape, mask.shape, "masked_scatter")
    flat_mask = mask.expand(full).reshape(-1)
    positions = flat_mask.backend.xp.nonzero(flat_mask._array)[0]
    if positions.size > source.numel():
        raise RuntimeError("masked_scatter: Number of elements of source < number of ones in mask")
    flat = input.expand(full).reshape(-1)
    values = source.reshape(-1)[: positions.size]
    return shape.IndexPut.apply(flat, values, key=positions).reshape(full)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D copy (broadcast together)."""
    from minigrad.tensor import broadcast_shapes

    _check_mask(mask, "masked_select")
    full = broadcast_shapes(input.shape, mask.shape, "masked_select")
    return input.expand(full)[mask.expand(full)._array]


def nonzero(input, *, as_tuple: bool = False):
    """The indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or one 1-D tensor
    per dim with ``as_tuple=True`` (a 0-d input counts as 1-D there, as PyTorch)."""
    tensor = _tensor()
    xp, backend = input.backend.xp, input.backend
    found = xp.nonzero(input._array.reshape(-1) if input.ndim == 0 else input._array)
    found = tuple(f.astype(xp.int64) for f in found)
    if as_tuple:
        return tuple(tensor._make(f, backend) for f in found)
    if input.ndim == 0:
        return tensor._make(xp.zeros((found[0].size, 0), dtype=xp.int64), backend)
    return tensor._make(xp.stack(found, axis=1), backend)


def argwhere(input):
    return nonzero(input)


def take(input, index):
    """The elements of the flattened ``input`` at ``index`` (negatives count from the end)."""
    if not isinstance(index, _tensor()) or index.dtype != index.backend.xp.int64:
        raise RuntimeError("take(): Expected a long tensor for index")
    n = input.numel()
    positions = index._array
    if positions.size and (bool((positions < -n).any()) or bool((positions >= n).any())):
        bad = positions[(positions < -n) | (positions >= n)].reshape(-1)[0]
        raise IndexError(f"take(): out of range: tried to access index {int(bad)} on a tensor of {n} elements.")
    return input.reshape(-1)[positions % max(n, 1)]


def take_along_dim(input, indices, dim: int | None = None):
    """``gather`` after broadcasting ``input`` and ``indices`` (except along ``dim``); with
    ``dim=None`` both are flattened."""
    from minigrad.tensor import broadcast_shapes

    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    dim = dim_in_range(dim, input.ndim, "take_along_dim")
    if input.ndim != indices.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    a, b = list(input.shape), list(indices.shape)
    a[dim] = b[dim] = 1
    common = list(broadcast_shapes(a, b, "take_along_dim"))
    input_shape, index_shape = list(common), list(common)
    input_shape[dim], index_shape[dim] = input.shape[dim], indices.shape[dim]
    return gather(input.expand(input_shape), dim, indices.expand(index_shape))


def index_put(input, indices: Any, values, accumulate: bool = False):
    """``input`` with ``input[indices] = values`` (``indices``: a tuple of integer or boolean
    tensors, as advanced indexing), or ``+=`` with repeated positions accumulating."""
    tensor = _tensor()
    if not isinstance(indices, (tuple, list)) or not all(isinstance(i, tensor) or i is None for i in indices):
        raise TypeError("index_put(): argument 'indices' must be a tuple of Tensors")
    if not isinstance(values, tensor):
        raise TypeError(f"index_put(): argument 'values' must be Tensor, not {type(values).__name__}")
    if values.dtype != input.dtype:
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got {input.dtype} for the destination "
            f"and {values.dtype} for the source."
        )
    key = tuple(slice(None) if i is None else i._array for i in indices)
    try:
        selected = input._array[key].shape
    except IndexError as error:
        raise IndexError(f"index_put(): {error} (tensor of shape {list(input.shape)})") from None
    if accumulate:
        return input + shape.IndexAddInto.apply(values.expand(selected), shape=input.shape, key=key)
    return shape.IndexPut.apply(input, values, key=key)


def put(input, index, source, accumulate: bool = False):
    """``input`` with its flattened elements at ``index`` set to (or, with ``accumulate``,
    increased by) ``source``'s (negative indices count from the end)."""
    if not isinstance(index, _tensor()) or index.dtype != index.backend.xp.int64:
        raise RuntimeError("put_(): Expected a long tensor for index")
    if source.dtype != input.dtype:
        raise RuntimeError(f"put_(): self ({input.dtype}) and source ({source.dtype}) must have the same scalar type")
    if index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = input.numel()
    positions = index._array.reshape(-1)
    if positions.size and (bool((positions < -n).any()) or bool((positions >= n).any())):
        bad = positions[(positions < -n) | (positions >= n)][0]
        raise IndexError(f"put_(): out of range: tried to access index {int(bad)} on a tensor of {n} elements.")
    positions = positions % max(n, 1)
    flat, values = input.reshape(-1), source.reshape(-1)
    if accumulate:
        out = flat + shape.IndexAddInto.apply(values, shape=flat.shape, key=positions)
    else:
        out = shape.IndexPut.apply(flat, values, key=positions)
    return out.reshape(input.shape)
