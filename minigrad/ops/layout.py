# ruff: noqa: A002  (PyTorch's argument names: input, ...)
"""Ops that rearrange elements: views (narrow, select, unbind, split, chunk, movedim, diagonal,
unfold) and copies (flip, roll, rot90, repeat, tile, repeat_interleave, tril, triu, diag,
diag_embed, meshgrid, cartesian_prod, block_diag), with PyTorch's signatures and errors.

Views are slices (``getitem``), permutes or the strided primitives of ``ops.strided``, so they
share the input's memory and version counter and in-place edits through them are tracked.
Copies are gathers (advanced indexing) or a view followed by a copy, so all are differentiable
through existing primitives.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from minigrad.errors import UnsupportedDTypeError
from minigrad.ops import shape, strided
from minigrad.ops.composite import dim_in_range


def _tensor_class():
    from minigrad.tensor import Tensor

    return Tensor


def _key(dim: int, part: Any) -> tuple:
    """An index that applies ``part`` to dimension ``dim`` and keeps the others whole."""
    return (slice(None),) * dim + (part,)


def _as_int(value: Any, what: str, op: str) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{op}(): argument '{what}' must be int, not {type(value).__name__}") from None


def copy_of(x):
    """A fresh copy of ``x`` (differentiable), never sharing its memory."""
    if x.requires_grad:
        return x * 1
    return _tensor_class()._make(x._array.copy(), x.backend)


def fresh(result, source):
    """``result``, copied if it still shares memory with ``source`` (a reshape of an expanded
    array already copies; of a plain one it is a view)."""
    return copy_of(result) if result.backend.may_share_memory(result._array, source._array) else result


# --- views ------------------------------------------------------------------------------------
def narrow(input, dim: int, start: Any, length: int):
    """``input`` restricted to ``[start, start + length)`` along ``dim``: a view."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = dim_in_range(dim, input.ndim, "narrow")
    start, length = _as_int(start, "start", "narrow"), _as_int(length, "length", "narrow")
    size = input.shape[dim]
    if not -size <= start <= size:
        raise IndexError(
            f"narrow(): start ({start}) out of range (expected to be in range of [{-size}, {size}])"
        )
    start %= size if size else 1
    if length < 0 or start + length > size:
        raise RuntimeError(
            f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}); "
            "length must be >= 0 and fit in the dim"
        )
    return input[_key(dim, slice(start, start + length))]


