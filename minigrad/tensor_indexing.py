"""Tensor methods for indexing, sorting, layout and products (``IndexingMethods``, a mixin of
``minigrad.Tensor``). Each is one call into ``minigrad.ops.{layout, gather_scatter, sorting,
products}``, whose functions are also ``minigrad.X``; in-place variants (``scatter_``...) are
the out-of-place op written back through ``Tensor._inplace``, so autograd records them.
"""

from __future__ import annotations

from typing import Any

from minigrad.ops import gather_scatter, layout, products, sorting


class IndexingMethods:
    """Mixed into ``Tensor``; ``self`` is always a Tensor."""

    __slots__ = ()

    # --- views ---------------------------------------------------------------------------
    def narrow(self, dim: int, start: Any, length: int) -> Any:
        return layout.narrow(self, dim, start, length)

    def select(self, dim: int, index: int) -> Any:
        return layout.select(self, dim, index)

    def unbind(self, dim: int = 0) -> tuple:
        return layout.unbind(self, dim)

    def split(self, split_size: Any, dim: int = 0) -> tuple:
        return layout.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return layout.chunk(self, chunks, dim)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple:
        return layout.tensor_split(self, indices_or_sections, dim)

    def movedim(self, source: Any, destination: Any) -> Any:
        return layout.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Any:
        return layout.swapaxes(self, axis0, axis1)

    def swapdims(self, dim0: int, dim1: int) -> Any:
        return layout.swapaxes(self, dim0, dim1)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
        return layout.diagonal(self, offset, dim1, dim2)

    def unfold(self, dimension: int, size: int, step: int) -> Any:
        return layout.unfold(self, dimension, size, step)

    # --- copies that rearrange -------------------------------------------------------------
    def flip(self, *dims: Any) -> Any:
        if not dims:
            raise TypeError("flip() missing 1 required positional argument: 'dims'")
        return layout.flip(self, dims[0] if len(dims) == 1 else list(dims))

    def fliplr(self) -> Any:
        return layout.fliplr(self)

    def flipud(self) -> Any:
        return layout.flipud(self)

    def roll(self, shifts: Any, dims: Any = None) -> Any:
        return layout.roll(self, shifts, dims)

    def rot90(self, k: int = 1, dims: Any = (0, 1)) -> Any:
        return layout.rot90(self, k, dims)

    def repeat(self, *sizes: Any) -> Any:
        return layout.repeat(self, *sizes)

    def tile(self, *dims: Any) -> Any:
        return layout.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (list, tuple)) else list(dims))

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *, output_size: int | None = None) -> Any:
        return layout.repeat_interleave(self, repeats, dim, output_size=output_size)

    def tril(self, diagonal: int = 0) -> Any:
        return layout.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Any:
        return layout.triu(self, diagonal)

    def tril_(self, diagonal: int = 0) -> Any:
        return self._inplace("tril_", lambda: layout.tril(self, diagonal))

    def triu_(self, diagonal: int = 0) -> Any:
        return self._inplace("triu_", lambda: layout.triu(self, diagonal))

    def diag(self, diagonal: int = 0) -> Any:
        return layout.diag(self, diagonal)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
        return layout.diag_embed(self, offset, dim1, dim2)

    def trace(self) -> Any:
        return layout.trace(self)

    # --- gather and scatter ----------------------------------------------------------------
    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Any:
        return gather_scatter.gather(self, dim, index)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Any:
        return gather_scatter.take_along_dim(self, indices, dim)

    def take(self, index: Any) -> Any:
        return gather_scatter.take(self, index)

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Any:
        return gather_scatter.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Any:
        operands = (src,) if src is not None else ()
        return self._inplace(
            "scatter_", lambda: gather_scatter.scatter(self, dim, index, src, value=value, reduce=reduce), operands
        )

    def scatter_add(self, dim: int, index: Any, src: Any) -> Any:
        return gather_scatter.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Any:
        return self._inplace("scatter_add_", lambda: gather_scatter.scatter_add(self, dim, index, src), (src,))

    def scatter_reduce(self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Any:
        return gather_scatter.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Any:
        return self._inplace(
            "scatter_reduce_",
            lambda: gather_scatter.scatter_reduce(self, dim, index, src, reduce, include_self=include_self), (src,),
        )

    def index_select(self, dim: int, index: Any) -> Any:
        return gather_scatter.index_select(self, dim, index)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
        return gather_scatter.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
        return self._inplace("index_add_", lambda: gather_scatter.index_add(self, dim, index, source, alpha=alpha),
                             (source,))

    def index_copy(self, dim: int, index: Any, source: Any) -> Any:
        return gather_scatter.index_copy(self, dim, index, source)

    def index_copy_(self, dim: int, index: Any, source: Any) -> Any:
        return self._inplace("index_copy_", lambda: gather_scatter.index_copy(self, dim, index, source), (source,))

    def index_fill(self, dim: int, index: Any, value: Any) -> Any:
        return gather_scatter.index_fill(self, dim, index, value)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Any:
        return self._inplace("index_fill_", lambda: gather_scatter.index_fill(self, dim, index, value), (value,))

    def masked_fill(self, mask: Any, value: Any) -> Any:
        return gather_scatter.masked_fill(self, mask, value)

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        return self._inplace("masked_fill_", lambda: gather_scatter.masked_fill(self, mask, value), (value,))

    def masked_scatter(self, mask: Any, source: Any) -> Any:
        return gather_scatter.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask: Any, source: Any) -> Any:
        return self._inplace("masked_scatter_", lambda: gather_scatter.masked_scatter(self, mask, source), (source,))

    def masked_select(self, mask: Any) -> Any:
        return gather_scatter.masked_select(self, mask)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return gather_scatter.nonzero(self, as_tuple=as_tuple)

    def argwhere(self) -> Any:
        return gather_scatter.argwhere(self)

    def index_put(self, indices: Any, values: Any, accumulate: bool = False) -> Any:
        return gather_scatter.index_put(self, indices, values, accumulate)

    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Any:
        return self._inplace("index_put_", lambda: gather_scatter.index_put(self, indices, values, accumulate),
                             (values,))

    def put(self, index: Any, source: Any, accumulate: bool = False) -> Any:
        return gather_scatter.put(self, index, source, accumulate)

    def put_(self, index: Any, source: Any, accumulate: bool = False) -> Any:
        return self._inplace("put_", lambda: gather_scatter.put(self, index, source, accumulate), (source,))

    # --- sorting ---------------------------------------------------------------------------
    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        return sorting.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        return sorting.argsort(self, dim, descending, stable=stable)

    def msort(self) -> Any:
        return sorting.msort(self)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        return sorting.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        return sorting.kthvalue(self, k, dim, keepdim)

    def median(self, dim: Any = None, keepdim: bool = False) -> Any:
        return sorting.median(self, dim, keepdim)

    def nanmedian(self, dim: Any = None, keepdim: bool = False) -> Any:
        return sorting.nanmedian(self, dim, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        return sorting.mode(self, dim, keepdim)

    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
               dim: int | None = None) -> Any:
        return sorting.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse: bool = False, return_counts: bool = False,
                           dim: int | None = None) -> Any:
        return sorting.unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Any:
        return sorting.bincount(self, weights, minlength)

    # --- products --------------------------------------------------------------------------
    def dot(self, other: Any) -> Any:
        return products.dot(self, other)

    def vdot(self, other: Any) -> Any:
        return products.vdot(self, other)

    def mv(self, vec: Any) -> Any:
        return products.mv(self, vec)

    def mm(self, mat2: Any) -> Any:
        return products.mm(self, mat2)

    def bmm(self, mat2: Any) -> Any:
        return products.bmm(self, mat2)

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
        return products.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
        return products.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
        return products.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
        return products.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def outer(self, vec2: Any) -> Any:
        return products.outer(self, vec2)

    def ger(self, vec2: Any) -> Any:
        return products.outer(self, vec2)

    def cross(self, other: Any, dim: int | None = None) -> Any:
        return products.cross(self, other, dim)

    def kron(self, other: Any) -> Any:
        return products.kron(self, other)

    def hsplit(self, indices_or_sections: Any) -> tuple:
        return layout.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections: Any) -> tuple:
        return layout.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections: Any) -> tuple:
        return layout.dsplit(self, indices_or_sections)

    # --- memory ----------------------------------------------------------------------------
    def _view_as_dtype(self, dtype: Any) -> Any:
        """``view(dtype)``: this tensor's bytes read as ``dtype``, sharing memory and the version
        counter; a smaller or larger element size rescales the last dim (which must then be
        contiguous). Not differentiable, as in PyTorch."""
        from minigrad.tensor import Tensor

        if dtype.itemsize != self.dtype.itemsize:
            if self.ndim == 0:
                raise RuntimeError(
                    f"view(): a 0-d tensor cannot be viewed as {dtype} (element size {dtype.itemsize} != "
                    f"{self.dtype.itemsize}); reshape it to 1-D first"
                )
            if self.shape[-1] != 1 and self._array.strides[-1] != self.dtype.itemsize:
                raise RuntimeError(
                    f"self.stride(-1) must be 1 to view {self.dtype} as {dtype} (different element sizes), "
                    f"but got {self._array.strides[-1] // self.dtype.itemsize}; call .contiguous() first"
                )
            if dtype.itemsize > self.dtype.itemsize and (self.shape[-1] * self.dtype.itemsize) % dtype.itemsize:
                raise RuntimeError(
                    f"self.size(-1) must be divisible by {dtype.itemsize // self.dtype.itemsize} to view "
                    f"{self.dtype} as {dtype} (different element sizes), but got {self.shape[-1]}"
                )
        result = Tensor._make(self._array.view(dtype), self.backend)
        result._version_counter = self._counter()
        return result


    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._array.flags.c_contiguous)

    def contiguous(self, memory_format: Any = None) -> Any:
        """``self`` when its memory is already row-major, else a row-major copy (differentiable)."""
        return self if self.is_contiguous() else self.clone(memory_format="contiguous_format")

    def clone(self, *, memory_format: Any = None) -> Any:
        """A copy in fresh memory; differentiable (its gradient is the incoming one).
        ``memory_format``: ``preserve_format`` (default: keep the strides' order) or
        ``contiguous_format`` (row-major)."""
        from minigrad.ops import shape
        from minigrad.tensor import Tensor

        # Anything but preserve_format (the default) asks for row-major memory; names are read
        # from str() so PyTorch's objects and plain strings work too.
        contiguous = memory_format is not None and "preserve" not in str(memory_format)
        if not self.requires_grad:
            return Tensor._make(self._array.copy(order="C" if contiguous else "K"), self.backend)
        if contiguous and not self.is_contiguous():
            # A 1-D result of an elementwise op is fresh contiguous memory; reshaped, row-major.
            return (self.reshape(-1) * 1).reshape(self.shape)
        return shape.Cast.apply(self, dtype=self.dtype)  # astype copies (strides' order kept); recorded
