"""Special functions that NumPy lacks (erf, erfc, erfinv), written with array operations only
(any ``xp``).

A backend uses its library's own kernel where it has one (SciPy's, CuPy's ``cupyx.scipy``)
and falls back on these, which agree with ``math.erf`` to about 1e-15 (relative).
"""

from __future__ import annotations

import math
from typing import Any

#: Below it, the series; above it, the continued fraction of erfc (both converge fast there).
_SPLIT = 2.5


def erf(xp: Any, x: Any) -> Any:
    """The error function, elementwise, in ``x``'s floating dtype (computed in float64).

    For |x| < 2.5: ``erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1))``, whose
    terms are all positive (no cancellation). Above: ``erfc(x) = exp(-x^2)/sqrt(pi) / (x +
    (1/2)/(x + 1/(x + (3/2)/(x + ...))))``, evaluated from depth 60 up.
    """
    magnitude = xp.abs(x).astype(xp.float64)
    small = xp.minimum(magnitude, _SPLIT)
    square = small * small
    term = small.copy()
    total = small.copy()
    for n in range(60):
        term = term * (2 * square) / (2 * n + 3)
        total = total + term
    series = (2 / math.sqrt(math.pi)) * xp.exp(-square) * total
    large = xp.maximum(magnitude, _SPLIT)
    fraction = xp.zeros_like(large)
    for k in range(60, 0, -1):
        fraction = (k / 2) / (large + fraction)
    complement = xp.exp(-large * large) / math.sqrt(math.pi) / (large + fraction)
    result = xp.where(magnitude < _SPLIT, series, 1 - complement)
    return (xp.sign(x) * result).astype(x.dtype, copy=False)


def erfc(xp: Any, x: Any) -> Any:
    """``1 - erf(x)`` without its cancellation for large ``x``: the continued fraction above 2.5
    (as in ``erf``), ``1 - erf`` below (erfc >= 4e-4 there, so at most ~3 digits go), and
    ``2 - erfc(|x|)`` for negative ``x``."""
    magnitude = xp.abs(x).astype(xp.float64)
    large = xp.maximum(magnitude, _SPLIT)
    fraction = xp.zeros_like(large)
    for k in range(60, 0, -1):
        fraction = (k / 2) / (large + fraction)
    tail = xp.exp(-large * large) / math.sqrt(math.pi) / (large + fraction)
    positive = xp.where(magnitude < _SPLIT, 1 - erf(xp, xp.minimum(magnitude, _SPLIT)), tail)
    result = xp.where(x < 0, 2 - positive, positive)
    return xp.where(x != x, x, result).astype(x.dtype, copy=False)


def erfinv(xp: Any, x: Any) -> Any:
    """The inverse of erf on ``[-1, 1]``: Giles' single-precision approximation (2010), then
    Newton steps in float64 (each doubles the correct digits): on erf near 0, on
    ``erfc(|y|) = 1 - |x|`` near +-1 (exact there), where ``erf(y) - x`` would lose the digits
    that the tiny slope then magnifies. ``erfinv(+-1) = +-inf``, NaN outside, ``-0.0`` kept."""
    x64 = xp.asarray(x).astype(xp.float64)
    inside = xp.abs(x64) < 1
    t = xp.where(inside, x64, 0.0)
    w = -xp.log((1.0 - t) * (1.0 + t))
    small, large = w - 2.5, xp.sqrt(xp.maximum(w, 5.0)) - 3.0
    p_small = _polynomial([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                           -0.00125372503, -0.00417768164, 0.246640727, 1.50140941], small)
    p_large = _polynomial([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                           -0.0076224613, 0.00943887047, 1.00167406, 2.83297682], large)
    y = xp.where(w < 5.0, p_small, p_large) * t
    tail = xp.abs(t) >= 0.5
    magnitude, target = xp.abs(y), 1.0 - xp.abs(t)
    two_over_sqrt_pi = 2 / math.sqrt(math.pi)
    for _ in range(3):  # erf' = -erfc' = 2 / sqrt(pi) * exp(-y**2)
        y = y - (erf(xp, y) - t) / (two_over_sqrt_pi * xp.exp(-y * y))
        magnitude = magnitude + (erfc(xp, magnitude) - target) / (two_over_sqrt_pi * xp.exp(-magnitude * magnitude))
    y = xp.where(tail, xp.copysign(magnitude, t), y)
    edges = xp.where(xp.abs(x64) == 1, xp.copysign(xp.full_like(x64, xp.inf), x64), xp.nan)
    result = xp.where(x64 == 0, x64, xp.where(inside, y, edges))  # -0.0 stays -0.0
    return result.astype(x.dtype, copy=False)


def _polynomial(coefficients: list[float], x: Any) -> Any:
    """Horner's rule, highest power first (numpy.polyval, for any xp)."""
    total = x * 0 + coefficients[0]
    for c in coefficients[1:]:
        total = total * x + c
    return total
