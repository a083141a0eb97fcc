"""Direct stride-1 convolution over narrow planes, with explicit SIMD vectors: LLVM IR written
here (with :mod:`~minigrad.backends.kernels.llvm_vectors`), compiled by llvmlite, one function
per geometry.

What it computes is the stride-1 cross-correlation with any padding, no dilation, one group::

    out[n, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * x_pad[n, c, y + i, x + j]

Per image the input is copied into its narrow planes (:mod:`~minigrad.backends.kernels.
narrow_planes`), so the output plane of each channel is one flat run of ``Ho * Wo`` positions,
cut into vectors of ``L`` with only the last one partly masked. A block of output channels
times a few vectors of positions keeps its sums in registers over every input channel and
kernel tap; each tap is one load per position vector (a run of the tap's plane) and one
broadcast weight per channel. :mod:`~minigrad.backends.kernels.vector_conv` cuts each output
ROW into vectors instead: for LeNet's 10-wide conv2 output that fills 10 of 16 lanes.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from minigrad.backends.kernels import llvm_vectors
from minigrad.backends.kernels.llvm_vectors import available, has_avx512, lanes
from minigrad.backends.kernels.narrow_planes import NarrowPlanesFunction

__all__ = ["available", "lanes", "correlate", "fits", "compiled"]

#: Vector registers one block's sums may take, without AVX-512 and with it (16 and 32 registers;
#: the rest hold the loaded runs and a broadcast weight).
ACCUMULATOR_REGISTERS = (12, 24)
#: Position vectors per block (each tap loads this many runs).
VECTORS_PER_BLOCK = 3
#: Kernel widths the unrolled code takes.
MAX_KERNEL_WIDTH = 11
#: The most numbers one image's narrow planes may take (they should stay in L1 or L2).
MAX_PLANES_SIZE = 2**15


def fits(x: Any, weight: Any, stride, dilation, groups: int, out_size) -> bool:
    """Whether :func:`correlate` takes this convolution: stride and dilation 1, one group,
    float32/64 with the weight's dtype, and narrow planes of at most ``MAX_PLANES_SIZE`` numbers."""
    c, (kh, kw), (ho, wo) = x.shape[1], weight.shape[2:], out_size
    return (tuple(stride) == (1, 1) and tuple(dilation) == (1, 1) and groups == 1 and x.dtype.char in "fd"
            and weight.dtype == x.dtype and 1 <= kw <= MAX_KERNEL_WIDTH and kh >= 1 and min(out_size) >= 1
            and kw * c * (ho + kh - 1) * wo <= MAX_PLANES_SIZE)


def correlate(xp: Any, x: Any, weight: Any, bias: Any, padding, out_size):
    """The stride-1 cross-correlation (N, O, Ho, Wo) of ``x`` (N, C, H, W) with ``weight``
    (O, C, KH, KW), plus ``bias`` (O,) unless it is None. ``fits`` must hold."""
    n, c, h, w = x.shape
    o, _, kh, kw = weight.shape
    ho, wo = out_size
    function = compiled(x.dtype.char, c, h, w, o, kh, kw, *padding)
    x, weight = xp.ascontiguousarray(x), xp.ascontiguousarray(weight)
    if bias is not None:
        bias = xp.ascontiguousarray(bias, dtype=x.dtype)
    out = xp.empty((n, o, ho, wo), dtype=x.dtype)
    planes = xp.empty((kw, c, ho + kh - 1, wo), dtype=x.dtype)
    function(x.ctypes.data, weight.ctypes.data, None if bias is None else bias.ctypes.data, out.ctypes.data,
             planes.ctypes.data, 0, n)
    return out


@cache
def compiled(dtype_char: str, c: int, h: int, w: int, o: int, kh: int, kw: int, ph: int, pw: int):
    """The compiled correlation for one geometry (any batch size), as a ctypes function
    ``(x, weight, bias or NULL, out, planes, n0, n1)`` over images ``[n0, n1)``, with ``planes``
    (KW, C, Ho + KH - 1, Wo) its room for one image's narrow planes; compiled once per machine
    (``object_cache``)."""
    return llvm_vectors.compiled(_PlaneCorrelationIR, dtype_char, (c, h, w), (o, kh, kw), (ph, pw))


