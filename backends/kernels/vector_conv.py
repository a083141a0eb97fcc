"""Direct convolution with explicit SIMD vectors: LLVM IR written here, compiled by llvmlite.

numba's loops did not vectorise a convolution's small channel counts (LLVM's loop vectoriser
wants one long inner loop; LeNet's has 5 taps), so this module writes the vector code itself,
as LLVM IR with ``<L x float>`` values (``L``: 8 on AVX2, 16 on AVX-512; LLVM legalises the
width on any other CPU), and JIT-compiles one function per layer geometry with llvmlite (numba's
own compiler library, installed with it).

What it computes is the stride-1 cross-correlation (any padding, any dilation, one group)::

    out[n, o, y, x] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * x_pad[n, c, y + i*dh, x + j*dw]

with each output row cut into vectors of ``L`` neighbouring ``x``. For a few output channels
``o`` at a time, the row's vectors are accumulated in registers over every input channel and
kernel row; each tap ``(c, i, j)`` is one load of an input row shifted by ``j*dw - pw`` (masked
where the shift reaches past the row, which is the zero padding: no padded copy is made) and
one fused multiply-add per channel with the broadcast weight. The kernel's taps and the vectors
of a row are unrolled at compile time, so the masks are constants.

The function takes a range of images ``[n0, n1)`` and is called through ctypes, which releases
the GIL, so parts of a batch could run on several threads; in a LeNet step on 2 cores two
threads were slower than one (OpenBLAS's threads, spinning between GEMMs, hold the other core;
``benchmarks/kernels.py`` has the numbers), so :func:`correlate` runs on the caller's thread.
"""

from __future__ import annotations

import ctypes
import importlib.util
from functools import cache
from typing import Any

__all__ = ["available", "correlate", "fits", "compiled"]

#: Vector registers the accumulators of one pass may take, without AVX-512 and with it (AVX2
#: has 16, AVX-512 32; the rest hold the loaded row and the broadcast weights). More spill.
ACCUMULATOR_REGISTERS = (8, 16)
#: Vectors per output row the unrolled code holds (wider rows: the GEMM realisations).
MAX_VECTORS_PER_ROW = 4
#: Kernel widths the unrolled code takes.
MAX_KERNEL_WIDTH = 11


@cache  # asked on every convolution (numba_kernels.is_direct)
def available() -> bool:
    """Whether llvmlite is installed (it comes with numba, the ``fast`` extra)."""
    return importlib.util.find_spec("llvmlite") is not None


