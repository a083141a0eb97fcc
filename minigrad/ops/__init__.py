"""minigrad's built-in primitives, one small class each, grouped by kind.

Importing this package registers them all (see ``minigrad.autograd.primitives()``).
"""

from minigrad.ops import (
    arithmetic,
    binary,
    composite,
    decompositions,
    elementwise,
    linalg,
    logic,
    norms,
    numeric,
    reduction,
    scan,
    shape,
    special,
    unary,
)

__all__ = [
    "arithmetic", "composite", "elementwise", "linalg", "reduction", "shape",
    "special", "binary", "decompositions", "logic", "norms", "numeric", "scan", "unary",
]
