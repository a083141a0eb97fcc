"""Predicates, logical and bitwise ops: boolean or integer results, outside the graph.

PyTorch's dtype rules: predicates and logical ops give ``bool`` for any input; bitwise ops and
shifts promote their operands (``result_type``) and exist only for integers and booleans, so a
float operand raises ``NotImplementedError`` (a ``RuntimeError``), as PyTorch's
``"bitwise_and_cpu" not implemented for 'Float'``.
"""

from __future__ import annotations

from typing import Any

from minigrad.backends.dtypes import result_type
from minigrad.errors import DTypeError, UnsupportedDTypeError

_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
                "complex128": "ComplexDouble"}


def _make(tensor: Any, array: Any) -> Any:
    from minigrad.tensor import Tensor

    return Tensor._make(array, tensor.backend)


def _arrays(a: Any, b: Any, op: str, dtype: Any = None) -> tuple[Any, Any, Any]:
    """``a`` (a Tensor) and ``b`` (Tensor or Python scalar) as raw arrays on ``a``'s device,
    after checking devices and shapes; cast to ``dtype`` when given."""
    from minigrad.tensor import Tensor, broadcast_shapes, common_backend

    b = a._operand(b)
    if isinstance(b, Tensor):
        common_backend([a, b], op)
        if b.shape != a.shape:
            broadcast_shapes(a.shape, b.shape, op)
    xp = a.backend.xp
    a_array = a._array
    b_array = b._array if isinstance(b, Tensor) else b
    if dtype is not None:
        a_array = a_array.astype(dtype, copy=False)
        b_array = b_array.astype(dtype, copy=False) if isinstance(b, Tensor) else xp.asarray(b_array, dtype=dtype)
    return xp, a_array, b_array


def _other_as_tensor(op: str, other: Any) -> None:
    from minigrad.tensor import Tensor

    if not isinstance(other, Tensor):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")


# --- predicates ----------------------------------------------------------------------------
def isnan(x: Any) -> Any:
    return _make(x, x._array != x._array)


def isinf(x: Any) -> Any:
    xp = x.backend.xp
    return _make(x, xp.isinf(x._array) if x.dtype.kind in "fc" else xp.zeros(x.shape, dtype=bool))


def isposinf(x: Any) -> Any:
    xp = x.backend.xp  # isinf & sign, not xp.isposinf: CuPy has no isposinf
    return _make(x, xp.isinf(x._array) & (x._array > 0) if x.dtype.kind == "f" else xp.zeros(x.shape, dtype=bool))


def isneginf(x: Any) -> Any:
    xp = x.backend.xp
    return _make(x, xp.isinf(x._array) & (x._array < 0) if x.dtype.kind == "f" else xp.zeros(x.shape, dtype=bool))


def isfinite(x: Any) -> Any:
    xp = x.backend.xp
    return _make(x, xp.isfinite(x._array) if x.dtype.kind in "fc" else xp.ones(x.shape, dtype=bool))


def signbit(x: Any) -> Any:
    xp = x.backend.xp
    return _make(x, xp.signbit(x._array) if x.dtype.kind != "b" else xp.zeros(x.shape, dtype=bool))