def lanes(dtype_char: str) -> int:
    """Numbers per vector: a 256-bit register (512 with AVX-512) of float32 or float64."""
    return (64 if _target()[1] else 32) // (4 if dtype_char == "f" else 8)


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
    ``(x, weight, bias or NULL, out, n0, n1)``; compiled once per process."""
    import llvmlite.binding as llvm

    machine, _ = _target()
    module = llvm.parse_assembly(_correlation_ir(dtype_char, c, h, w, o, kh, kw, ph, pw, dh, dw))
    module.verify()
    builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
    builder.getModulePassManager().run(module, builder)
    engine = llvm.create_mcjit_compiler(module, machine)
    engine.finalize_object()
    pointer = ctypes.c_void_p
    signature = ctypes.CFUNCTYPE(None, pointer, pointer, pointer, pointer, ctypes.c_int64, ctypes.c_int64)
    function = signature(engine.get_function_address("correlate"))
    function.engine = engine  # the machine code lives as long as its engine
    return function


def _correlation_ir(dtype_char: str, c: int, h: int, w: int, o: int, kh: int, kw: int, ph: int, pw: int,
                    dh: int, dw: int) -> str:
    """The LLVM IR of ``correlate(x, weight, bias, out, n0, n1)`` for one geometry."""
    return str(_CorrelationIR(dtype_char, (c, h, w), (o, kh, kw), (ph, pw), (dh, dw)).module)


class _CorrelationIR:
    """Writes the function: for each image, pass of output channels and output row, the row's
    vectors are summed in registers over every input channel and kernel row (``input_row``),
    then stored (``store_row``). Python loops unroll at compile time; ``for_range`` emits a loop."""

    def __init__(self, dtype_char: str, image, kernel, padding, dilation) -> None:
        import llvmlite.binding as llvm
        import llvmlite.ir as ir

        self.ir = ir
        (self.c, self.h, self.w), (self.o, self.kh, self.kw) = image, kernel
        (self.ph, self.pw), (self.dh, self.dw) = padding, dilation
        self.ho = self.h + 2 * self.ph - self.dh * (self.kh - 1)
        self.wo = self.w + 2 * self.pw - self.dw * (self.kw - 1)
        self.width = lanes(dtype_char)
        self.vectors = -(-self.wo // self.width)  # per output row
        self.group = max(1, min(self.o, ACCUMULATOR_REGISTERS[_target()[1]] // self.vectors))  # channels per pass
        self.itemsize = 4 if dtype_char == "f" else 8  # the alignment of the shifted, unaligned runs
        number = ir.FloatType() if dtype_char == "f" else ir.DoubleType()
        self.vector, self.i64, self.i32 = ir.VectorType(number, self.width), ir.IntType(64), ir.IntType(32)
        self.mask_type = ir.VectorType(ir.IntType(1), self.width)

        self.module = ir.Module(name="vector_conv")
        self.module.triple = llvm.get_process_triple()
        array = number.as_pointer()
        signature = ir.FunctionType(ir.VoidType(), [array] * 4 + [self.i64, self.i64])
        self.function = ir.Function(self.module, signature, name="correlate")
        for argument in self.function.args[:4]:
            argument.add_attribute("noalias")
        self.x, self.weight, self.bias, self.out, first, last = self.function.args
        vector, pointer, suffix = self.vector, self.vector.as_pointer(), f"v{self.width}f{8 * self.itemsize}"
        self.masked_load = self.intrinsic(f"llvm.masked.load.{suffix}.p0", vector,
                                          [pointer, self.i32, self.mask_type, vector])
        self.masked_store = self.intrinsic(f"llvm.masked.store.{suffix}.p0", ir.VoidType(),
                                           [vector, pointer, self.i32, self.mask_type])
        self.fmuladd = self.intrinsic(f"llvm.fmuladd.{suffix}", vector, [vector] * 3)

        self.b = ir.IRBuilder(self.function.append_basic_block("entry"))
        self.zeros = ir.Constant(vector, [0.0] * self.width)
        # The accumulators live in stack slots that LLVM's mem2reg turns into registers.
        self.sums = [[self.b.alloca(vector) for _ in range(self.vectors)] for _ in range(self.group)]
        self.has_bias = self.b.icmp_unsigned("!=", self.b.ptrtoint(self.bias, self.i64), self.const(0))
        self.for_range(first, last, self.image)
        self.b.ret_void()

    # --- the convolution ---------------------------------------------------------------------
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
        b, const, c, h, w = self.b, self.const, self.c, self.h, self.w
        row = b.add(y, const(i * self.dh - self.ph))
        inside = b.and_(b.icmp_signed(">=", row, const(0)), b.icmp_signed("<", row, const(h)))
        with b.if_then(inside):
            row_start = b.mul(b.add(b.mul(b.add(b.mul(n, const(c)), ci), const(h)), row), const(w))
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
                    run = self.load(b.add(row_start, const(column)), valid)
                    for k in range(len(channels)):
                        partial[k][v] = b.call(self.fmuladd, [run, weights[k], partial[k][v]])
            for k in range(len(channels)):
                for v in range(self.vectors):
                    b.store(partial[k][v], self.sums[k][v])

    def store_row(self, n, y, channels) -> None:
        b, const = self.b, self.const
        for k, channel in enumerate(channels):
            row_start = b.mul(b.add(b.mul(b.add(b.mul(n, const(self.o)), const(channel)), const(self.ho)), y),
                              const(self.wo))
            for v in range(self.vectors):
                valid = [v * self.width + lane < self.wo for lane in range(self.width)]
                pointer = self.pointer(self.out, b.add(row_start, const(v * self.width)))
                value = b.load(self.sums[k][v])
                if all(valid):
                    b.store(value, pointer, align=self.itemsize)
                else:
                    b.call(self.masked_store, [value, pointer, self.const32(self.itemsize), self.mask(valid)])

    # --- IR helpers --------------------------------------------------------------------------
    def load(self, offset, valid: list[bool]):
        """The vector of ``x`` from ``offset``: lanes where ``valid`` is False read nothing (0)."""
        pointer = self.pointer(self.x, offset)
        if all(valid):
            return self.b.load(pointer, align=self.itemsize)
        return self.b.call(self.masked_load, [pointer, self.const32(self.itemsize), self.mask(valid), self.zeros])

    def for_range(self, lo, hi, body) -> None:
        """``for i in range(lo, hi): body(i)``, as blocks and a phi."""
        b = self.b
        before = b.block
        head, inside, after = (self.function.append_basic_block(name) for name in ("head", "body", "after"))
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(self.i64)
        i.add_incoming(lo, before)
        b.cbranch(b.icmp_signed("<", i, hi), inside, after)
        b.position_at_end(inside)
        body(i)
        i.add_incoming(b.add(i, self.const(1)), b.block)
        b.branch(head)
        b.position_at_end(after)

    def broadcast(self, scalar):
        ir = self.ir
        undefined = ir.Constant(self.vector, ir.Undefined)
        one = self.b.insert_element(undefined, scalar, self.const32(0))
        return self.b.shuffle_vector(one, undefined, ir.Constant(ir.VectorType(self.i32, self.width), [0] * self.width))

    def pointer(self, array, offset):
        return self.b.bitcast(self.b.gep(array, [offset]), self.vector.as_pointer())

    def intrinsic(self, name: str, result, arguments):
        return self.ir.Function(self.module, self.ir.FunctionType(result, arguments), name=name)

    def mask(self, valid: list[bool]):
        return self.ir.Constant(self.mask_type, [self.ir.Constant(self.ir.IntType(1), int(v)) for v in valid])

    def const(self, value: int):
        return self.ir.Constant(self.i64, value)

    def const32(self, value: int):
        return self.ir.Constant(self.i32, value)


@cache
def _target():
    """(the host's LLVM target machine, whether it has AVX-512)."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    features = llvm.get_host_cpu_features().flatten()
    machine = llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=features, opt=3)
    return machine, "+avx512f" in features.split(",")
