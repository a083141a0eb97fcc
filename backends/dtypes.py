"""The dtypes minigrad knows, shared by every backend.

NumPy and CuPy use the same dtype objects, so these are the single source of truth; the core
imports them from here instead of from an array library. PyTorch's type promotion lives here
too (``promote_types``, ``result_type``), in one place: every binary op asks ``result_type``.
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
complex64 = numpy.dtype("complex64")
complex128 = numpy.dtype("complex128")

DEFAULT_FLOAT = float32  # PyTorch's initial default; the current one is default_float()
DType = numpy.dtype

# The current default float dtype (``minigrad.set_default_dtype``): what Python floats, float
# factories and float results of integer inputs become. A one-element list, so that every
# module reading it sees a change.
_default_float = [DEFAULT_FLOAT]


def default_float() -> numpy.dtype:
    """The default floating dtype (float32 unless ``set_default_float`` changed it)."""
    return _default_float[0]


def default_complex() -> numpy.dtype:
    """The complex dtype that goes with the default float (PyTorch: complex128 for float64)."""
    return complex128 if _default_float[0] == float64 else complex64


def set_default_float(dtype: numpy.dtype) -> None:
    """Make ``dtype`` (float16, float32 or float64) the default floating dtype."""
    if dtype.kind != "f":
        raise TypeError(
            f"only floating-point types are supported as the default type, got {dtype}; "
            "pass float32 or float64"
        )
    _default_float[0] = dtype

_BY_NAME = {
    "float16": float16, "half": float16, "float32": float32, "float": float32,
    "float64": float64, "double": float64, "int8": int8, "int16": int16, "int32": int32,
    "int": int32, "int64": int64, "long": int64, "uint8": uint8, "bool": bool_,
}
# PyTorch reads the Python types as these (dtype=float is float64, whatever the default dtype).
_BY_PYTHON_TYPE = {float: float64, int: int64, bool: bool_, complex: complex128}


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


def is_complex(dtype: numpy.dtype) -> bool:
    return dtype.kind == "c"


# --- PyTorch's type promotion ------------------------------------------------------------------
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # bool < integer < floating < complex


def category(dtype: numpy.dtype) -> int:
    """0 bool, 1 integer, 2 floating, 3 complex."""
    return _CATEGORY[dtype.kind]


def promote_types(a: numpy.dtype, b: numpy.dtype) -> numpy.dtype:
    """PyTorch's ``torch.promote_types``: the smallest dtype both fit in.

    Across categories the higher category wins as it is (int32 and float32 give float32, where
    NumPy would widen to float64; int64 and float16 give float16); within one, the wider type
    (uint8 and int8 give int16, as NumPy).
    """
    if a == b:
        return a
    if category(a) == category(b) or {category(a), category(b)} == {2, 3}:
        return numpy.promote_types(a, b)  # complex64 and float64 give complex128, as PyTorch
    return a if category(a) > category(b) else b


def _scalar_dtype(value: bool | int | float | complex) -> numpy.dtype:
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return default_float() if isinstance(value, float) else default_complex()


def result_type(*operands: object) -> numpy.dtype:
    """PyTorch's ``torch.result_type`` of Tensors (anything with ``.dtype`` and ``.ndim``) and
    Python scalars: the dtype a binary op computes and returns in.

    Operands come in three tiers: tensors with dimensions, 0-d tensors, Python scalars (a float
    counts as the default float32, an int as int64). A lower tier changes the result only when it
    is of a higher category: ``float32 * 0-d float64`` and ``float16 + 2.5`` stay float16/float32,
    ``int32 * 2.5`` is float32, ``int8 + 1000`` stays int8, ``int32 tensor + 0-d float64`` is
    float64.
    """
    tiers: list[numpy.dtype | None] = [None, None, None]
    for operand in operands:
        if isinstance(operand, (bool, int, float, complex)):
            dtype, tier = _scalar_dtype(operand), 2
        else:
            dtype, tier = operand.dtype, (0 if operand.ndim else 1)
        tiers[tier] = dtype if tiers[tier] is None else promote_types(tiers[tier], dtype)
    dimensioned, zero_dim, scalar = tiers
    result = _combine_tiers(dimensioned, _combine_tiers(zero_dim, scalar))
    if result is None:
        raise TypeError("result_type needs at least one operand")
    return result


def _combine_tiers(higher: numpy.dtype | None, lower: numpy.dtype | None) -> numpy.dtype | None:
    """A higher tier's dtype, unless the lower tier is of a higher category (PyTorch's rule)."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if category(higher) >= category(lower):
        return higher
    if category(higher) == 2:  # float32 tensor * 1j: complex of the tensor's precision
        return numpy.promote_types(higher, complex64)
    return lower


