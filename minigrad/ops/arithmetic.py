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
        return grad, (-grad if ctx.needs_input_grad[1] else None)


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
        # Only what the wanted gradients read, as PyTorch: d/da needs a and b, d/db needs a, b, out.
        _, needs_b = ctx.needs_input_grad
        ctx.save_for_backward(ctx.input(0), ctx.input(1), ctx.output(0) if needs_b else None)
        return a**b

    @staticmethod
    def backward(ctx, grad):
        # PyTorch's rules at the singular points: d(a**b)/da is 0 where b == 0 (even at a == 0,
        # where b * a**(b-1) is nan); d(a**b)/db is 0 where a == 0 and b >= 0 (a**b is flat in b
        # there), elsewhere out * log(a) (-inf at a == 0 with b < 0, nan for a < 0).
        a, b, out = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if needs_a:
            if isinstance(b, (int, float)):
                grad_a = grad * 0 if b == 0 else grad * (b * a ** (b - 1))
            else:
                grad_a = where(b._array == 0, 0.0, grad * (b * a ** (b - 1)))
        if needs_b:
            b_array = b._array
            if isinstance(a, (int, float)):  # a Python scalar base: 2 ** x
                log_a = math.log(a) if a > 0 else (-math.inf if a == 0 else math.nan)
                grad_b = grad * out * log_a
                if a == 0:
                    grad_b = where(b_array >= 0, 0.0, grad_b)
            else:
                flat = (a._array == 0) & (b_array >= 0)
                grad_b = grad * out * where(flat, 1.0, a).log()
        return grad_a, grad_b
