"""Max pooling over tiling windows with explicit SIMD vectors: LLVM IR written here (with
:mod:`~minigrad.backends.kernels.llvm_vectors`), compiled by llvmlite, one function per geometry.

What it computes is ``ops/pool.py``'s max pooling where the windows tile the image (kernel size
= stride, no padding, no dilation; the rows and columns past the last whole window are
ignored), with PyTorch's flat indices::

    values[p, y, v]  = max over (i, j) of x[p, y*kh + i, v*kw + j]
    indices[p, y, v] = (y*kh + i) * W + v*kw + j  of the first maximum in row-major (i, j)
                       order, except that a NaN always takes over (PyTorch's rule)

For ``L`` neighbouring outputs of a row (``L``: 8 float32 on AVX2), each window row ``i`` is one
load of ``L * kw`` input numbers (masked past the last window), split by shuffles into the ``kw``
taps of every window; each tap updates the running maxima and indices with one compare and two
selects. The reference (``array_kernels.tile_maxima``) makes a contiguous copy of every tap and
runs several NumPy passes over each.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from minigrad.backends.kernels import llvm_vectors
from minigrad.backends.kernels.llvm_vectors import VectorFunction, available, lanes

__all__ = ["available", "lanes", "max_pool", "fits", "compiled"]

#: Window sizes the unrolled code takes (each window row is one load of L * kw numbers).
MAX_WINDOW = 4


def fits(x: Any, kernel_size, stride, dilation, out_size) -> bool:
    """Whether :func:`max_pool` takes this pooling: tiling windows of at most ``MAX_WINDOW`` on a
    side over a float32/64 (N, C, H, W) array, with at least one output."""
    kh, kw = kernel_size
    return (tuple(kernel_size) == tuple(stride) and tuple(dilation) == (1, 1) and x.ndim == 4
            and x.dtype.char in "fd" and 1 <= kh <= MAX_WINDOW and 1 <= kw <= MAX_WINDOW and min(out_size) >= 1
            and tuple(out_size) == (x.shape[2] // kh, x.shape[3] // kw))


def max_pool(xp: Any, x: Any, kernel_size, out_size):
    """The maxima (N, C, Ho, Wo) of ``x`` (N, C, H, W) over tiling windows, and their flat int64
    indices ``h * W + w`` (PyTorch's). ``fits`` must hold."""
    n, c, h, w = x.shape
    function = compiled(x.dtype.char, h, w, *kernel_size)
    x = xp.ascontiguousarray(x)
    values = xp.empty((n, c, *out_size), dtype=x.dtype)
    indices = xp.empty((n, c, *out_size), dtype=xp.int64)
    function(x.ctypes.data, values.ctypes.data, indices.ctypes.data, 0, n * c)
    return values, indices


@cache
def compiled(dtype_char: str, h: int, w: int, kh: int, kw: int):
    """The compiled pooling for one plane size and window (any number of planes), as a ctypes
    function ``(x, values, indices, p0, p1)`` over planes ``[p0, p1)``; compiled once per machine
    (``object_cache``)."""
    return llvm_vectors.compiled(_TilingMaxPoolIR, dtype_char, (h, w), (kh, kw))


class _TilingMaxPoolIR(VectorFunction):
    """Writes the function: for each plane and output row, the row's vectors of outputs
    (``output_vector``), unrolled."""

    # The indices are int64 arrays: passed as pointers to the dtype and cast below.
    name, arrays, integers = "tiling_max_pool", 3, 2

    def __init__(self, dtype_char: str, image, window) -> None:
        super().__init__(dtype_char)
        ir, b = self.ir, self.b
        (self.h, self.w), (self.kh, self.kw) = image, window
        self.ho, self.wo = self.h // self.kh, self.w // self.kw
        self.vectors = -(-self.wo // self.width)  # per output row
        self.wide = ir.VectorType(self.vector.element, self.width * self.kw)  # one window row of L windows
        self.wide_mask_type = ir.VectorType(ir.IntType(1), self.width * self.kw)
        self.wide_load = self.intrinsic(f"llvm.masked.load.v{self.width * self.kw}f{8 * self.itemsize}.p0",
                                        self.wide, [self.wide.as_pointer(), self.i32, self.wide_mask_type, self.wide])
        self.index_vector = ir.VectorType(self.i64, self.width)
        self.index_store = self.intrinsic(f"llvm.masked.store.v{self.width}i64.p0", ir.VoidType(),
                                          [self.index_vector, self.index_vector.as_pointer(), self.i32, self.mask_type])
        self.x, self.values, indices, first, last = self.function.args
        self.indices = b.bitcast(indices, self.i64.as_pointer())
        self.for_range(first, last, self.plane)
        b.ret_void()

    def plane(self, p) -> None:
        self.for_range(self.const(0), self.const(self.ho), lambda y: self.output_row(p, y))

    def output_row(self, p, y) -> None:
        for v in range(self.vectors):
            self.output_vector(p, y, v)

    def output_vector(self, p, y, v: int) -> None:
        """Outputs ``v*L .. v*L + L-1`` of row ``y``: the windows' maxima and where they are."""
        b, ir, const, width, kw = self.b, self.ir, self.const, self.width, self.kw
        valid = [v * width + lane < self.wo for lane in range(width)]
        wide_valid = [v * width + k // kw < self.wo for k in range(width * kw)]
        first_column = v * width * kw
        # The flat index of each window's corner, (y*kh) * W + (v*L + lane) * kw.
        corner = b.add(ir.Constant(self.index_vector, [first_column + lane * kw for lane in range(width)]),
                       self.broadcast(b.mul(y, const(self.kh * self.w))))
        best = where = None
        for i in range(self.kh):
            start = self.offset(p, self.h, b.add(b.mul(y, const(self.kh)), const(i)), self.w, first_column)
            pointer = b.bitcast(b.gep(self.x, [start]), self.wide.as_pointer())
            mask = ir.Constant(self.wide_mask_type, [ir.Constant(ir.IntType(1), int(k)) for k in wide_valid])
            row = b.call(self.wide_load, [pointer, self.const32(self.itemsize), mask, ir.Constant(self.wide, None)])
            for j in range(kw):
                picks = ir.Constant(ir.VectorType(self.i32, width), [lane * kw + j for lane in range(width)])
                tap = b.shuffle_vector(row, ir.Constant(self.wide, ir.Undefined), picks)  # column j of each window
                at = b.add(corner, ir.Constant(self.index_vector, [i * self.w + j] * width))
                if best is None:
                    best, where = tap, at
                    continue
                # PyTorch's rule: a later tap wins if it is larger, or NaN.
                better = b.or_(b.fcmp_ordered(">", tap, best), b.fcmp_unordered("uno", tap, tap))
                best, where = b.select(better, tap, best), b.select(better, at, where)
        out = self.offset(p, self.ho, y, self.wo, v * width)
        self.store(best, self.values, out, valid)
        pointer = b.bitcast(b.gep(self.indices, [out]), self.index_vector.as_pointer())
        if all(valid):
            b.store(where, pointer, align=8)
        else:
            b.call(self.index_store, [where, pointer, self.const32(8), self.mask(valid)])