def floating_result(dtype: numpy.dtype) -> numpy.dtype:
    """The dtype of a float op (exp, sqrt, true division...) on ``dtype``: itself when floating
    or complex, else the default float (PyTorch: ``exp`` of an int64 tensor is float32)."""
    return dtype if dtype.kind in "fc" else default_float()


# --- what torch.tensor(data) infers from Python data -------------------------------------------
_INT64_RANGE = (-(2**63), 2**63 - 1)
_NUMBER = (bool, int, float, complex)


def from_python_data(data: object, dtype: numpy.dtype | None = None) -> numpy.ndarray:
    """A host array of Python ``data`` (scalars, nested lists) with PyTorch's dtype.

    Floats give the default float32, complex numbers complex64, ints int64, bools bool, unless
    ``dtype`` says otherwise. An int that does not fit in int64 is refused (NumPy would make an
    object or uint64 array), unless ``dtype`` is a float one; None, strings and other objects are
    refused with PyTorch's error classes.
    """
    try:
        array = numpy.asarray(data)
    except ValueError as error:  # ragged nested lists
        raise ValueError(
            f"tensor(): the nested sequences have different lengths ({error}); every row must "
            "have the same length"
        ) from None
    kind = array.dtype.kind
    if kind in "bifc":
        if dtype is None:
            dtype = {"b": bool_, "i": int64, "f": default_float(), "c": default_complex()}[kind]
        return array.astype(dtype, copy=False)
    numbers_only = kind == "u" or kind == "O" and all(isinstance(v, _NUMBER) for v in _leaves(data))
    if numbers_only and dtype is not None and dtype.kind in "fc":
        return numpy.asarray(data, dtype=dtype)  # ints beyond int64, stored as floats
    if isinstance(data, (str, bytes)):
        raise TypeError(f"tensor(): invalid data type '{type(data).__name__}'; a tensor holds numbers")
    if kind in "US":
        raise ValueError("tensor(): too many dimensions 'str': a tensor holds numbers, not strings")
    for leaf in _leaves(data):
        if isinstance(leaf, int) and not _INT64_RANGE[0] <= leaf <= _INT64_RANGE[1]:
            raise ValueError(
                f"tensor(): Overflow when unpacking long long: {leaf} does not fit in int64; "
                "pass dtype=minigrad.float64 to store it as a float"
            )
        if not isinstance(leaf, _NUMBER) and not hasattr(leaf, "dtype"):
            raise RuntimeError(f"tensor(): Could not infer dtype of {type(leaf).__name__}; a tensor holds numbers")
    raise TypeError(f"tensor(): cannot make a tensor from this {type(data).__name__} (NumPy read it as {array.dtype})")


def check_array_dtype(dtype: numpy.dtype) -> None:
    """Refuse arrays of objects, strings or records (PyTorch raises TypeError)."""
    if dtype.kind not in "biufc":
        raise TypeError(
            f"can't convert an array of dtype {dtype} to a tensor; the supported dtypes are "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8 and bool"
        )


def _leaves(data: object):
    """The scalars of nested lists/tuples, in order (an explicit stack: no recursion limit)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            yield item
