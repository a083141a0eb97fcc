"""Elementwise functions of one tensor, as a table: one line of forward, one line of backward.

``unary(name, forward, backward, saves)`` makes a primitive whose forward is
``forward(ctx, a)`` on the raw array and whose backward is ``backward(saved, grad)`` written
with tensors (so higher orders come for free); ``saves`` says whether backward reads the input
``x`` or the output ``y``. The derivatives are PyTorch's (``derivatives.yaml``), written the way
a textbook would. (erf, log1p and expm1 are in ``minigrad.ops.special``.)

The step functions at the end (sign, floor, ceil, round, trunc) are piecewise constant: their
gradient is zero, as PyTorch's, but they are still recorded, so ``x.floor().sum().backward()``
gives ``x.grad == 0`` rather than an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from minigrad.autograd.function import Primitive

LN2, LN10 = math.log(2.0), math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


def unary(name: str, forward: Callable, backward: Callable, saves: str = "input") -> type[Primitive]:
    """A registered primitive ``name``: ``y = forward(ctx, x)``, ``dx = backward(x or y, grad)``."""

    def forward_saving(ctx, a):
        ctx.save_for_backward(ctx.input(0) if saves == "input" else ctx.output(0))
        return forward(ctx, a)

    def backward_from_saved(ctx, grad):
        (saved,) = ctx.saved_tensors
        return backward(saved, grad)

    title = "".join(part.title() for part in name.split("_"))
    return type(title, (Primitive,), {
        "name": name, "__module__": __name__, "__doc__": f"``{name}``, elementwise (saves its {saves}).",
        "forward": staticmethod(forward_saving), "backward": staticmethod(backward_from_saved),
    })


# name, forward on the array, backward from x (saves="input") or from y (saves="output")
Sin = unary("sin", lambda ctx, a: ctx.xp.sin(a), lambda x, g: g * x.cos())
Cos = unary("cos", lambda ctx, a: ctx.xp.cos(a), lambda x, g: -g * x.sin())
Tan = unary("tan", lambda ctx, a: ctx.xp.tan(a), lambda y, g: g * (1 + y * y), saves="output")
Asin = unary("asin", lambda ctx, a: ctx.xp.arcsin(a), lambda x, g: g * (1 - x * x).rsqrt())
Acos = unary("acos", lambda ctx, a: ctx.xp.arccos(a), lambda x, g: -g * (1 - x * x).rsqrt())
Atan = unary("atan", lambda ctx, a: ctx.xp.arctan(a), lambda x, g: g / (1 + x * x))
Sinh = unary("sinh", lambda ctx, a: ctx.xp.sinh(a), lambda x, g: g * x.cosh())
Cosh = unary("cosh", lambda ctx, a: ctx.xp.cosh(a), lambda x, g: g * x.sinh())
Asinh = unary("asinh", lambda ctx, a: ctx.xp.arcsinh(a), lambda x, g: g * (x * x + 1).rsqrt())
Acosh = unary("acosh", lambda ctx, a: ctx.xp.arccosh(a), lambda x, g: g * (x * x - 1).rsqrt())
Atanh = unary("atanh", lambda ctx, a: ctx.xp.arctanh(a), lambda x, g: g / (1 - x * x))
Log2 = unary("log2", lambda ctx, a: ctx.xp.log2(a), lambda x, g: g / (x * LN2))
Log10 = unary("log10", lambda ctx, a: ctx.xp.log10(a), lambda x, g: g / (x * LN10))
Exp2 = unary("exp2", lambda ctx, a: ctx.xp.exp2(a), lambda y, g: g * y * LN2, saves="output")
Erfc = unary("erfc", lambda ctx, a: ctx.backend.erfc(a),
             lambda x, g: -g * TWO_OVER_SQRT_PI * (-x * x).exp())
Erfinv = unary("erfinv", lambda ctx, a: ctx.backend.erfinv(a),
               lambda y, g: g * SQRT_PI_OVER_TWO * (y * y).exp(), saves="output")


def _zero_gradient(ctx, grad):
    return grad.new_zeros(grad.shape)  # PyTorch's zeros_like(grad): not grad * 0 (inf * 0 is nan)


def _sign(ctx, a):
    if a.dtype.kind == "b":
        return a.copy()
    # (0 < a) - (a < 0), as PyTorch: sign(nan) is 0 (NumPy's is nan).
    return ((a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)).astype(a.dtype, copy=False)


def _round(ctx, a, decimals=0):
    xp = ctx.xp
    if decimals == 0:
        return xp.rint(a)
    # PyTorch's order of operations, in the input's precision: rint(a * 10^d) / 10^d for d > 0,
    # rint(a / 10^-d) * 10^-d for d < 0 (so round(1234.5, -2) is 1200, not 1200.0000001).
    scale = xp.asarray(10.0 ** abs(decimals), dtype=a.dtype)
    return xp.rint(a * scale) / scale if decimals > 0 else xp.rint(a / scale) * scale


def step(name: str, forward: Callable) -> type[Primitive]:
    title = "".join(part.title() for part in name.split("_"))
    return type(title, (Primitive,), {
        "name": name, "__module__": __name__, "__doc__": f"``{name}``: piecewise constant, zero gradient.",
        "forward": staticmethod(forward), "backward": staticmethod(_zero_gradient),
    })


Sign = step("sign", _sign)
Floor = step("floor", lambda ctx, a: ctx.xp.floor(a))
Ceil = step("ceil", lambda ctx, a: ctx.xp.ceil(a))
Round = step("round", _round)
Trunc = step("trunc", lambda ctx, a: ctx.xp.trunc(a))
