"""Elementwise math primitives: exp, log, sqrt, abs, clamp, relu, sigmoid, tanh, where.

A mask computed in forward (where relu passes, where clamp clips) is saved as a constant: its
derivative is zero almost everywhere, so higher-order gradients stay correct.
"""

from __future__ import annotations

from minigrad.autograd.function import Primitive


class Exp(Primitive):
    name = "exp"

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.exp(a)
        ctx.save_for_backward(ctx.output(0))
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Primitive):
    name = "log"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(ctx.input(0))
        return ctx.xp.log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Sqrt(Primitive):
    name = "sqrt"

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.sqrt(a)
        ctx.save_for_backward(ctx.output(0))
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (out * 2)


class Abs(Primitive):
    name = "abs"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(ctx.constant(ctx.xp.sign(a)))
        return ctx.xp.abs(a)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        return grad * sign


class Clamp(Primitive):
    """Gradient passes where ``min <= a <= max``, as in PyTorch."""

    name = "clamp"

    @staticmethod
    def forward(ctx, a, *, min=None, max=None):  # noqa: A002  (PyTorch's names)
        inside = ctx.xp.ones(a.shape, dtype=a.dtype)
        if min is not None:
            inside *= a >= min
        if max is not None:
            inside *= a <= max
        ctx.save_for_backward(ctx.constant(inside))
        return ctx.xp.clip(a, min, max).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return grad * inside


class Relu(Primitive):
    name = "relu"

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.maximum(a, 0)
        ctx.save_for_backward(ctx.constant(out > 0))
        return out

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved_tensors
        return grad * positive


class Sigmoid(Primitive):
    name = "sigmoid"

    @staticmethod
    def forward(ctx, a):
        xp = ctx.xp
        # Two branches so that exp never overflows: 1/(1+e^-a) for a >= 0, e^a/(1+e^a) below.
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(ctx.output(0))
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Tanh(Primitive):
    name = "tanh"

    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.tanh(a)
        ctx.save_for_backward(ctx.output(0))
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class Where(Primitive):
    """``where(condition, a, b)``: the condition is a constant boolean array."""

    name = "where"

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.save_for_backward(ctx.constant(condition))
        return ctx.xp.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        zero = grad.new_zeros(())
        _, needs_a, needs_b = ctx.needs_input_grad
        grad_a = where(condition, grad, zero) if needs_a else None
        grad_b = where(condition, zero, grad) if needs_b else None
        return None, grad_a, grad_b


def where(condition, a, b):
    """Differentiable in ``a`` and ``b``; scalars are accepted for either."""
    from minigrad.tensor import Tensor

    if isinstance(condition, Tensor):
        condition = condition._array
    return Where.apply(condition, a, b)
