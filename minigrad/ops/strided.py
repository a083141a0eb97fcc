"""View primitives that need a new stride pattern (no reshape or slice of the input gives them):
``diagonal`` and ``Tensor.unfold``. Both are writable views of the input's memory, as in
PyTorch, made with the backend's ``as_strided``. Their gradients are scatter-adds written with
existing primitives (indexing's ``index_add_into`` under a permute), so they differentiate again.
"""

from __future__ import annotations

from minigrad.autograd.function import Primitive


def diagonal_geometry(shape: tuple[int, ...], offset: int, dim1: int, dim2: int):
    """``(length, first_row, first_col)`` of the diagonal ``offset`` of dims ``dim1``/``dim2``."""
    rows, cols = shape[dim1], shape[dim2]
    first_row, first_col = max(-offset, 0), max(offset, 0)
    length = max(min(rows - first_row, cols - first_col), 0)
    return length, first_row, first_col


class Diagonal(Primitive):
    """``x.diagonal(offset, dim1, dim2)``: the diagonal becomes the last dim (PyTorch's layout)."""

    name = "diagonal"
    is_view = True

    @staticmethod
    def forward(ctx, a, *, offset, dim1, dim2):
        length, first_row, first_col = diagonal_geometry(a.shape, offset, dim1, dim2)
        others = [d for d in range(a.ndim) if d not in (dim1, dim2)]
        shape = tuple(a.shape[d] for d in others) + (length,)
        strides = tuple(a.strides[d] for d in others) + (a.strides[dim1] + a.strides[dim2],)
        start = a[tuple(slice(first_row, None) if d == dim1 else slice(first_col, None) if d == dim2
                        else slice(None) for d in range(a.ndim))] if length else a
        return ctx.xp.lib.stride_tricks.as_strided(start, shape=shape, strides=strides)

    @staticmethod
    def backward(ctx, grad):
        from minigrad.ops.shape import IndexAddInto

        shape = ctx.inputs[0].shape
        offset, dim1, dim2 = ctx.attrs["offset"], ctx.attrs["dim1"], ctx.attrs["dim2"]
        length, first_row, first_col = diagonal_geometry(shape, offset, dim1, dim2)
        others = [d for d in range(len(shape)) if d not in (dim1, dim2)]
        rows, cols = ctx.xp.arange(length) + first_row, ctx.xp.arange(length) + first_col
        # In the input permuted to (others..., dim1, dim2), the diagonal is [..., rows, cols].
        permuted = tuple(shape[d] for d in others) + (shape[dim1], shape[dim2])
        spread = IndexAddInto.apply(grad, shape=permuted, key=(Ellipsis, rows, cols))
        order = others + [dim1, dim2]
        inverse = [order.index(d) for d in range(len(shape))]
        return spread.permute(*inverse)


class UnfoldDim(Primitive):
    """``x.unfold(dimension, size, step)``: windows of ``dimension`` as a new last dim (a view)."""

    name = "unfold_dim"
    is_view = True

    @staticmethod
    def forward(ctx, a, *, dimension, size, step):
        if a.ndim == 0:  # PyTorch: a 0-d tensor unfolds to one window of one element
            return a.reshape((1,))
        count = (a.shape[dimension] - size) // step + 1
        shape = list(a.shape)
        strides = list(a.strides)
        shape[dimension], strides[dimension] = count, a.strides[dimension] * step
        return ctx.xp.lib.stride_tricks.as_strided(
            a, shape=(*shape, size), strides=(*strides, a.strides[dimension])
        )

    @staticmethod
    def backward(ctx, grad):
        from minigrad.ops.shape import IndexAddInto

        shape = ctx.inputs[0].shape
        if not shape:
            return grad.reshape(())
        dimension, size, step = ctx.attrs["dimension"], ctx.attrs["size"], ctx.attrs["step"]
        xp = ctx.xp
        count = grad.shape[dimension]
        # Window w, element k reads position w * step + k: a gather with an index of (count, size).
        positions = xp.arange(count).reshape(count, 1) * step + xp.arange(size).reshape(1, size)
        ndim = len(shape)
        moved = grad.permute(*range(dimension + 1), ndim, *range(dimension + 1, ndim))
        key = (slice(None),) * dimension + (positions,)
        return IndexAddInto.apply(moved, shape=shape, key=key)