def select(input, dim: int, index: int):
    """The slice at ``index`` of ``dim``, that dim removed: a view."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = dim_in_range(dim, input.ndim, "select")
    index = _as_int(index, "index", "select")
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at dimension {dim}"
        )
    return input[_key(dim, index % size)]


def unbind(input, dim: int = 0) -> tuple:
    """Every slice of ``dim``, as views."""
    if input.ndim == 0:
        raise IndexError("unbind(): Dimension specified as 0 but tensor has no dimensions")
    dim = dim_in_range(dim, input.ndim, "unbind")
    return tuple(shape.GetItem.apply(input, key=_key(dim, i), multi_output="unbind") for i in range(input.shape[dim]))


def split(tensor, split_size_or_sections: Any, dim: int = 0, *, op: str = "split") -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    dim = dim_in_range(dim, tensor.ndim, "split")
    length = tensor.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_as_int(n, "split_sizes", "split") for n in split_size_or_sections]
        if any(n < 0 for n in sizes) or sum(sizes) != length:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's size "
                f"at dimension {dim}), but got split_sizes={sizes}"
            )
    else:
        size = _as_int(split_size_or_sections, "split_size", "split")
        if size < 0 or (size == 0 and length != 0):
            raise RuntimeError(
                f"split(): split_size can only be 0 if dimension size is 0, but got dimension size of {length}"
                if size == 0 else f"split expects split_size be non-negative, but got split_size={size}"
            )
        sizes = [min(size, length - s) for s in range(0, length, size)] if length else [0]
    pieces, start = [], 0
    for n in sizes:
        pieces.append(shape.GetItem.apply(tensor, key=_key(dim, slice(start, start + n)), multi_output=op))
        start += n
    return tuple(pieces)


def chunk(input, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` views of equal size ``ceil(n / chunks)`` along ``dim`` (PyTorch may
    return fewer: ``arange(6).chunk(4)`` gives 3 pieces of 2)."""
    chunks = _as_int(chunks, "chunks", "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    dim = dim_in_range(dim, input.ndim, "chunk")
    size = -(-input.shape[dim] // chunks)
    if size == 0:  # an empty dim: `chunks` empty pieces, as PyTorch
        return tuple(shape.GetItem.apply(input, key=_key(dim, slice(0, 0)), multi_output="chunk")
                     for _ in range(chunks))
    return split(input, size, dim, op="chunk")


def tensor_split(input, indices_or_sections: Any, dim: int = 0) -> tuple:
    """NumPy's ``array_split``: ``n`` sections (the first ``size % n`` one longer), or cuts at
    the listed indices (as Python slices). Views."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    dim = dim_in_range(dim, input.ndim, "tensor_split")
    length = input.shape[dim]
    if isinstance(indices_or_sections, _tensor_class()):
        if indices_or_sections.ndim == 0:
            indices_or_sections = int(indices_or_sections.item())
        else:
            indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (list, tuple)):
        cuts = [_as_int(i, "indices", "tensor_split") for i in indices_or_sections]
        # input[:i0], input[i0:i1], ..., input[ik:], with Python's slicing (negatives count from the end)
        bounds = [None, *cuts, None]
        return tuple(input[_key(dim, slice(start, stop))] for start, stop in zip(bounds[:-1], bounds[1:]))
    sections = _as_int(indices_or_sections, "sections", "tensor_split")
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    base, extra = divmod(length, sections)
    pieces, start = [], 0
    for i in range(sections):
        n = base + (1 if i < extra else 0)
        pieces.append(input[_key(dim, slice(start, start + n))])
        start += n
    return tuple(pieces)


def movedim(input, source: Any, destination: Any):
    """Move the dims ``source`` to the positions ``destination`` (ints or sequences): a view."""
    sources = [source] if not isinstance(source, (list, tuple)) else list(source)
    targets = [destination] if not isinstance(destination, (list, tuple)) else list(destination)
    if len(sources) != len(targets):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({sources} dims) should contain "
            f"the same number of dims as destination ({targets} dims)"
        )
    ndim = input.ndim
    sources = [dim_in_range(d, ndim, "movedim") for d in sources]
    targets = [dim_in_range(d, ndim, "movedim") for d in targets]
    if len(set(sources)) != len(sources):
        raise RuntimeError(f"movedim: repeated dim in `source` ({sources})")
    if len(set(targets)) != len(targets):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({targets})")
    if ndim == 0:
        return shape.Reshape.apply(input, shape=())
    order = [None] * ndim
    for s, t in zip(sources, targets):
        order[t] = s
    rest = iter(d for d in range(ndim) if d not in sources)
    order = [next(rest) if d is None else d for d in order]
    return input.permute(*order)


def swapaxes(input, axis0: int, axis1: int):
    """``transpose``, under NumPy's name (a view)."""
    if input.ndim == 0:
        dim_in_range(axis0, 0, "swapaxes")
        dim_in_range(axis1, 0, "swapaxes")
        return shape.Reshape.apply(input, shape=())
    return input.transpose(dim_in_range(axis0, input.ndim, "swapaxes"), dim_in_range(axis1, input.ndim, "swapaxes"))


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal ``offset`` of the 2-D slices over ``dim1``/``dim2``, as the last dim: a view."""
    d1, d2 = dim_in_range(dim1, input.ndim, "diagonal"), dim_in_range(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return strided.Diagonal.apply(input, offset=_as_int(offset, "offset", "diagonal"), dim1=d1, dim2=d2)


def unfold(input, dimension: int, size: int, step: int):
    """``Tensor.unfold``: every window of ``size`` elements, ``step`` apart, along ``dimension``,
    as a new last dim (a view; windows may overlap)."""
    dim = dim_in_range(dimension, input.ndim, "unfold")
    length = input.shape[dim] if input.ndim else 1
    size, step = _as_int(size, "size", "unfold"), _as_int(step, "step", "unfold")
    if size < 0 or size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return strided.UnfoldDim.apply(input, dimension=dim, size=size, step=step)


# --- copies -----------------------------------------------------------------------------------
def _dims_list(dims: Any, ndim: int, op: str) -> list[int]:
    dims = [dims] if not isinstance(dims, (list, tuple)) else list(dims)
    result = [dim_in_range(d, ndim, op) for d in dims]
    if len(set(result)) != len(result):
        raise RuntimeError(f"{op}: dims has duplicates, original flip dims size={len(dims)}, "
                           f"but unique flip dims size={len(set(result))}")
    return result


def flip(input, dims: Any):
    """Reverse the order along ``dims``: a copy (as PyTorch; NumPy's flip is a view)."""
    chosen = _dims_list(dims, input.ndim, "flip")
    if input.ndim == 0:
        return copy_of(input)
    key = tuple(slice(None, None, -1) if d in chosen else slice(None) for d in range(input.ndim))
    return copy_of(input[key])


def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError("fliplr: Input must be >= 2-d.")
    return flip(input, [1])


def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d.")
    return flip(input, [0])


def roll(input, shifts: Any, dims: Any = None):
    """Shift elements along ``dims`` circularly; with ``dims=None`` the flattened tensor rolls."""
    shifts_list = list(shifts) if isinstance(shifts, (list, tuple)) else [shifts]
    if dims is None:
        if len(shifts_list) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts_list)}, dims:0")
        return roll(input.flatten(), shifts_list, [0]).reshape(input.shape)
    dims_list = list(dims) if isinstance(dims, (list, tuple)) else [dims]
    if len(shifts_list) != len(dims_list):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts_list)}, dims:{len(dims_list)}")
    xp = input.backend.xp
    result = input
    for shift, dim in zip(shifts_list, dims_list):
        dim = dim_in_range(dim, input.ndim, "roll")
        size = input.shape[dim] if input.ndim else 1
        if size == 0 or input.ndim == 0:
            continue
        positions = (xp.arange(size) - _as_int(shift, "shifts", "roll")) % size
        result = result[_key(dim, positions)]
    return copy_of(result) if result is input else result