def _same_dtype(op: str, a: Any, b: Any) -> None:
    if a.dtype != b.dtype:
        raise DTypeError(
            f"{op}(): {_TORCH_NAMES.get(a.dtype.name, a.dtype.name)} did not match "
            f"{_TORCH_NAMES.get(b.dtype.name, b.dtype.name)}: both tensors must have the same dtype "
            f"(PyTorch does not promote here); convert one with .to({a.dtype})"
        )


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
    """``|a - b| <= atol + rtol * |b|``, elementwise; infinities are close only to themselves."""
    _other_as_tensor("isclose", b)
    _same_dtype("isclose", a, b)
    xp, a_array, b_array = _arrays(a, b, "isclose")
    if a.dtype.kind not in "fc":
        a_array, b_array = a_array.astype("float64"), b_array.astype("float64")
    return _make(a, xp.isclose(a_array, b_array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    _other_as_tensor("allclose", b)
    _same_dtype("allclose", a, b)
    return bool(isclose(a, b, rtol, atol, equal_nan)._array.all())


def equal(a: Any, b: Any) -> bool:
    """Same shape and the same values (the dtypes may differ, as in PyTorch; nan is never equal)."""
    _other_as_tensor("equal", b)
    if a.shape != b.shape:
        return False
    xp, a_array, b_array = _arrays(a, b, "equal")
    return bool(xp.all(a_array == b_array))


# --- logical: any dtype in, bool out -------------------------------------------------------
def logical_not(x: Any) -> Any:
    return _make(x, x._array == 0)


def _logical(op: str, ufunc: str, a: Any, b: Any) -> Any:
    _other_as_tensor(op, b)
    xp, a_array, b_array = _arrays(a, b, op)
    return _make(a, getattr(xp, ufunc)(a_array != 0, b_array != 0))


def logical_and(a: Any, b: Any) -> Any:
    return _logical("logical_and", "logical_and", a, b)


def logical_or(a: Any, b: Any) -> Any:
    return _logical("logical_or", "logical_or", a, b)


def logical_xor(a: Any, b: Any) -> Any:
    return _logical("logical_xor", "logical_xor", a, b)


# --- bitwise: integers and booleans, promoted ------------------------------------------------
def _refuse_floats(op: str, dtype: Any) -> None:
    if dtype.kind not in "biu":
        raise UnsupportedDTypeError(
            f'"{op}_cpu" not implemented for \'{_TORCH_NAMES.get(dtype.name, dtype.name)}\': bitwise ops '
            "need integer or bool tensors; compare first (x > 0) or convert with .long()"
        )


def bitwise_not(x: Any) -> Any:
    _refuse_floats("bitwise_not", x.dtype)
    return _make(x, ~x._array)


def bitwise(op: str, a: Any, b: Any, reflected: bool = False) -> Any:
    """``bitwise_and`` / ``_or`` / ``_xor`` of a Tensor and a Tensor or Python scalar."""
    dtype = result_type(a, a._operand(b))
    _refuse_floats(op, dtype)
    xp, a_array, b_array = _arrays(a, b, op, dtype)
    if reflected:
        a_array, b_array = b_array, a_array
    return _make(a, getattr(xp, op)(a_array, b_array))


def shift(op: str, a: Any, b: Any, reflected: bool = False) -> Any:
    """``a << b`` and ``a >> b`` with PyTorch's results for shifts past the width: ``<<`` gives
    0 and ``>>`` gives 0 or -1 (the sign), where C (and NumPy) leave them undefined."""
    dtype = result_type(a, a._operand(b))  # bool << 1 is int64, as PyTorch; bool << True is refused
    name = "lshift" if op == "left_shift" else "rshift"
    _refuse_floats(name, dtype)
    if dtype.kind == "b":
        raise UnsupportedDTypeError(f'"{name}_cpu" not implemented for \'Bool\': convert with .long() first')
    xp, value, count = _arrays(a, b, op, dtype)
    if reflected:
        value, count = count, value
    bits = dtype.itemsize * 8
    too_far = (count >= bits) | (count < 0)
    clamped = xp.where(too_far, 0, count).astype(dtype, copy=False)
    shifted = getattr(xp, op)(value, clamped)
    if op == "left_shift":
        past = xp.zeros_like(shifted)
    else:
        past = xp.where(value < 0, -1, 0).astype(dtype, copy=False)
    return _make(a, xp.where(too_far, past, shifted).astype(dtype, copy=False))


def isin(elements: Any, test_elements: Any, assume_unique: bool = False, invert: bool = False) -> Any:
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number)."""
    from minigrad.tensor import Tensor

    like = elements if isinstance(elements, Tensor) else test_elements
    xp = like.backend.xp
    values = elements._array if isinstance(elements, Tensor) else xp.asarray(elements)
    tests = test_elements._array if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return _make(like, xp.isin(values, tests, assume_unique=assume_unique, invert=invert))
