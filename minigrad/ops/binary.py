"""Elementwise functions of two tensors: atan2, hypot, fmod, remainder, rounded division.

The operands arrive already promoted to the result dtype (see ``minigrad.tensor_math``); either
may be a Python scalar. Backward returns each gradient in the broadcast shape (the engine sums
it back to the input's shape) and skips the ones nobody asked for.
"""

from __future__ import annotations

from minigrad.autograd.function import Primitive
from minigrad.errors import ArgumentError


def _constant(ctx, array):
    """A value computed in backward that is piecewise constant (its derivative is zero)."""
    from minigrad.tensor import Tensor

    return Tensor._make(array, ctx.backend)


def _array(value):
    return value._array if hasattr(value, "_array") else value


def refuse_integer_division_by_zero(xp, a, b, op: str) -> None:
    """PyTorch raises for an integer division by zero (NumPy returns 0 with a warning)."""
    kinds = [x.dtype.kind for x in (a, b) if hasattr(x, "dtype")]
    if kinds and all(kind in "biu" for kind in kinds) and bool(xp.any(xp.asarray(b) == 0)):
        raise ArgumentError(f"{op}: ZeroDivisionError: integer division by zero; divide floats for inf/nan")


class Atan2(Primitive):
    """``atan2(a, b)``: the angle of the point ``(b, a)``, in ``[-pi, pi]``."""

    name = "atan2"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(ctx.input(0), ctx.input(1))
        return ctx.xp.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        scaled = grad / (a * a + b * b)
        return (scaled * b if needs_a else None), (-scaled * a if needs_b else None)


class Hypot(Primitive):
    """``sqrt(a**2 + b**2)`` without overflow in the squares."""

    name = "hypot"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(ctx.input(0), ctx.input(1), ctx.output(0))
        return ctx.xp.hypot(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        scaled = grad / out
        return (scaled * a if needs_a else None), (scaled * b if needs_b else None)


class Fmod(Primitive):
    """C's ``fmod``: ``a - b * trunc(a / b)``, with the sign of ``a``."""

    name = "fmod"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(ctx.input(0), ctx.input(1))
        refuse_integer_division_by_zero(ctx.xp, a, b, "fmod")
        return ctx.xp.fmod(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        if not needs_b:
            return grad, None
        quotient = _constant(ctx, ctx.xp.trunc(_array(a) / _array(b)))  # PyTorch's rule
        return (grad if needs_a else None), -grad * quotient


class Remainder(Primitive):
    """Python's ``%``: ``a - b * floor(a / b)``, with the sign of ``b``."""

    name = "remainder"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(ctx.input(0), ctx.input(1))
        refuse_integer_division_by_zero(ctx.xp, a, b, "remainder")
        return ctx.xp.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        if not needs_b:
            return grad, None
        quotient = _constant(ctx, ctx.xp.floor_divide(_array(a), _array(b)))
        return (grad if needs_a else None), -grad * quotient


class DivRounded(Primitive):
    """``div(a, b, rounding_mode="floor" | "trunc")`` and ``a // b``: piecewise constant, so its
    gradient is zero (PyTorch's rule for ``div`` with a rounding mode; PyTorch's ``floor_divide``
    has no derivative at all and raises in backward, here it shares div's zero)."""

    name = "div_rounded"

    @staticmethod
    def forward(ctx, a, b, *, rounding_mode="floor"):
        xp = ctx.xp
        refuse_integer_division_by_zero(xp, a, b, "div")
        integral = all(x.dtype.kind in "biu" if hasattr(x, "dtype") else isinstance(x, int) for x in (a, b))
        if rounding_mode == "floor" or not integral:
            # NumPy's floor_divide is Python's // (and PyTorch's): -5.0 // inf is -1.0
            return xp.floor_divide(a, b) if rounding_mode == "floor" else xp.trunc(xp.true_divide(a, b))
        quotient = xp.floor_divide(a, b)  # integer truncation: floor, moved up where it rounded down
        inexact = (xp.remainder(a, b) != 0) & ((xp.asarray(a) < 0) != (xp.asarray(b) < 0))
        return (quotient + inexact).astype(quotient.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        needs_a, needs_b = ctx.needs_input_grad
        zero = grad.new_zeros(grad.shape)
        return (zero if needs_a else None), (zero if needs_b else None)
