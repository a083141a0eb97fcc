"""``Tensor``'s math methods: elementwise functions, rounding, predicates, logical and bitwise
operators, reductions, scans and norms, with PyTorch's names, signatures and dtypes.

``Tensor`` inherits them from :class:`MathMethods`; each is a thin call to a primitive in
``minigrad.ops`` (``unary``, ``binary``, ``scan``) or a composite (``numeric``, ``norms``,
``logic``). Every in-place twin (``sin_``) is its out-of-place op plus one write
(``Tensor._inplace``), so it is tracked and checked like ``add_``.

Dtypes follow PyTorch: float functions of integer or boolean tensors give the default float
(``sin`` of int64 is float32); rounding and ``sign`` keep integers as they are; ``sum``, ``prod``
and the scans accumulate integers and booleans in int64.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from minigrad.backends.dtypes import as_dtype, result_type
from minigrad.errors import DTypeError, UnsupportedDTypeError
from minigrad.ops import binary, logic, norms, numeric, reduction, scan, shape, unary
from minigrad.ops.composite import dim_in_range

INT64 = as_dtype("int64")


def dim_or_axis(dim: Any, axis: Any, op: str, required: bool = False) -> Any:
    """``dim``, or NumPy's spelling ``axis=`` (PyTorch accepts both, not together)."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}(): received both dim and its alias axis; pass one of them")
        return axis
    if required and dim is None:
        raise TypeError(f"{op}() missing 1 required positional argument: 'dim'")
    return dim


def _float_function(op: Any) -> Any:
    """A method ``x.name()`` computing ``op`` in floating point (ints become the default float)."""

    def method(self: Any) -> Any:
        return op.apply(self._floating())

    method.__name__ = op.name
    method.__doc__ = f"``{op.name}`` of each element (PyTorch's ``Tensor.{op.name}``)."
    return method


def _in_place(name: str) -> Any:
    """``x.name_(...)``: ``x.name(...)`` written into ``x``."""

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._inplace(name + "_", lambda: getattr(self, name)(*args, **kwargs), args)

    method.__name__ = name + "_"
    method.__doc__ = f"In-place ``{name}``."
    return method


def _refuse_bool(op: str, operand: Any, other: Any) -> Any:
    """``operand``, unless both operands are boolean: PyTorch has no boolean kernel for ``op``."""
    if result_type(operand, other).kind == "b":
        raise UnsupportedDTypeError(f'"{op}_cpu" not implemented for \'Bool\': convert with .long() or .float()')
    return operand


def _cast_for(x: Any, dtype: Any, integer_default: bool) -> Any:
    """``x`` in the accumulation dtype of sum/prod/cumsum: ``dtype`` if given, else int64 for
    integers and booleans (when ``integer_default``), else itself. Recorded (keeps the graph)."""
    if dtype is not None:
        target = as_dtype(dtype)
    elif integer_default and x.dtype.kind in "biu":
        target = INT64
    else:
        return x
    return x if target == x.dtype else shape.Cast.apply(x, dtype=target)


