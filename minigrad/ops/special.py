"""Special-function primitives: erf (GELU's), log1p and expm1 (stable softplus, ELU).

Each backward is written with tensors (``exp``, ``*``, ``/``), so higher orders come free.
log1p and expm1 exist for accuracy near 0, where ``log(1 + x)`` and ``exp(x) - 1`` lose digits.
"""

from __future__ import annotations

import math

from minigrad.autograd.function import Primitive


class Erf(Primitive):
    """``erf(a)``; its derivative is ``2/sqrt(pi) * exp(-a^2)``."""

    name = "erf"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(ctx.input(0))
        return ctx.backend.erf(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (-(a * a)).exp() * (2 / math.sqrt(math.pi))


class Log1p(Primitive):
    """``log(1 + a)``, accurate for tiny ``a``; its derivative is ``1 / (1 + a)``."""

    name = "log1p"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(ctx.input(0))
        return ctx.xp.log1p(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a + 1)


class Expm1(Primitive):
    """``exp(a) - 1``, accurate for tiny ``a``; its derivative is ``exp(a)``, computed from the
    input: ``out + 1`` would round to 0 for ``a < -37`` (float64), where exp(a) is not 0."""

    name = "expm1"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(ctx.input(0))
        return ctx.xp.expm1(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a.exp()