def rot90(input, k: int = 1, dims: Sequence[int] = (0, 1)):
    """Rotate by 90 degrees ``k`` times, from the first of ``dims`` towards the second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = dim_in_range(dims[0], input.ndim, "rot90"), dim_in_range(dims[1], input.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k = _as_int(k, "k", "rot90") % 4
    if k == 1:
        return flip(input, [d1]).transpose(d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return flip(input, [d0]).transpose(d0, d1)
    return copy_of(input)


def repeat(input, *sizes: Any):
    """``Tensor.repeat``: tile the tensor ``sizes[i]`` times along each dim (a copy)."""
    from minigrad.tensor import _shape_arg

    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    if any(n < 0 for n in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {list(sizes)}")
    shape_ = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    interleaved = []
    for n in shape_:
        interleaved += [1, n]
    expanded = [s for pair in zip(sizes, shape_) for s in pair]
    out = input.reshape(interleaved).expand(expanded)
    return fresh(out.reshape([r * n for r, n in zip(sizes, shape_)]), input)


def tile(input, dims: Sequence[int]):
    """``repeat`` with ``dims`` padded with leading 1s to the tensor's rank."""
    dims = list(dims) if isinstance(dims, (list, tuple)) else [dims]
    return repeat(input, *([1] * (input.ndim - len(dims)) + dims))


def repeat_interleave(input, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None):
    """Repeat each element ``repeats`` times (an int, or one count per element) along ``dim``
    (the flattened tensor when ``dim`` is None). ``repeat_interleave(counts)`` alone repeats
    ``arange(len(counts))``."""
    from minigrad.tensor import Tensor

    xp = input.backend.xp
    if repeats is None:  # the one-argument form: input holds the counts
        counts = input
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats must be 0-dim or 1-dim tensor of integers")
        if bool((counts._array < 0).any()):
            raise RuntimeError("repeats can not be negative")
        return Tensor._make(xp.repeat(xp.arange(counts.numel()), counts._array.reshape(-1)), input.backend)
    source = input.flatten() if dim is None else input
    dim = dim_in_range(0 if dim is None else dim, source.ndim, "repeat_interleave")
    size = source.shape[dim] if source.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1 or repeats.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats must be 0-dim or 1-dim tensor of integers")
        counts = repeats._array.reshape(-1)
        if counts.size == 1:
            counts = xp.full(size, int(counts.reshape(())))
        elif counts.size != size:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size({dim}) = {size}")
    else:
        counts = xp.full(size, _as_int(repeats, "repeats", "repeat_interleave"))
    if bool((counts < 0).any()):
        raise RuntimeError("repeats can not be negative")
    positions = xp.repeat(xp.arange(size), counts)
    if output_size is not None and positions.size != output_size:
        raise RuntimeError(
            f"repeat_interleave: output_size {output_size} does not match the repeats' sum {positions.size}"
        )
    if source.ndim == 0:
        source = source.reshape(1)
    return source[_key(dim, positions)]


