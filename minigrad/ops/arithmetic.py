"""Arithmetic primitives. Each backward returns one gradient per input, in the input's
broadcast shape: the engine sums it back to the input's own shape."""

from __future__ import annotations

import math

from minigrad.autograd.function import Primitive
from minigrad.ops.elementwise import where


class Add(Primitive):
    name = "add"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Primitive):
    name = "sub"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad


class Mul(Primitive):
    name = "mul"

    @staticmethod
    def forward(ctx, a, b):
        needs_a, needs_b = ctx.needs_input_grad  # each gradient needs only the other operand
        ctx.save_for_backward(ctx.input(0) if needs_b else None, ctx.input(1) if needs_a else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        return (grad * b if needs_a else None), (grad * a if needs_b else None)


class Div(Primitive):
    name = "div"

    @staticmethod
    def forward(ctx, a, b):
        needs_a, needs_b = ctx.needs_input_grad  # d/da needs b; d/db needs a and b
        ctx.save_for_backward(ctx.input(0) if needs_b else None, ctx.input(1))
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        return (grad / b if needs_a else None), (-grad * a / (b * b) if needs_b else None)


class Neg(Primitive):
    name = "neg"

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Primitive):
    """``a ** b`` for a tensor or scalar base and exponent."""

    name = "pow"

    @staticmethod
    def forward(ctx, a, b):
        # Only what the wanted gradients read, as PyTorch: d/da needs a and b, d/db needs a and out.
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save_for_backward(ctx.input(0), ctx.input(1) if needs_a else None, ctx.output(0) if needs_b else None)
        return a**b

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if needs_a:
            if isinstance(b, (int, float)) and b == 0:
                grad_a = grad * 0  # d(a**0)/da is 0, even at a == 0 where 0 * a**-1 is nan
            else:
                grad_a = grad * b * a ** (b - 1)
        if needs_b:
            # The base may be a Python scalar (2 ** x); where it is 0, a**b is flat in b (as PyTorch).
            if isinstance(a, (int, float)):
                log_a = math.log(a) if a > 0 else (0.0 if a == 0 else math.nan)
                grad_b = grad * out * log_a
            else:
                grad_b = grad * out * where(a._array == 0, 1.0, a).log()
        return grad_a, grad_b
