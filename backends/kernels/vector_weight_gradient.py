"""The weight gradient of a stride-1 convolution with explicit SIMD vectors: LLVM IR written here
(with :mod:`~minigrad.backends.kernels.llvm_vectors`), compiled by llvmlite, one function per
geometry.

``ops/conv.py`` asks for dL/dW as a cross-correlation with the batch as the channel axis: the
input laid out as (C, N, H, W), "kernels" the upstream gradient laid out as (O, N, Ho, Wo), and
an output (C, O, KH, KW) no larger than a kernel. This module computes that correlation from the
arrays in their own (N, C, H, W) and (N, O, Ho, Wo) layouts, so nothing is copied::

    out[c, o, i, j] = sum_{n, y, x} grad[n, o, y, x] * x_pad[n, c, y + i, x + j]

Per image, the input's rows are first copied into ``KW`` "narrow" planes, one per kernel column
(:mod:`~minigrad.backends.kernels.narrow_planes`): the window of tap ``(i, j)`` is then one
contiguous run of plane ``j`` from row ``i`` on, as long as the flat gradient plane, so every
dL/dW value is one dot product of ``Ho * Wo`` numbers, cut into vectors of ``L`` (8 float32 on
AVX2, 16 on AVX-512) with only the last one partly masked. A block of output channels times kernel columns
keeps one vector of partial sums per ``(o, j)`` in registers over the whole run; each step loads
the gradient's vector once per ``o`` and the narrow plane's once per ``j``. The partial sums go to
memory between blocks and their ``L`` lanes are added up at the end.

Where the gradient meets the padding it is multiplied by the copied zeros, so an inf or nan there
gives nan, as in the reference.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from minigrad.backends.kernels import llvm_vectors
from minigrad.backends.kernels.llvm_vectors import available, has_avx512, lanes
from minigrad.backends.kernels.narrow_planes import NarrowPlanesFunction

__all__ = ["available", "correlate_over_batch", "fits", "compiled"]

#: Vector registers one block's partial sums may take, without AVX-512 and with it (16 and 32
#: registers; the rest hold the gradient's vectors and the input's run).
ACCUMULATOR_REGISTERS = (10, 24)
#: Kernel widths the unrolled code takes.
MAX_KERNEL_WIDTH = 11
#: The most numbers one image's narrow planes may take (they should stay in L1 or L2).
MAX_PLANES_SIZE = 2**15


def fits(x: Any, weight: Any, stride, dilation, groups: int, out_size) -> bool:
    """Whether :func:`correlate_over_batch` takes this correlation: a weight gradient's (the
    kernel, an upstream gradient, larger than the output), stride and dilation 1, one group,
    float32/64 in both, and narrow planes of at most ``MAX_PLANES_SIZE`` numbers."""
    c, kh, kw, (ho, wo) = x.shape[0], *out_size, weight.shape[2:]
    return (tuple(stride) == (1, 1) and tuple(dilation) == (1, 1) and groups == 1 and x.dtype.char in "fd"
            and weight.dtype == x.dtype and 1 <= kw <= MAX_KERNEL_WIDTH and kh >= 1 and ho >= kh and wo >= kw
            and kw * c * (ho + kh - 1) * wo <= MAX_PLANES_SIZE)


def correlate_over_batch(xp: Any, x: Any, weight: Any, padding, out_size):
    """The stride-1 cross-correlation (C, O, KH, KW) of ``x`` (C, N, H, W) with ``weight``
    (O, N, Ho, Wo), both read as the transposes of (N, C, H, W) and (N, O, Ho, Wo) arrays (as
    ``ops/conv.py``'s ``weight_gradient`` makes them). ``fits`` must hold."""
    c, n, h, w = x.shape
    o, _, ho, wo = weight.shape
    kh, kw = out_size
    function = compiled(x.dtype.char, c, h, w, o, ho, wo, kh, kw, *padding)
    images, grad = xp.ascontiguousarray(x.transpose(1, 0, 2, 3)), xp.ascontiguousarray(weight.transpose(1, 0, 2, 3))
    sums = xp.zeros((c, o, kh, kw, lanes(x.dtype.char)), dtype=x.dtype)
    planes = xp.empty((kw, c, ho + kh - 1, wo), dtype=x.dtype)
    function(images.ctypes.data, grad.ctypes.data, sums.ctypes.data, planes.ctypes.data, 0, n)
    return sums.sum(-1)


@cache
def compiled(dtype_char: str, c: int, h: int, w: int, o: int, ho: int, wo: int, kh: int, kw: int, ph: int,
             pw: int):
    """The compiled function for one geometry (any batch size), as a ctypes function
    ``(x, grad, sums, planes, n0, n1)`` that adds images ``[n0, n1)`` into ``sums``
    (C, O, KH, KW, L), with ``planes`` (KW, C, Ho + KH - 1, Wo) its room for the narrow planes;
    compiled once per machine (``object_cache``)."""
    return llvm_vectors.compiled(_WeightGradientIR, dtype_char, (c, h, w), (o, ho, wo), (kh, kw), (ph, pw))


class _WeightGradientIR(NarrowPlanesFunction):
    name, arrays, integers = "weight_gradient", 4, 2

    def __init__(self, dtype_char: str, image, grad, kernel, padding) -> None:
        super().__init__(dtype_char)
        (self.c, self.h, self.w), (self.o, self.ho, self.wo) = image, grad
        (self.kh, self.kw), (self.ph, self.pw) = kernel, padding
        self.rows = self.ho + self.kh - 1  # of the padded image, and of each narrow plane
        budget = ACCUMULATOR_REGISTERS[has_avx512()]
        self.columns = min(self.kw, budget if self.o == 1 else budget // 2)  # kernel columns per block
        self.channels = max(1, min(self.o, budget // self.columns))  # output channels per block
        self.x, self.grad, self.sums, self.planes, first, last = self.function.args
        self.slots = [[self.b.alloca(self.vector) for _ in range(self.columns)] for _ in range(self.channels)]
        self.for_range(first, last, self.image)
        self.b.ret_void()

    def image(self, n) -> None:
        self.copy_narrow_planes(n)
        self.for_range(self.const(0), self.const(self.c), lambda ci: self.channel(n, ci))

    def channel(self, n, ci) -> None:
        full, rest = divmod(self.o, self.channels)
        for i in range(self.kh):
            for j0 in range(0, self.kw, self.columns):
                columns = range(j0, min(self.kw, j0 + self.columns))
                # Whole blocks of output channels in a loop (one copy of the code), the rest after.
                self.for_range(self.const(0), self.const(full), lambda block, i=i, columns=columns:
                               self.block(n, ci, i, self.b.mul(block, self.const(self.channels)),
                                          self.channels, columns))
                if rest:
                    self.block(n, ci, i, self.const(full * self.channels), rest, columns)

    def block(self, n, ci, i: int, first, count: int, columns) -> None:
        """Adds the dot products of kernel row ``i``, output channels ``first, ..., first + count - 1``
        and these kernel columns into their partial sums."""
        b, width, every = self.b, self.width, [True] * self.width
        channels = [b.add(first, self.const(k)) for k in range(count)]
        sums = [[self.sum_offset(ci, o, i, j) for j in columns] for o in channels]
        for k in range(count):
            for m in range(len(columns)):
                b.store(self.load(self.sums, sums[k][m], every), self.slots[k][m])
        grads = [self.offset(n, self.o, o, self.ho * self.wo, 0) for o in channels]
        runs = [self.offset(j, self.c, ci, self.rows, i, self.wo, 0) for j in columns]

        def step(at, valid: list[bool]) -> None:
            partial = [[b.load(self.slots[k][m]) for m in range(len(columns))] for k in range(count)]
            gradients = [self.load(self.grad, b.add(start, at), valid) for start in grads]
            for m, start in enumerate(runs):
                run = self.load(self.planes, b.add(start, at), valid)
                for k in range(count):
                    partial[k][m] = b.call(self.fmuladd, [gradients[k], run, partial[k][m]])
            for k in range(count):
                for m in range(len(columns)):
                    b.store(partial[k][m], self.slots[k][m])

        full, tail = divmod(self.ho * self.wo, width)
        self.for_range(self.const(0), self.const(full), lambda v: step(b.mul(v, self.const(width)), every))
        if tail:
            step(self.const(full * width), [lane < tail for lane in range(width)])
        for k in range(count):
            for m in range(len(columns)):
                self.store(b.load(self.slots[k][m]), self.sums, sums[k][m], every)

    def sum_offset(self, ci, o, i: int, j: int):
        return self.b.mul(self.offset(ci, self.o, o, self.kh, i, self.kw, j), self.const(self.width))
