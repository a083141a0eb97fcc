"""The dtypes minigrad knows, shared by every backend.

NumPy and CuPy use the same dtype objects, so these are the single source of truth; the core
imports them from here instead of from an array library.
"""

from __future__ import annotations

import numpy

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool_ = numpy.dtype("bool")

DEFAULT_FLOAT = float32
DType = numpy.dtype

_BY_NAME = {
    "float16": float16, "half": float16, "float32": float32, "float": float32,
    "float64": float64, "double": float64, "int8": int8, "int16": int16, "int32": int32,
    "int": int32, "int64": int64, "long": int64, "uint8": uint8, "bool": bool_,
}
_BY_PYTHON_TYPE = {float: float32, int: int64, bool: bool_}


def as_dtype(dtype: object) -> numpy.dtype:
    """Normalise ``"float32"``, ``minigrad.float32``, ``numpy.float32`` or a Python type."""
    if isinstance(dtype, str):
        if dtype not in _BY_NAME:
            raise TypeError(f"unknown dtype {dtype!r}; use one of {sorted(_BY_NAME)}")
        return _BY_NAME[dtype]
    if dtype in _BY_PYTHON_TYPE:
        return _BY_PYTHON_TYPE[dtype]
    try:
        return numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


def is_floating(dtype: numpy.dtype) -> bool:
    return dtype.kind == "f"
