"""The error function and its relatives for NumPy arrays (NumPy has none of them).

SciPy's ``scipy.special`` is used when it is installed (it is not a dependency of minigrad);
without it, ``math.erf``/``math.erfc`` are applied element by element (exact, but about 20x
slower) and ``erfinv`` is found by Newton's method on ``erf``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

try:
    from scipy import special as _scipy_special
except ImportError:  # pragma: no cover - exercised where SciPy is absent
    _scipy_special = None

_math_erf = numpy.frompyfunc(math.erf, 1, 1)
_math_erfc = numpy.frompyfunc(math.erfc, 1, 1)


def _elementwise(function: Any, x: numpy.ndarray) -> numpy.ndarray:
    # math.erf works in float64; the result is rounded back to the input's precision.
    return numpy.asarray(function(numpy.asarray(x, dtype=numpy.float64)), dtype=numpy.float64).astype(x.dtype)


def erf(x: numpy.ndarray) -> numpy.ndarray:
    if _scipy_special is not None:
        return _scipy_special.erf(x)
    return _elementwise(_math_erf, x)


def erfc(x: numpy.ndarray) -> numpy.ndarray:
    if _scipy_special is not None:
        return _scipy_special.erfc(x)
    return _elementwise(_math_erfc, x)


def erfinv(x: numpy.ndarray) -> numpy.ndarray:
    result = _scipy_special.erfinv(x) if _scipy_special is not None else erfinv_by_newton(x)
    return numpy.where(x == 0, x, result)  # erfinv(-0.0) is -0.0, as PyTorch


def erfinv_by_newton(x: numpy.ndarray) -> numpy.ndarray:
    """``erfinv`` without SciPy: Giles' single-precision approximation (2010), then Newton steps
    on ``erf(y) = x`` in float64 (each doubles the correct digits). ``erfinv(+-1) = +-inf``,
    ``nan`` outside ``[-1, 1]``, as PyTorch."""
    x64 = numpy.asarray(x, dtype=numpy.float64)
    inside = numpy.abs(x64) < 1
    t = numpy.where(inside, x64, 0.0)
    w = -numpy.log((1.0 - t) * (1.0 + t))
    small = w - 2.5
    large = numpy.sqrt(numpy.maximum(w, 5.0)) - 3.0
    p_small = numpy.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                             -0.00125372503, -0.00417768164, 0.246640727, 1.50140941], small)
    p_large = numpy.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                             -0.0076224613, 0.00943887047, 1.00167406, 2.83297682], large)
    y = numpy.where(w < 5.0, p_small, p_large) * t
    # Newton on erf near 0; near +-1 on erfc(|y|) = 1 - |x| (exact there), where erf(y) - x
    # would lose the digits that the tiny slope then magnifies.
    tail = numpy.abs(t) >= 0.5
    magnitude, target = numpy.abs(y), 1.0 - numpy.abs(t)
    two_over_sqrt_pi = 2 / math.sqrt(math.pi)
    for _ in range(3):  # erf' = -erfc' = 2 / sqrt(pi) * exp(-y**2)
        y = y - (_elementwise(_math_erf, y) - t) / (two_over_sqrt_pi * numpy.exp(-y * y))
        magnitude = magnitude + (_elementwise(_math_erfc, magnitude) - target) / (
            two_over_sqrt_pi * numpy.exp(-magnitude * magnitude))
    y = numpy.where(tail, numpy.copysign(magnitude, t), y)
    y = numpy.where(inside, y, numpy.where(numpy.abs(x64) == 1, numpy.copysign(numpy.inf, x64), numpy.nan))
    return y.astype(x.dtype)
