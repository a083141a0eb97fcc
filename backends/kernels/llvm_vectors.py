"""What the explicitly vectorised kernels share: the host's LLVM target, the vector width, a
builder of LLVM IR functions with ``<L x float>`` values, and its compilation to a ctypes function.

numba's loops did not vectorise a convolution's small channel counts (LLVM's loop vectoriser
wants one long inner loop; LeNet's has 5 taps), so the kernels built on this module write the
vector code themselves and JIT-compile one function per layer geometry with llvmlite (numba's
own compiler library, installed with it). Their Python loops unroll at compile time, so shapes,
masks and offsets are constants in the machine code; ``for_range`` emits a real loop.

Compiled functions are called through ctypes, which releases the GIL.
"""

from __future__ import annotations

import ctypes
import importlib.util
import threading
from functools import cache

from . import object_cache

__all__ = ["available", "lanes", "has_avx512", "VectorFunction", "compiled"]

_LOCK = threading.Lock()
_FUNCTIONS: dict = {}  # cache key -> ctypes function, for this process


@cache  # asked on every convolution (numba_kernels.is_direct)
def available() -> bool:
    """Whether llvmlite is installed (it comes with numba, the ``fast`` extra)."""
    return importlib.util.find_spec("llvmlite") is not None


def has_avx512() -> bool:
    """Whether the host has AVX-512: 32 vector registers of 512 bits instead of 16 of 256."""
    return _target()[1]


def lanes(dtype_char: str) -> int:
    """Numbers per vector: a 256-bit register (512 with AVX-512) of float32 or float64."""
    return (64 if has_avx512() else 32) // (4 if dtype_char == "f" else 8)


def compiled(builder: type[VectorFunction], dtype_char: str, *geometry):
    """The function ``builder(dtype_char, *geometry)`` writes, optimised (O3) and compiled for
    this host, as a ctypes function: loaded from the on-disk cache (``object_cache``) where it
    holds the code, else compiled and stored there."""
    name = object_cache.key(builder, (dtype_char, *geometry), _target_description())
    with _LOCK:  # one engine for all threads; each symbol is added to it once
        if name not in _FUNCTIONS:
            _FUNCTIONS[name] = _load_or_compile(builder, dtype_char, geometry, name)
        return _FUNCTIONS[name]


def _load_or_compile(builder: type[VectorFunction], dtype_char: str, geometry: tuple, name: str):
    import llvmlite.binding as llvm

    machine, _ = _target()
    code = object_cache.read(name)
    if code is None:
        module = llvm.parse_assembly(str(builder(dtype_char, *geometry).module))
        module.verify()
        module.get_function(builder.name).name = name  # unique within the one shared engine
        options = llvm.create_pipeline_tuning_options(speed_level=3)
        # The code is unrolled where it pays already: LLVM's unroller only copied the short
        # constant-bound loops again (longer compiles; no faster code in interleaved runs).
        options.loop_unrolling = False
        passes = llvm.create_pass_builder(machine, options)
        passes.getModulePassManager().run(module, passes)
        code = machine.emit_object(module)
        object_cache.write(name, code)
    engine = _engine()
    engine.add_object_file(llvm.ObjectFileRef.from_data(code))
    engine.finalize_object()
    signature = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * builder.arrays, *[ctypes.c_int64] * builder.integers)
    address = engine.get_function_address(name)
    if not address:  # an entry whose checksum holds but whose code is not this kernel's
        raise RuntimeError(f"the kernel cache entry {name}.o in {object_cache.directory()} does not hold "
                           f"{name}: delete it, or set MINIGRAD_KERNEL_CACHE=off")
    function = signature(address)
    function.engine = engine  # the machine code lives as long as its engine
    return function


