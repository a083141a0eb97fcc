"""Elementwise math primitives: exp, log, sqrt, abs, clamp, relu, sigmoid, tanh, where.

Each op saves what PyTorch's saves (relu its output, clamp and abs their input), so the same
in-place edits are caught. A mask made from it in backward (where relu passes, where clamp
clips) is a constant: its derivative is zero almost everywhere, so higher orders stay correct.
"""

from __future__ import annotations

from minigrad.autograd.function import Primitive
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.backends.dtypes import result_type


def _constant(ctx, array):
    """A mask computed in backward: a tensor outside the graph (its derivative is zero)."""
    from minigrad.tensor import Tensor

    return Tensor._make(array, ctx.backend)


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
        ctx.save_for_backward(ctx.input(0))
        return ctx.xp.abs(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        values = a._array
        # sign(a), but 0 where a is NaN, as PyTorch's sgn (NumPy's sign gives NaN there)
        return grad * _constant(ctx, (values > 0).astype(values.dtype) - (values < 0).astype(values.dtype))


class Clamp(Primitive):
    """Gradient passes where ``min <= a <= max``, as in PyTorch."""

    name = "clamp"

    @staticmethod
    def forward(ctx, a, *, min=None, max=None):  # noqa: A002  (PyTorch's names)
        ctx.save_for_backward(ctx.input(0))
        return ctx.xp.clip(a, min, max).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        low, high = ctx.attrs["min"], ctx.attrs["max"]
        inside = ctx.xp.ones(a.shape, dtype=grad.dtype)
        if low is not None:
            inside *= a._array >= low
        if high is not None:
            inside *= a._array <= high
        return grad * _constant(ctx, inside)


class Relu(Primitive):
    name = "relu"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(ctx.output(0))  # as PyTorch: an in-place edit of the output is caught
        fast = ctx.backend.kernels.relu(ctx.backend, a)  # a backend may do it faster (backends/kernels)
        return ctx.xp.maximum(a, 0) if fast is None else fast

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return ThresholdBackward.apply(grad, out)


class ThresholdBackward(Primitive):
    """ReLU's backward as one op (PyTorch's ``threshold_backward``): ``grad`` where NOT
    ``out <= 0``, so a NaN passes too. Its own derivative: the same mask for ``grad``; none for
    ``out`` (the mask is flat in it)."""

    name = "threshold_backward"

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(ctx.input(1))
        # A backend may realise the select faster (backends/kernels).
        fast = ctx.backend.kernels.threshold_backward(ctx.backend, grad, out)
        if fast is not None:
            return fast
        # The negation is written into the comparison's own array (one mask, not two), except
        # for 0-d outputs, where NumPy's comparison gives a scalar that cannot be written into.
        mask = out <= 0
        if mask.ndim:
            ctx.xp.logical_not(mask, out=mask)
        else:
            mask = ~mask
        # PyTorch selects: an inf or NaN gradient at a dead unit gives 0 (a product gives NaN).
        return ctx.xp.where(mask, grad, grad.dtype.type(0))

    @staticmethod
    def backward(ctx, gradgrad):
        (out,) = ctx.saved_tensors
        return ThresholdBackward.apply(gradgrad, out), None


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
        if is_grad_enabled():  # create_graph=True: recorded as the ops a student reads, 1 - y^2
            return grad * (1 - out * out)
        return TanhBackward.apply(grad, out)  # the same numbers, in one op


class TanhBackward(Primitive):
    """``grad * (1 - out * out)`` as one op (PyTorch's ``tanh_backward``), so a plain backward
    runs one op per tanh instead of three (same arithmetic in the same order: the same bits).
    Differentiable again, though Tanh records its composed form under ``create_graph``."""

    name = "tanh_backward"

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(ctx.input(0), ctx.input(1))
        return grad * (1 - out * out)

    @staticmethod
    def backward(ctx, gradgrad):
        grad, out = ctx.saved_tensors
        needs_grad, needs_out = ctx.needs_input_grad
        return (TanhBackward.apply(gradgrad, out) if needs_grad else None,
                (gradgrad * grad * out * -2) if needs_out else None)


class Maximum(Primitive):
    """``maximum(a, b)``: NaN wins. The gradient is PyTorch's: ``a`` gets it where not ``a < b``,
    ``b`` where not ``a > b``, halved at ties; where a NaN is involved both get all of it."""

    name = "maximum"

    @staticmethod
    def forward(ctx, a, b):
        _save_pick_weights(ctx, a < b, a > b, a == b, a.dtype)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _pick_backward(ctx, grad)


class Minimum(Primitive):
    """``minimum(a, b)``: NaN wins; the gradient as ``maximum``'s with the comparisons swapped."""

    name = "minimum"

    @staticmethod
    def forward(ctx, a, b):
        _save_pick_weights(ctx, a > b, a < b, a == b, a.dtype)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _pick_backward(ctx, grad)


def _save_pick_weights(ctx, a_loses, b_loses, tie, dtype):
    """The share of the gradient each input gets (1, 0, or 0.5 at a tie), in the inputs' dtype."""
    half_tie = tie.astype(dtype) * 0.5
    ctx.save_for_backward(ctx.constant((~a_loses).astype(dtype) - half_tie),
                          ctx.constant((~b_loses).astype(dtype) - half_tie))


def _pick_backward(ctx, grad):
    weight_a, weight_b = ctx.saved_tensors
    needs_a, needs_b = ctx.needs_input_grad
    return (grad * weight_a if needs_a else None, grad * weight_b if needs_b else None)


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
    """Differentiable in ``a`` and ``b``; scalars are accepted for either. The result has
    PyTorch's promoted dtype of ``a`` and ``b`` (``where(mask, int_tensor, 2.5)`` is float32)."""
    from minigrad import backends
    from minigrad.tensor import Tensor, _cast_operand, _widens_python_scalars, broadcast_shapes

    backend = condition.backend if isinstance(condition, Tensor) else None
    if isinstance(condition, Tensor):
        condition = condition._array
    dtype = result_type(a, b)
    tensors = [x for x in (a, b) if isinstance(x, Tensor)]
    if not tensors:  # where(mask, 1.0, 0.0)
        backend = backend or backends.get()
        a = Tensor._make(backend.xp.asarray(a, dtype=dtype), backend)
    a = _cast_operand(a, dtype, b) if isinstance(a, Tensor) else a
    b = _cast_operand(b, dtype, a) if isinstance(b, Tensor) else b
    home = tensors[0].backend if tensors else backend
    if _widens_python_scalars(home):  # NumPy 1.x: a Python number beside a 0-d array widens it
        a, b = (home.xp.asarray(x, dtype=dtype) if not isinstance(x, Tensor) else x for x in (a, b))
    shapes = [condition.shape] + [x.shape for x in (a, b) if isinstance(x, Tensor)]
    if len(set(shapes)) > 1:
        broadcast_shapes(broadcast_shapes(shapes[0], shapes[1], "where"), shapes[-1], "where")
    return Where.apply(condition, a, b)
