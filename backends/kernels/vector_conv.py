"""Direct convolution with explicit SIMD vectors: LLVM IR written here (with
:mod:`~minigrad.backends.kernels.llvm_vectors`), compiled by llvmlite, one function per geometry.

What it computes is the stride-1 cross-correlation (any padding, any dilation, one group)::

    out[n, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * x_pad[n, c, y + i*dh, x + j*dw]

with each output row cut into vectors of ``L`` neighbouring ``x`` (``L``: 8 float32 on AVX2, 16
on AVX-512). For a few output channels ``o`` at a time, the row's vectors are accumulated in
registers over every input channel and kernel row; each tap ``(c, i, j)`` is one load of an
input row shifted by ``j*dw - pw`` (masked where the shift reaches past the row, which is the
zero padding: no padded copy is made) and one fused multiply-add per channel with the broadcast
weight. Kernel rows that meet a padding row are skipped, which is exact for finite weights only
(``numba_kernels`` checks). The kernel's taps and the vectors of a row are unrolled at compile time, so the masks
are constants.

The function takes a range of images ``[n0, n1)``, so parts of a batch could run on several
threads; in a LeNet step on 2 cores two threads were slower than one (OpenBLAS's threads,
spinning between GEMMs, hold the other core; ``benchmarks/kernels.py`` has the numbers), so
:func:`correlate` runs on the caller's thread.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from minigrad.backends.kernels import llvm_vectors
from minigrad.backends.kernels.llvm_vectors import VectorFunction, available, has_avx512, lanes

__all__ = ["available", "correlate", "fits", "compiled"]

#: Vector registers the accumulators of one pass may take, without AVX-512 and with it (AVX2
#: has 16, AVX-512 32; the rest hold the loaded row and the broadcast weights). More spill.
ACCUMULATOR_REGISTERS = (8, 16)
#: Vectors per output row the unrolled code holds (wider rows: the GEMM realisations).
MAX_VECTORS_PER_ROW = 4
#: Kernel widths the unrolled code takes.
MAX_KERNEL_WIDTH = 11


def fits(x: Any, weight: Any, stride, groups: int, out_size) -> bool:
    """Whether :func:`correlate` takes this convolution: stride 1, one group, float32/64 with
    the weight's dtype, and output rows of at most ``MAX_VECTORS_PER_ROW`` vectors."""
    return (tuple(stride) == (1, 1) and groups == 1 and x.dtype.char in "fd" and weight.dtype == x.dtype
            and weight.shape[3] <= MAX_KERNEL_WIDTH and min(out_size) >= 1
            and -(-out_size[1] // lanes(x.dtype.char)) <= MAX_VECTORS_PER_ROW)


def correlate(xp: Any, x: Any, weight: Any, bias: Any, padding, dilation, out_size):
    """The stride-1 cross-correlation (N, O, Ho, Wo) of ``x`` (N, C, H, W) with ``weight``
    (O, C, KH, KW), plus ``bias`` (O,) unless it is None. ``fits`` must hold."""
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    function = compiled(x.dtype.char, c, h, w, o, kh, kw, *padding, *dilation)
    x, weight = xp.ascontiguousarray(x), xp.ascontiguousarray(weight)
    if bias is not None:
        bias = xp.ascontiguousarray(bias, dtype=x.dtype)
    out = xp.empty((n, o, *out_size), dtype=x.dtype)
    function(x.ctypes.data, weight.ctypes.data, None if bias is None else bias.ctypes.data, out.ctypes.data, 0, n)
    return out


@cache
def compiled(dtype_char: str, c: int, h: int, w: int, o: int, kh: int, kw: int, ph: int, pw: int,
             dh: int, dw: int):
    """The compiled correlation for one geometry (any batch size), as a ctypes function
    ``(x, weight, bias or NULL, out, n0, n1)``; compiled once per machine (``object_cache``)."""
    return llvm_vectors.compiled(_CorrelationIR, dtype_char, (c, h, w), (o, kh, kw), (ph, pw), (dh, dw))


class _CorrelationIR(VectorFunction):
    """Writes the function: for each image, pass of output channels and output row, the row's
    vectors are summed in registers over every input channel and kernel row (``input_row``),
    then stored (``store_row``)."""

    name, arrays, integers = "correlate", 4, 2

    def __init__(self, dtype_char: str, image, kernel, padding, dilation) -> None:
        super().__init__(dtype_char)
        (self.c, self.h, self.w), (self.o, self.kh, self.kw) = image, kernel
        (self.ph, self.pw), (self.dh, self.dw) = padding, dilation
        self.ho = self.h + 2 * self.ph - self.dh * (self.kh - 1)
        self.wo = self.w + 2 * self.pw - self.dw * (self.kw - 1)
        self.vectors = -(-self.wo // self.width)  # per output row
        self.group = max(1, min(self.o, ACCUMULATOR_REGISTERS[has_avx512()] // self.vectors))  # channels per pass
        self.x, self.weight, self.bias, self.out, first, last = self.function.args
        # The accumulators live in stack slots that LLVM's mem2reg turns into registers.
        self.sums = [[self.b.alloca(self.vector) for _ in range(self.vectors)] for _ in range(self.group)]
        self.has_bias = self.b.icmp_unsigned("!=", self.b.ptrtoint(self.bias, self.i64), self.const(0))
        self.for_range(first, last, self.image)
        self.b.ret_void()

    def image(self, n) -> None:
        for start in range(0, self.o, self.group):
            channels = range(start, min(self.o, start + self.group))
            self.for_range(self.const(0), self.const(self.ho), lambda y, chs=channels: self.output_row(n, y, chs))

    def output_row(self, n, y, channels) -> None:
        b = self.b
        for k, channel in enumerate(channels):
            with b.if_else(self.has_bias) as (then, otherwise):
                with then:
                    value = self.broadcast(b.load(b.gep(self.bias, [self.const(channel)])))
                    for slot in self.sums[k]:
                        b.store(value, slot)
                with otherwise:
                    for slot in self.sums[k]:
                        b.store(self.zeros, slot)
        for i in range(self.kh):
            self.for_range(self.const(0), self.const(self.c), lambda ci, i=i: self.input_row(n, ci, y, i, channels))
        self.store_row(n, y, channels)

    def input_row(self, n, ci, y, i, channels) -> None:
        """Kernel row ``i`` of input channel ``ci``: every tap's shifted run of the input row
        times the tap's weight, added to the output row's vectors (nothing in the padding)."""
        b, const, c, w = self.b, self.const, self.c, self.w
        row = b.add(y, const(i * self.dh - self.ph))
        inside = b.and_(b.icmp_signed(">=", row, const(0)), b.icmp_signed("<", row, const(self.h)))
        with b.if_then(inside):
            row_start = self.offset(n, c, ci, self.h, row, w, 0)
            taps = b.mul(ci, const(self.kh * self.kw))
            partial = [[b.load(slot) for slot in self.sums[k]] for k in range(len(channels))]
            for j in range(self.kw):
                offsets = [const((channel * c * self.kh + i) * self.kw + j) for channel in channels]
                weights = [self.broadcast(b.load(b.gep(self.weight, [b.add(taps, offset)]))) for offset in offsets]
                for v in range(self.vectors):
                    column = v * self.width + j * self.dw - self.pw  # under the vector's first lane
                    valid = [0 <= column + lane < w and v * self.width + lane < self.wo for lane in range(self.width)]
                    if not any(valid):
                        continue
                    run = self.load(self.x, b.add(row_start, const(column)), valid)
                    for k in range(len(channels)):
                        partial[k][v] = b.call(self.fmuladd, [run, weights[k], partial[k][v]])
            for k in range(len(channels)):
                for v in range(self.vectors):
                    b.store(partial[k][v], self.sums[k][v])

    def store_row(self, n, y, channels) -> None:
        for k, channel in enumerate(channels):
            row_start = self.offset(n, self.o, channel, self.ho, y, self.wo, 0)
            for v in range(self.vectors):
                valid = [v * self.width + lane < self.wo for lane in range(self.width)]
                self.store(self.b.load(self.sums[k][v]), self.out, self.b.add(row_start, self.const(v * self.width)),
                           valid)