def _triangle(input, diagonal: int, upper: bool, op: str):
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    xp = input.backend.xp
    rows, cols = input.shape[-2:]
    keep = xp.tri(rows, cols, k=diagonal - 1 if upper else diagonal, dtype=bool)
    if upper:
        keep = ~keep
    from minigrad.ops.elementwise import where

    return where(_tensor_class()._make(keep, input.backend), input, input.new_zeros(()))


def tril(input, diagonal: int = 0):
    """The lower triangle (on and below ``diagonal``) of the last two dims; zeros elsewhere."""
    return _triangle(input, _as_int(diagonal, "diagonal", "tril"), False, "tril")


def triu(input, diagonal: int = 0):
    """The upper triangle (on and above ``diagonal``) of the last two dims; zeros elsewhere."""
    return _triangle(input, _as_int(diagonal, "diagonal", "triu"), True, "triu")


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Put the last dim of ``input`` on the diagonal ``offset`` of new dims ``dim1``/``dim2``."""
    ndim = input.ndim + 1
    d1, d2 = dim_in_range(dim1, ndim, "diag_embed"), dim_in_range(dim2, ndim, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    source = input.reshape(1) if input.ndim == 0 else input
    length = source.shape[-1]
    side = length + abs(offset)
    xp = input.backend.xp
    rows, cols = xp.arange(length) + max(-offset, 0), xp.arange(length) + max(offset, 0)
    lead = tuple(source.shape[:-1])
    square = shape.IndexAddInto.apply(source, shape=(*lead, side, side), key=(Ellipsis, rows, cols))
    # square has the new dims last, rows then columns: rows go to dim1, columns to dim2.
    return movedim(square, [ndim - 2, ndim - 1], [d1, d2])


def diag(input, diagonal: int = 0):
    """1-D: a square matrix with ``input`` on the diagonal ``diagonal``; 2-D: that diagonal
    (a copy, unlike ``diagonal``)."""
    diagonal = _as_int(diagonal, "diagonal", "diag")
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return copy_of(strided.Diagonal.apply(input, offset=diagonal, dim1=0, dim2=1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def trace(input):
    """The sum of a matrix's main diagonal (integers sum to int64, as PyTorch)."""
    if input.dtype.kind == "b":
        raise UnsupportedDTypeError(
            "trace: \"trace\" not implemented for 'Bool' (as PyTorch); convert with .int() first"
        )
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return strided.Diagonal.apply(input, offset=0, dim1=0, dim2=1).sum()


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D (or 0-d) tensors: expanded views. ``indexing='ij'`` (the
    default, as PyTorch's, which warns when it is not given) or ``'xy'`` (the first two swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for position, t in enumerate(tensors):
        if t.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D at {position}"
            )
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    flat = [t.reshape(-1) for t in tensors]
    sizes = [t.shape[0] for t in flat]
    grids = []
    for i, t in enumerate(flat):
        view_shape = [1] * len(flat)
        view_shape[i] = sizes[i]
        grids.append(t.reshape(view_shape).expand(sizes))
    if indexing == "xy" and len(flat) >= 2:  # NumPy's cartesian order: the first two dims swapped
        grids = [g.transpose(0, 1) for g in grids]
    return tuple(grids)