class VectorFunction:
    """Builds one function ``name(arrays..., integers...)`` over arrays of one float dtype.

    A subclass sets ``name``, ``arrays`` and ``integers`` and writes the body with ``self.b``
    (llvmlite's IRBuilder) and the helpers below in ``__init__`` after calling
    ``super().__init__``; :func:`compiled` turns it into a ctypes function.
    """

    name: str
    arrays: int  #: pointer arguments, first
    integers: int  #: int64 arguments, after them

    def __init__(self, dtype_char: str) -> None:
        import llvmlite.binding as llvm
        import llvmlite.ir as ir

        self.ir = ir
        name, arrays, integers = self.name, self.arrays, self.integers
        self.width = lanes(dtype_char)
        self.itemsize = 4 if dtype_char == "f" else 8  # the alignment of shifted, unaligned runs
        number = ir.FloatType() if dtype_char == "f" else ir.DoubleType()
        self.vector, self.i64, self.i32 = ir.VectorType(number, self.width), ir.IntType(64), ir.IntType(32)
        self.mask_type = ir.VectorType(ir.IntType(1), self.width)
        self.module = ir.Module(name=name)
        self.module.triple = llvm.get_process_triple()
        signature = ir.FunctionType(ir.VoidType(), [number.as_pointer()] * arrays + [self.i64] * integers)
        self.function = ir.Function(self.module, signature, name=name)
        for argument in self.function.args[:arrays]:
            argument.add_attribute("noalias")

        vector, pointer, suffix = self.vector, self.vector.as_pointer(), f"v{self.width}f{8 * self.itemsize}"
        self.masked_load = self.intrinsic(f"llvm.masked.load.{suffix}.p0", vector,
                                          [pointer, self.i32, self.mask_type, vector])
        self.masked_store = self.intrinsic(f"llvm.masked.store.{suffix}.p0", ir.VoidType(),
                                           [vector, pointer, self.i32, self.mask_type])
        self.fmuladd = self.intrinsic(f"llvm.fmuladd.{suffix}", vector, [vector] * 3)
        self.b = ir.IRBuilder(self.function.append_basic_block("entry"))
        self.zeros = ir.Constant(vector, [0.0] * self.width)

    # --- memory ------------------------------------------------------------------------------
    def load(self, array, offset, valid: list[bool]):
        """The vector of ``array`` from ``offset``: lanes where ``valid`` is False read nothing (0)."""
        pointer = self.pointer(array, offset)
        if all(valid):
            return self.b.load(pointer, align=self.itemsize)
        return self.b.call(self.masked_load, [pointer, self.const32(self.itemsize), self.mask(valid), self.zeros])

    def store(self, value, array, offset, valid: list[bool]) -> None:
        """Writes the lanes of ``value`` where ``valid`` holds to ``array`` from ``offset``."""
        pointer = self.pointer(array, offset)
        if all(valid):
            self.b.store(value, pointer, align=self.itemsize)
        else:
            self.b.call(self.masked_store, [value, pointer, self.const32(self.itemsize), self.mask(valid)])

    def pointer(self, array, offset):
        return self.b.bitcast(self.b.gep(array, [offset]), self.vector.as_pointer())

    def broadcast(self, scalar):
        """A vector of ``L`` copies of ``scalar`` (a number, or an int64 such as an index)."""
        ir = self.ir
        undefined = ir.Constant(ir.VectorType(scalar.type, self.width), ir.Undefined)
        one = self.b.insert_element(undefined, scalar, self.const32(0))
        return self.b.shuffle_vector(one, undefined, ir.Constant(ir.VectorType(self.i32, self.width), [0] * self.width))

    # --- control flow and constants ----------------------------------------------------------
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

    def offset(self, *indices_and_sizes):
        """The flat offset of an index into a C-ordered array: ``offset(i0, n1, i1, n2, i2, ...)``
        is ``((i0 * n1 + i1) * n2 + i2) ...``; indices are IR values or ints, sizes ints."""
        b, value = self.b, self.as_value(indices_and_sizes[0])
        for k in range(1, len(indices_and_sizes), 2):
            size, index = indices_and_sizes[k], indices_and_sizes[k + 1]
            value = b.add(b.mul(value, self.const(size)), self.as_value(index))
        return value

    def as_value(self, value):
        return self.const(value) if isinstance(value, int) else value

    def intrinsic(self, name: str, result, arguments):
        """LLVM's intrinsic ``name``, declared once in the module."""
        declared = self.module.globals.get(name)
        return declared or self.ir.Function(self.module, self.ir.FunctionType(result, arguments), name=name)

    def mask(self, valid: list[bool]):
        return self.ir.Constant(self.mask_type, [self.ir.Constant(self.ir.IntType(1), int(v)) for v in valid])

    def const(self, value: int):
        return self.ir.Constant(self.i64, value)

    def const32(self, value: int):
        return self.ir.Constant(self.i32, value)


@cache
def _engine():
    """The process's one MCJIT engine: every kernel's object code is added to it (an engine per
    kernel would keep its own module and memory manager)."""
    import llvmlite.binding as llvm

    return llvm.create_mcjit_compiler(llvm.parse_assembly(""), _target()[0])


@cache
def _target_description() -> str:
    import llvmlite.binding as llvm

    _target()  # initialises LLVM's native target
    return f"{llvm.get_process_triple()} {llvm.get_host_cpu_name()} {llvm.get_host_cpu_features().flatten()}"


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