class MathMethods:
    """Mixed into :class:`minigrad.Tensor` (which provides ``_floating``, ``_promoted`` and
    ``_inplace``)."""

    __slots__ = ()

    # --- trigonometric, hyperbolic, exponential and logarithmic functions ----------------
    sin = _float_function(unary.Sin)
    cos = _float_function(unary.Cos)
    tan = _float_function(unary.Tan)
    asin = arcsin = _float_function(unary.Asin)
    acos = arccos = _float_function(unary.Acos)
    atan = arctan = _float_function(unary.Atan)
    sinh = _float_function(unary.Sinh)
    cosh = _float_function(unary.Cosh)
    asinh = arcsinh = _float_function(unary.Asinh)
    acosh = arccosh = _float_function(unary.Acosh)
    atanh = arctanh = _float_function(unary.Atanh)
    log2 = _float_function(unary.Log2)
    log10 = _float_function(unary.Log10)
    exp2 = _float_function(unary.Exp2)
    erfc = _float_function(unary.Erfc)
    erfinv = _float_function(unary.Erfinv)

    sin_, cos_, tan_ = _in_place("sin"), _in_place("cos"), _in_place("tan")
    asin_, acos_, atan_ = _in_place("asin"), _in_place("acos"), _in_place("atan")
    arcsin_, arccos_, arctan_ = asin_, acos_, atan_
    sinh_, cosh_ = _in_place("sinh"), _in_place("cosh")
    asinh_, acosh_, atanh_ = _in_place("asinh"), _in_place("acosh"), _in_place("atanh")
    arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_
    log2_, log10_, exp2_ = _in_place("log2"), _in_place("log10"), _in_place("exp2")
    erfc_, erfinv_ = _in_place("erfc"), _in_place("erfinv")
    # erf, log1p, expm1 (and their _ forms) come from SpecialMethods (minigrad/tensor_special.py)

    def rsqrt(self) -> Any:
        return self.sqrt().reciprocal()

    def reciprocal(self) -> Any:
        return 1.0 / self

    def square(self) -> Any:
        return self**2 if self.dtype.kind == "b" else self * self  # bool squares to int64, as PyTorch

    rsqrt_, reciprocal_, square_ = _in_place("rsqrt"), _in_place("reciprocal"), _in_place("square")

    # --- rounding and sign: piecewise constant, gradient 0 -------------------------------
    def sign(self) -> Any:
        return unary.Sign.apply(self)

    sgn = sign  # the same for real tensors

    def _rounding(self, op: Any, name: str, **attrs: Any) -> Any:
        if self.dtype.kind == "b":
            raise UnsupportedDTypeError(f'"{name}" not implemented for \'Bool\': convert with .float() first')
        if self.dtype.kind in "iu":
            return self.clone()  # integers are already whole, as PyTorch (a copy)
        return op.apply(self, **attrs)

    def floor(self) -> Any:
        return self._rounding(unary.Floor, "floor")

    def ceil(self) -> Any:
        return self._rounding(unary.Ceil, "ceil")

    def trunc(self) -> Any:
        return self._rounding(unary.Trunc, "trunc")

    fix = trunc

    def round(self, decimals: int = 0) -> Any:
        """Half to even (``round(2.5) == 2``), as PyTorch; ``decimals`` may be negative."""
        if decimals != 0 and self.dtype.kind != "f":
            raise UnsupportedDTypeError(f'"round" with decimals is not implemented for {self.dtype}')
        return self._rounding(unary.Round, "round", decimals=decimals)

    def frac(self) -> Any:
        """``x - trunc(x)``, with the sign of ``x``; its gradient is 1."""
        numeric.refuse_integers("frac", self)
        return self - self.trunc()

    sign_, sgn_, floor_, ceil_ = _in_place("sign"), _in_place("sgn"), _in_place("floor"), _in_place("ceil")
    trunc_, fix_, round_, frac_ = _in_place("trunc"), _in_place("fix"), _in_place("round"), _in_place("frac")

    # --- binary functions -------------------------------------------------------------
    def atan2(self, other: Any) -> Any:
        logic._other_as_tensor("atan2", other)
        a, b = self._promoted(other, "atan2", floating=True)
        return binary.Atan2.apply(a, b)

    arctan2 = atan2

    def hypot(self, other: Any) -> Any:
        logic._other_as_tensor("hypot", other)
        a, b = self._promoted(other, "hypot", exact=True)
        numeric.refuse_integers("hypot_cpu", a)
        return binary.Hypot.apply(a, b)

    def fmod(self, other: Any) -> Any:
        a, b = self._promoted(other, "fmod")
        return binary.Fmod.apply(_refuse_bool("fmod", a, b), b)

    def remainder(self, other: Any) -> Any:
        a, b = self._promoted(other, "remainder")
        return binary.Remainder.apply(_refuse_bool("remainder", a, b), b)

    __mod__ = remainder

    def __rmod__(self, other: Any) -> Any:
        a, b = self._promoted(other, "remainder")
        return binary.Remainder.apply(b, _refuse_bool("remainder", a, b))

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        """True division (``rounding_mode=None``), or rounded toward ``"floor"`` / ``"trunc"``
        in the promoted dtype (integers stay integers)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(
                f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
            )
        a, b = self._promoted(other, "div")
        return binary.DivRounded.apply(_refuse_bool(f"div_{rounding_mode}", a, b), b, rounding_mode=rounding_mode)

    divide = div

    def floor_divide(self, other: Any) -> Any:
        return self.div(other, rounding_mode="floor")

    __floordiv__ = floor_divide

    def __rfloordiv__(self, other: Any) -> Any:
        a, b = self._promoted(other, "floor_divide")
        return binary.DivRounded.apply(b, _refuse_bool("div_floor", a, b), rounding_mode="floor")

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        if rounding_mode is None:
            return self.__itruediv__(other)
        return self._inplace("div_", lambda: self.div(other, rounding_mode=rounding_mode), (other,))

    divide_ = div_
    atan2_, arctan2_, hypot_ = _in_place("atan2"), _in_place("atan2"), _in_place("hypot")
    fmod_, remainder_, floor_divide_ = _in_place("fmod"), _in_place("remainder"), _in_place("floor_divide")
    __imod__, __ifloordiv__ = remainder_, floor_divide_

    def lerp(self, end: Any, weight: Any) -> Any:
        """``self + weight * (end - self)``."""
        return numeric.lerp(self, end, weight)

    lerp_ = _in_place("lerp")

    def logaddexp(self, other: Any) -> Any:
        return numeric.logaddexp(self, other)

    def logsumexp(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        return numeric.logsumexp(self, dim_or_axis(dim, axis, "logsumexp"), keepdim)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        """``self + value * tensor1 * tensor2``."""
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        """``self + value * tensor1 / tensor2``."""
        return self + value * tensor1 / tensor2

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
        return numeric.nan_to_num(self, nan, posinf, neginf)

    def copysign(self, other: Any) -> Any:
        return numeric.copysign(self, other)

    def xlogy(self, other: Any) -> Any:
        return numeric.xlogy(self, other)

    def fmax(self, other: Any) -> Any:
        return numeric.fmax_fmin(self, other, "fmax")

    def fmin(self, other: Any) -> Any:
        return numeric.fmax_fmin(self, other, "fmin")

    def heaviside(self, values: Any) -> Any:
        return numeric.heaviside(self, values)

    def sinc(self) -> Any:
        return numeric.sinc(self)

    def logit(self, eps: float | None = None) -> Any:
        return numeric.logit(self, eps)

    def deg2rad(self) -> Any:
        return self._floating() * (math.pi / 180)

    def rad2deg(self) -> Any:
        return self._floating() * (180 / math.pi)

    def float_power(self, exponent: Any) -> Any:
        """``self ** exponent`` in float64 (PyTorch's rule for float_power)."""
        exponent = exponent.double() if isinstance(exponent, type(self)) else exponent
        return self.double() ** exponent

    def __abs__(self) -> Any:
        return self.abs()

    def absolute(self) -> Any:
        return self.abs()

    def negative(self) -> Any:
        return self.neg()

    def positive(self) -> Any:
        if self.dtype.kind == "b":
            raise DTypeError("positive: The `+` operator, on a bool tensor is not supported (as in PyTorch)")
        return self

    addcmul_, addcdiv_, nan_to_num_ = _in_place("addcmul"), _in_place("addcdiv"), _in_place("nan_to_num")
    copysign_, xlogy_, sinc_, logit_ = _in_place("copysign"), _in_place("xlogy"), _in_place("sinc"), _in_place("logit")
    deg2rad_, rad2deg_, float_power_ = _in_place("deg2rad"), _in_place("rad2deg"), _in_place("float_power")
    absolute_, negative_ = _in_place("absolute"), _in_place("negative")

    # --- predicates, comparisons, logical and bitwise ops ------------------------------
    def isnan(self) -> Any:
        return logic.isnan(self)

    def isinf(self) -> Any:
        return logic.isinf(self)

    def isposinf(self) -> Any:
        return logic.isposinf(self)

    def isneginf(self) -> Any:
        return logic.isneginf(self)

    def isfinite(self) -> Any:
        return logic.isfinite(self)

    def signbit(self) -> Any:
        return logic.signbit(self)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
        return logic.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return logic.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Any) -> bool:
        return logic.equal(self, other)

    def greater(self, other: Any) -> Any:
        return self > other

    def greater_equal(self, other: Any) -> Any:
        return self >= other

    def less(self, other: Any) -> Any:
        return self < other

    def less_equal(self, other: Any) -> Any:
        return self <= other

    def not_equal(self, other: Any) -> Any:
        return self != other

    def clamp_min(self, min: Any) -> Any:  # noqa: A002
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Any:  # noqa: A002
        return self.clamp(max=max)

    clamp_min_, clamp_max_ = _in_place("clamp_min"), _in_place("clamp_max")

    def logical_not(self) -> Any:
        return logic.logical_not(self)

    def logical_and(self, other: Any) -> Any:
        return logic.logical_and(self, other)

    def logical_or(self, other: Any) -> Any:
        return logic.logical_or(self, other)

    def logical_xor(self, other: Any) -> Any:
        return logic.logical_xor(self, other)

    eq_, ne_, lt_, le_, gt_, ge_ = (_in_place(name) for name in ("eq", "ne", "lt", "le", "gt", "ge"))
    greater_, greater_equal_, less_ = _in_place("greater"), _in_place("greater_equal"), _in_place("less")
    less_equal_, not_equal_, heaviside_ = _in_place("less_equal"), _in_place("not_equal"), _in_place("heaviside")
    logical_not_, logical_and_ = _in_place("logical_not"), _in_place("logical_and")
    logical_or_, logical_xor_ = _in_place("logical_or"), _in_place("logical_xor")

    def bitwise_not(self) -> Any:
        return logic.bitwise_not(self)

    def bitwise_and(self, other: Any) -> Any:
        return logic.bitwise("bitwise_and", self, other)

    def bitwise_or(self, other: Any) -> Any:
        return logic.bitwise("bitwise_or", self, other)

    def bitwise_xor(self, other: Any) -> Any:
        return logic.bitwise("bitwise_xor", self, other)

    def bitwise_left_shift(self, other: Any) -> Any:
        return logic.shift("left_shift", self, other)

    def bitwise_right_shift(self, other: Any) -> Any:
        return logic.shift("right_shift", self, other)

    __invert__ = bitwise_not
    __and__, __or__, __xor__ = bitwise_and, bitwise_or, bitwise_xor
    __lshift__, __rshift__ = bitwise_left_shift, bitwise_right_shift

    def __rand__(self, other: Any) -> Any:
        return logic.bitwise("bitwise_and", self, other, reflected=True)

    def __ror__(self, other: Any) -> Any:
        return logic.bitwise("bitwise_or", self, other, reflected=True)

    def __rxor__(self, other: Any) -> Any:
        return logic.bitwise("bitwise_xor", self, other, reflected=True)

    def __rlshift__(self, other: Any) -> Any:
        return logic.shift("left_shift", self, other, reflected=True)

    def __rrshift__(self, other: Any) -> Any:
        return logic.shift("right_shift", self, other, reflected=True)

    bitwise_not_, bitwise_and_ = _in_place("bitwise_not"), _in_place("bitwise_and")
    bitwise_or_, bitwise_xor_ = _in_place("bitwise_or"), _in_place("bitwise_xor")
    bitwise_left_shift_, bitwise_right_shift_ = _in_place("bitwise_left_shift"), _in_place("bitwise_right_shift")
    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_

    # --- reductions ------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *, axis: Any = None) -> Any:
        """Integers and booleans are summed in int64, as PyTorch; ``dtype`` casts first."""
        if axis is not None:
            dim = dim_or_axis(dim, axis, "sum")
        source = self if dtype is None and self._array.dtype.kind == "f" else _cast_for(self, dtype, True)
        dims = None if dim is None else reduction.normalize_dims(dim, self.ndim)  # the hot path: sum()
        return reduction.Sum.apply(source, dim=dims, keepdim=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *, axis: Any = None) -> Any:
        from minigrad.ops.composite import mean

        return mean(_cast_for(self, dtype, integer_default=False), dim_or_axis(dim, axis, "mean"), keepdim)

    def var(self, dim: Any = None, correction: Any = None, keepdim: bool = False, unbiased: bool | None = None,
            *, axis: Any = None) -> Any:
        from minigrad.ops.composite import var

        if isinstance(correction, builtins.bool):  # var(dim, True): the old `unbiased` position
            correction, unbiased = None, correction
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        return var(self, dim_or_axis(dim, axis, "var"), correction, keepdim)

    def std(self, dim: Any = None, correction: Any = None, keepdim: bool = False, unbiased: bool | None = None,
            *, axis: Any = None) -> Any:
        return numeric.safe_sqrt(self.var(dim, correction, keepdim, unbiased, axis=axis))

    def nansum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *, axis: Any = None) -> Any:
        return numeric.nansum(_cast_for(self, dtype, integer_default=False), dim_or_axis(dim, axis, "nansum"), keepdim)

    def nanmean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *, axis: Any = None) -> Any:
        source = _cast_for(self, dtype, integer_default=False)
        return numeric.nanmean(source, dim_or_axis(dim, axis, "nanmean"), keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False, dtype: Any = None, *, axis: Any = None) -> Any:
        """The product over one dim (all elements when None); integers multiply in int64."""
        dim = dim_or_axis(dim, axis, "prod")
        if isinstance(dim, (tuple, list)):
            raise TypeError("prod(): argument 'dim' must be int, not tuple (reduce one dim at a time)")
        return numeric.prod(_cast_for(self, dtype, integer_default=True), dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        """Whether any element is non-zero; a bool tensor (uint8 for uint8 input, as PyTorch)."""
        return self._truth("any", dim_or_axis(dim, axis, "any"), keepdim)

    def all(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        return self._truth("all", dim_or_axis(dim, axis, "all"), keepdim)

    def _truth(self, op: str, dim: Any, keepdim: bool) -> Any:
        dims = reduction.normalize_dims(dim, self.ndim)
        result = getattr(self.backend.xp, op)(self._array != 0, axis=dims, keepdims=keepdim)
        if self.dtype == as_dtype("uint8"):
            result = result.astype(self.dtype)
        return type(self)._make(result, self.backend)

    def count_nonzero(self, dim: Any = None, *, axis: Any = None) -> Any:
        return numeric.count_nonzero(self, dim_or_axis(dim, axis, "count_nonzero"))

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> Any:
        """``(min, max)`` as a named tuple."""
        return numeric.aminmax(self, dim, keepdim)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        """The vector p-norm over ``dim`` (all elements when None), ``'fro'`` being the 2-norm."""
        return norms.tensor_norm(self, p, dim, keepdim, dtype)

    # --- scans -------------------------------------------------------------------------------
    def _scan(self, op: Any, name: str, dim: Any, dtype: Any) -> Any:
        source = _cast_for(self, dtype, integer_default=True)
        if source.ndim == 0:
            dim_in_range(dim, 0, name)
            return op.apply(source.reshape(1), dim=0).reshape(())
        return op.apply(source, dim=dim_in_range(dim, source.ndim, name))

    def cumsum(self, dim: int | None = None, dtype: Any = None, *, axis: Any = None) -> Any:
        """Running sums along ``dim``; integers and booleans accumulate in int64."""
        return self._scan(scan.Cumsum, "cumsum", dim_or_axis(dim, axis, "cumsum", required=True), dtype)

    def cumprod(self, dim: int | None = None, dtype: Any = None, *, axis: Any = None) -> Any:
        """Running products along ``dim``; the gradient is exact with zeros, as PyTorch's."""
        return self._scan(scan.Cumprod, "cumprod", dim_or_axis(dim, axis, "cumprod", required=True), dtype)

    cumsum_, cumprod_ = _in_place("cumsum"), _in_place("cumprod")

    def cummax(self, dim: int | None = None, *, axis: Any = None) -> Any:
        """``(values, indices)``: the running maximum along ``dim`` and where it was reached."""
        dim = dim_in_range(dim_or_axis(dim, axis, "cummax", required=True), self.ndim, "cummax")
        return scan.cumulative_extremum(self, dim, "cummax")

    def cummin(self, dim: int | None = None, *, axis: Any = None) -> Any:
        dim = dim_in_range(dim_or_axis(dim, axis, "cummin", required=True), self.ndim, "cummin")
        return scan.cumulative_extremum(self, dim, "cummin")

    def logcumsumexp(self, dim: int | None = None, *, axis: Any = None) -> Any:
        """``log(cumsum(exp(x)))`` along ``dim``, without overflow."""
        numeric.refuse_integers("logcumsumexp_out_cpu", self)
        dim = dim_in_range(dim_or_axis(dim, axis, "logcumsumexp", required=True), self.ndim, "logcumsumexp")
        return scan.logcumsumexp(self, dim, numeric.logaddexp)
