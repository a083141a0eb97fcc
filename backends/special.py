"""Special functions that NumPy lacks, written with array operations only (any ``xp``).

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
