"""minigrad's built-in primitives, one small class each, grouped by kind.

Importing this package registers them all (see ``minigrad.autograd.primitives()``).
"""

from minigrad.ops import arithmetic, composite, elementwise, linalg, reduction, shape, special

__all__ = ["arithmetic", "composite", "elementwise", "linalg", "reduction", "shape", "special"]