def cartesian_prod(*tensors: Any):
    """Every combination of the 1-D tensors' elements, one per row (the first varies slowest)."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    from minigrad.ops.composite import stack

    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], dim=1)


def block_diag(*tensors: Any):
    """A block-diagonal matrix of the tensors (0-d are 1x1, 1-D are one row), promoted dtype."""
    from minigrad.backends.dtypes import result_type
    from minigrad.ops.composite import _constant_pad, cat

    if not tensors:
        from minigrad import backends

        return _tensor_class()._make(backends.get().xp.zeros((1, 0), dtype="float32"), backends.get())
    blocks = []
    for position, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                f"Input {position} has {t.ndim} dimensions"
            )
        blocks.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    dtype = result_type(*blocks)
    blocks = [b if b.dtype == dtype else shape.Cast.apply(b, dtype=dtype) for b in blocks]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        right = width - left - b.shape[1]
        rows.append(_constant_pad(b, [(0, 0), (left, right)], 0) if (left or right) else b)
        left += b.shape[1]
    return cat(rows, 0)


# --- NumPy-style stacking and splitting -------------------------------------------------------
def _each(tensors: tuple, convert) -> Any:
    """``atleast_*``: one tensor in, one out; several (or a sequence) in, a tuple out."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(convert(t) for t in tensors[0])
    if len(tensors) == 1:
        return convert(tensors[0])
    return tuple(convert(t) for t in tensors)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least one dim (a 0-d one becomes shape ``(1,)``; others are returned)."""
    return _each(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least two dims: ``()`` -> ``(1, 1)``, ``(n,)`` -> ``(1, n)``."""
    return _each(tensors, lambda t: t.reshape((1,) * (2 - t.ndim) + tuple(t.shape)) if t.ndim < 2 else t)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least three dims: ``()`` -> ``(1, 1, 1)``, ``(n,)`` -> ``(1, n, 1)``,
    ``(m, n)`` -> ``(m, n, 1)``."""
    def convert(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.reshape(1, t.shape[0], 1)
        return t.unsqueeze(-1) if t.ndim == 2 else t

    return _each(tensors, convert)


def _cat(tensors, dim: int, op: str):
    from minigrad.ops.composite import cat

    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return cat(tensors, dim)


def hstack(tensors: Sequence[Any]):
    """Join along the second dim (the first for 1-D tensors)."""
    tensors = atleast_1d(tuple(tensors))
    return _cat(tensors, 0 if all(t.ndim == 1 for t in tensors) else 1, "hstack")


def vstack(tensors: Sequence[Any]):
    """Join along the first dim, 1-D tensors as rows."""
    return _cat(atleast_2d(tuple(tensors)), 0, "vstack")


row_stack = vstack


def dstack(tensors: Sequence[Any]):
    """Join along the third dim (depth), after ``atleast_3d``."""
    return _cat(atleast_3d(tuple(tensors)), 2, "dstack")


def column_stack(tensors: Sequence[Any]):
    """Join as columns: 0-d and 1-D tensors become ``(n, 1)`` columns, then along dim 1."""
    columns = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in tensors]
    return _cat(columns, 1, "column_stack")


def _split_along(input, indices_or_sections: Any, dim: int, op: str, min_dims: int):
    if input.ndim < min_dims:
        raise RuntimeError(
            f"torch.{op} requires a tensor with at least {min_dims} dimension, but got a tensor with "
            f"{input.ndim} dimensions!"
        )
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        size = input.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(
                f"torch.{op} attempted to split along dimension {dim}, but the size of the dimension {size} "
                f"is not divisible by the split_size {indices_or_sections}!"
            )
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 1 (dim 0 for 1-D); an int must divide the dim evenly."""
    return _split_along(input, indices_or_sections, 0 if input.ndim == 1 else 1, "hsplit", 1)


def vsplit(input, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 0 of a tensor with at least 2 dims."""
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 2 of a tensor with at least 3 dims."""
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


def _triangle_indices(row: int, col: int, offset: int, upper: bool, dtype: Any, device: Any):
    from minigrad import backends
    from minigrad.backends.dtypes import as_dtype

    backend = backends.get(device)
    xp = backend.xp
    if row < 0 or col < 0:
        which, value = ("row", row) if row < 0 else ("col", col)
        raise RuntimeError(f"{which} must be non-negative, got {value}")
    keep = xp.tri(row, col, k=offset - 1 if upper else offset, dtype=bool)
    rows, cols = xp.nonzero(~keep if upper else keep)
    array = xp.stack([rows, cols]).astype(as_dtype(dtype or "int64"))
    return _tensor_class()._make(array, backend)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None):
    """The ``(2, N)`` coordinates of the lower triangle of a ``row x col`` matrix, row by row."""
    return _triangle_indices(row, col, offset, False, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None):
    """The ``(2, N)`` coordinates of the upper triangle of a ``row x col`` matrix, row by row."""
    return _triangle_indices(row, col, offset, True, dtype, device)
