"""Module-level twins of the math methods (``minigrad.sin(x)`` as ``torch.sin(x)``).

Each is ``input.name(...)`` (see ``minigrad.tensor_math``), with PyTorch's argument names; the
few that accept a Python number first (``torch.remainder(2, x)``) use the reflected operator.
"""

from __future__ import annotations

from typing import Any

from minigrad.tensor import Tensor


def _method(name: str) -> Any:
    """``minigrad.name(input, *args, **kwargs)`` is ``input.name(*args, **kwargs)``."""

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002  (PyTorch's names)
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"PyTorch's ``torch.{name}``: ``input.{name}(...)``."
    return function


def _reflected(name: str, operator: str, reflected: str) -> Any:
    """A binary function whose first operand may be a Python number (``torch.remainder(2, x)``)."""

    def function(input: Any, other: Any) -> Tensor:  # noqa: A002
        if isinstance(input, Tensor):
            return getattr(input, operator)(other)
        if isinstance(other, Tensor):
            return getattr(other, reflected)(input)
        raise TypeError(f"{name}(): expected at least one Tensor argument, got {type(input).__name__} and "
                        f"{type(other).__name__}")

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"PyTorch's ``torch.{name}``."
    return function


# --- elementwise -----------------------------------------------------------------------------
sin, cos, tan = _method("sin"), _method("cos"), _method("tan")
asin, acos, atan = _method("asin"), _method("acos"), _method("atan")
arcsin, arccos, arctan = _method("arcsin"), _method("arccos"), _method("arctan")
sinh, cosh = _method("sinh"), _method("cosh")
asinh, acosh, atanh = _method("asinh"), _method("acosh"), _method("atanh")
arcsinh, arccosh, arctanh = _method("arcsinh"), _method("arccosh"), _method("arctanh")
log2, log10, exp2 = _method("log2"), _method("log10"), _method("exp2")
erfc, erfinv = _method("erfc"), _method("erfinv")  # erf, log1p, expm1: minigrad/tensor_special.py
rsqrt, reciprocal, square = _method("rsqrt"), _method("reciprocal"), _method("square")
sign, sgn, signbit = _method("sign"), _method("sgn"), _method("signbit")
floor, ceil, trunc, fix, frac = _method("floor"), _method("ceil"), _method("trunc"), _method("fix"), _method("frac")
round = _method("round")  # noqa: A001  (round(input, decimals=0))
neg, negative = _method("neg"), _method("neg")
atan2, arctan2, hypot, fmod = _method("atan2"), _method("arctan2"), _method("hypot"), _method("fmod")
remainder = _reflected("remainder", "__mod__", "__rmod__")
div = divide = _method("div")  # div(input, other, *, rounding_mode=None)
true_divide = _method("true_divide")
floor_divide = _reflected("floor_divide", "__floordiv__", "__rfloordiv__")
lerp, logaddexp = _method("lerp"), _method("logaddexp")
clip = _method("clamp")
addcmul, addcdiv, nan_to_num = _method("addcmul"), _method("addcdiv"), _method("nan_to_num")
copysign, fmax, fmin, heaviside = _method("copysign"), _method("fmax"), _method("fmin"), _method("heaviside")
sinc, logit, deg2rad, rad2deg = _method("sinc"), _method("logit"), _method("deg2rad"), _method("rad2deg")
float_power, positive = _method("float_power"), _method("positive")


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * log(other)``, 0 where ``input == 0``; either may be a Python number."""
    from minigrad.ops.numeric import xlogy as xlogy_of

    return xlogy_of(input, other)

absolute = _method("abs")

# --- predicates, comparisons, logical and bitwise ----------------------------------------------
isnan, isinf, isfinite = _method("isnan"), _method("isinf"), _method("isfinite")
isposinf, isneginf = _method("isposinf"), _method("isneginf")
isclose, allclose, equal = _method("isclose"), _method("allclose"), _method("equal")
clamp_min, clamp_max = _method("clamp_min"), _method("clamp_max")


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number)."""
    from minigrad.ops.logic import isin as isin_of

    return isin_of(elements, test_elements, assume_unique, invert)


eq, ne, lt, le, gt, ge = _method("eq"), _method("ne"), _method("lt"), _method("le"), _method("gt"), _method("ge")
greater, greater_equal = _method("greater"), _method("greater_equal")
less, less_equal, not_equal = _method("less"), _method("less_equal"), _method("not_equal")
logical_not, logical_and = _method("logical_not"), _method("logical_and")
logical_or, logical_xor = _method("logical_or"), _method("logical_xor")
bitwise_not = _method("bitwise_not")
bitwise_and = _reflected("bitwise_and", "__and__", "__rand__")
bitwise_or = _reflected("bitwise_or", "__or__", "__ror__")
bitwise_xor = _reflected("bitwise_xor", "__xor__", "__rxor__")
bitwise_left_shift = _reflected("bitwise_left_shift", "__lshift__", "__rlshift__")
bitwise_right_shift = _reflected("bitwise_right_shift", "__rshift__", "__rrshift__")

# --- reductions and scans ----------------------------------------------------------------------
prod, nansum, nanmean, count_nonzero = _method("prod"), _method("nansum"), _method("nanmean"), _method("count_nonzero")
all, any = _method("all"), _method("any")  # noqa: A001
std, logsumexp, aminmax, norm = _method("std"), _method("logsumexp"), _method("aminmax"), _method("norm")
cumsum, cumprod, cummax, cummin = _method("cumsum"), _method("cumprod"), _method("cummax"), _method("cummin")
logcumsumexp = _method("logcumsumexp")


def var_mean(input: Tensor, dim: Any = None, correction: Any = None, keepdim: bool = False,  # noqa: A002
             unbiased: bool | None = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` (PyTorch's ``torch.var_mean``; a bool third argument is the
    old ``unbiased``)."""
    if isinstance(correction, bool):
        correction, unbiased = None, correction
    return input.var(dim, correction, keepdim, unbiased), input.mean(dim, keepdim)


def std_mean(input: Tensor, dim: Any = None, correction: Any = None, keepdim: bool = False,  # noqa: A002
             unbiased: bool | None = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` (PyTorch's ``torch.std_mean``)."""
    if isinstance(correction, bool):
        correction, unbiased = None, correction
    return input.std(dim, correction, keepdim, unbiased), input.mean(dim, keepdim)


_NOT_EXPORTED = {"annotations", "Any", "Tensor"}
__all__ = sorted(name for name in globals().copy() if not name.startswith("_") and name not in _NOT_EXPORTED)
