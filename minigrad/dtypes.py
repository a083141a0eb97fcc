"""``minigrad.dtype``: the dtype objects users see (``minigrad.float32``), printed as PyTorch's.

Each wraps the NumPy dtype that the backends compute with (``backends/dtypes.py`` stays the
single source of truth for promotion). The wrapper keeps NumPy's vocabulary as well, so code
written against NumPy dtypes keeps working: it compares equal to and hashes like its NumPy
dtype, has ``kind``, ``char``, ``name``, ``type`` and ``itemsize``, and NumPy and CuPy accept it
wherever they take a dtype (they read its ``.dtype`` attribute).
"""

from __future__ import annotations

from typing import Any

import numpy

from minigrad.backends import dtypes as _numpy_dtypes


class dtype:  # noqa: N801  (PyTorch's spelling)
    """One element type: ``minigrad.float32``, ``minigrad.int64``, ``minigrad.bool``...

    ``is_floating_point``, ``is_complex``, ``is_signed`` and ``itemsize`` are PyTorch's;
    ``x.dtype == minigrad.float32`` and ``x.dtype == numpy.float32`` are both true.
    """

    __slots__ = ("dtype", "_torch_name")

    def __init__(self, numpy_dtype: Any, torch_name: str) -> None:
        self.dtype = numpy.dtype(numpy_dtype)  # read by numpy.dtype(this) and by CuPy
        self._torch_name = torch_name

    # --- PyTorch's attributes ---------------------------------------------------------------
    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "ifc"

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    def to_real(self) -> dtype:
        """The real dtype of a complex one (complex64 -> float32); other dtypes are returned as is."""
        return wrap({"c8": _numpy_dtypes.float32, "c16": _numpy_dtypes.float64}.get(self.dtype.str[1:], self.dtype))

    def to_complex(self) -> dtype:
        """The complex dtype of a float one (float64 -> complex128)."""
        if self.dtype.kind == "c":
            return self
        if self.dtype == _numpy_dtypes.float64:
            return complex128
        if self.dtype == _numpy_dtypes.float32:
            return complex64
        raise RuntimeError(f"to_complex is implemented only for float32 and float64, not {self}")

    # --- NumPy's vocabulary, for code written against NumPy dtypes --------------------------
    @property
    def kind(self) -> str:
        return self.dtype.kind

    @property
    def char(self) -> str:
        return self.dtype.char

    @property
    def name(self) -> str:
        return self.dtype.name

    @property
    def type(self) -> Any:
        return self.dtype.type

    # --- identity and printing ---------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, dtype):
            return self.dtype == other.dtype
        if isinstance(other, numpy.dtype):
            return self.dtype == other
        if isinstance(other, type) and issubclass(other, numpy.generic):
            return self.dtype == numpy.dtype(other)  # x.dtype == numpy.float32, as with NumPy dtypes
        if isinstance(other, str):
            return self.dtype.name == other  # x.dtype == "float32": NumPy's dtypes allow it
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self.dtype)  # equal to its NumPy dtype, so it finds the same dict entries

    def __repr__(self) -> str:
        return f"minigrad.{self._torch_name}"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return (wrap, (self.dtype,))  # unpickles to the one shared object (worker processes)


_NAMES = {
    "float16": "float16", "float32": "float32", "float64": "float64", "complex64": "complex64",
    "complex128": "complex128", "int8": "int8", "int16": "int16", "int32": "int32",
    "int64": "int64", "uint8": "uint8", "bool": "bool",
}
_BY_NUMPY: dict[numpy.dtype, dtype] = {
    numpy.dtype(name): dtype(name, torch_name) for name, torch_name in _NAMES.items()
}


def wrap(numpy_dtype: Any) -> dtype:
    """The ``minigrad.dtype`` of a NumPy dtype (or anything ``numpy.dtype`` reads)."""
    try:
        return _BY_NUMPY[numpy_dtype]
    except (KeyError, TypeError):
        resolved = numpy.dtype(numpy_dtype)
        if resolved not in _BY_NUMPY:
            _BY_NUMPY[resolved] = dtype(resolved, resolved.name)  # uint16 and friends
        return _BY_NUMPY[resolved]


float16 = wrap("float16")
float32 = wrap("float32")
float64 = wrap("float64")
complex64 = wrap("complex64")
complex128 = wrap("complex128")
int8 = wrap("int8")
int16 = wrap("int16")
int32 = wrap("int32")
int64 = wrap("int64")
uint8 = wrap("uint8")
bool_ = wrap("bool")


def get_default_dtype() -> dtype:
    """The dtype of Python floats and of float factories (``minigrad.float32`` unless set)."""
    return wrap(_numpy_dtypes.default_float())


def set_default_dtype(d: Any) -> None:
    """Make ``d`` (``minigrad.float32``, ``float64`` or ``float16``) the default floating dtype:
    ``tensor([1.0])``, ``zeros(2)``, ``arange(0.5)`` and ``exp`` of an integer tensor use it.

    As in PyTorch, a non-floating dtype is a TypeError.
    """
    if not isinstance(d, dtype):
        raise TypeError(f"set_default_dtype(): argument 'd' must be a minigrad.dtype, not {type(d).__name__}")
    _numpy_dtypes.set_default_float(d.dtype)