class _PlaneCorrelationIR(NarrowPlanesFunction):
    """Writes the function: per image, the narrow planes, then for each block of output
    channels and of position vectors (``block``) the sums over every input channel (``channel``)."""

    name, arrays, integers = "plane_correlate", 5, 2

    def __init__(self, dtype_char: str, image, kernel, padding) -> None:
        super().__init__(dtype_char)
        (self.c, self.h, self.w), (self.o, self.kh, self.kw), (self.ph, self.pw) = image, kernel, padding
        self.ho, self.wo = self.h + 2 * self.ph - self.kh + 1, self.w + 2 * self.pw - self.kw + 1
        self.rows = self.ho + self.kh - 1
        self.positions = self.ho * self.wo
        self.vectors = -(-self.positions // self.width)
        self.per_block = min(VECTORS_PER_BLOCK, self.vectors)
        self.channels = max(1, min(self.o, ACCUMULATOR_REGISTERS[has_avx512()] // self.per_block))
        self.x, self.weight, self.bias, self.out, self.planes, first, last = self.function.args
        self.slots = [[self.b.alloca(self.vector) for _ in range(self.per_block)] for _ in range(self.channels)]
        self.has_bias = self.b.icmp_unsigned("!=", self.b.ptrtoint(self.bias, self.i64), self.const(0))
        self.for_range(first, last, self.image)
        self.b.ret_void()

    def image(self, n) -> None:
        self.copy_narrow_planes(n)
        b, const, step = self.b, self.const, self.per_block * self.width
        # Blocks of position vectors: whole ones in a loop, then the last (compiled on its own,
        # since its last vector may be cut by the plane's end).
        loop_blocks, last_vectors = divmod(self.vectors, self.per_block)
        if last_vectors == 0:
            loop_blocks, last_vectors = loop_blocks - 1, self.per_block

        def blocks(first_channel, count: int) -> None:
            self.for_range(const(0), const(loop_blocks), lambda v: self.block(
                n, first_channel, count, b.mul(v, const(step)), self.per_block, last=False))
            self.block(n, first_channel, count, const(loop_blocks * step), last_vectors, last=True)

        full_channels, rest_channels = divmod(self.o, self.channels)
        self.for_range(const(0), const(full_channels),
                       lambda block: blocks(b.mul(block, const(self.channels)), self.channels))
        if rest_channels:
            blocks(const(full_channels * self.channels), rest_channels)

    def block(self, n, first_channel, count: int, position, vectors: int, last: bool) -> None:
        """Output channels ``first_channel ..`` (``count``) at the ``vectors`` position vectors
        from ``position`` (``last``: the plane's last block): the bias, the sums over every input
        channel, the store."""
        b = self.b
        channels = [b.add(first_channel, self.const(k)) for k in range(count)]
        for k, channel in enumerate(channels):
            with b.if_else(self.has_bias) as (then, otherwise):
                with then:
                    value = self.broadcast(b.load(b.gep(self.bias, [channel])))
                    for slot in self.slots[k][:vectors]:
                        b.store(value, slot)
                with otherwise:
                    for slot in self.slots[k][:vectors]:
                        b.store(self.zeros, slot)
        valid = [[True] * self.width for _ in range(vectors)]
        if last:  # the plane's last vector: the lanes before its end
            end = self.positions - (self.vectors - 1) * self.width
            valid[-1] = [lane < end for lane in range(self.width)]
        self.for_range(self.const(0), self.const(self.c),
                       lambda ci: self.channel(ci, channels, position, valid))
        for k, channel in enumerate(channels):
            start = b.add(self.offset(n, self.o, channel, self.positions, 0), position)
            for v in range(vectors):
                self.store(b.load(self.slots[k][v]), self.out, b.add(start, self.const(v * self.width)), valid[v])

    def channel(self, ci, channels, position, valid: list[list[bool]]) -> None:
        """Input channel ``ci``'s taps, added to the block's sums (``valid``: each vector's lanes)."""
        b, const, vectors = self.b, self.const, len(valid)
        sums = [[b.load(slot) for slot in self.slots[k][:vectors]] for k in range(len(channels))]
        taps = b.mul(ci, const(self.kh * self.kw))
        for i in range(self.kh):
            for j in range(self.kw):
                run = b.add(self.offset(j, self.c, ci, self.rows, i, self.wo, 0), position)
                runs = [self.load(self.planes, b.add(run, const(v * self.width)), valid[v]) for v in range(vectors)]
                for k, channel in enumerate(channels):
                    tap = b.add(b.mul(channel, const(self.c * self.kh * self.kw)), b.add(taps, const(i * self.kw + j)))
                    weight = self.broadcast(b.load(b.gep(self.weight, [tap])))
                    for v in range(vectors):
                        sums[k][v] = b.call(self.fmuladd, [runs[v], weight, sums[k][v]])
        for k in range(len(channels)):
            for v in range(vectors):
                b.store(sums[k][v], self.slots[k][v])
