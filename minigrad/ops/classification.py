"""Cross entropy's two halves as primitives: ``log_softmax`` and the negative log-likelihood of
class indices (PyTorch's ``_log_softmax`` and ``nll_loss`` nodes).

Composed from exp, sum, log and indexing they record nine nodes per loss, and a plain backward
runs about ten ops through them; as primitives a training step records two and runs two. The
arithmetic is the composed one, op for op, so the values are the same bits. Their backward
under ``create_graph`` is written with Tensor ops (so it is differentiable again), as
``Tanh``'s is; otherwise it runs as one op.
"""

from __future__ import annotations

from minigrad.autograd.function import Primitive
from minigrad.autograd.grad_mode import is_grad_enabled


def _tensor_type():
    from minigrad.tensor import Tensor

    return Tensor


def _count(xp, rows: int, dtype):
    return xp.asarray(rows, dtype=dtype)


class LogSoftmax(Primitive):
    """``x - log(sum(exp(x)))`` along ``dim``, with the max subtracted first so that exp cannot
    overflow (softmax is shift-invariant). ``dim`` is a non-negative axis of a non-empty real
    floating tensor (``composite.log_softmax`` checks and handles the rest)."""

    name = "log_softmax"

    @staticmethod
    def forward(ctx, x, *, dim):
        xp = ctx.xp
        shifted = x - xp.max(x, axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(ctx.output(0))
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        dim = ctx.attrs["dim"]
        if is_grad_enabled():  # create_graph=True: softmax = exp(out), as ops that record
            return grad - out.exp() * grad.sum(dim, keepdim=True)
        return LogSoftmaxBackward.apply(grad, out, dim=dim)


class LogSoftmaxBackward(Primitive):
    """``grad - exp(out) * sum(grad, dim)``: log_softmax's gradient from its output (PyTorch's
    ``_log_softmax_backward_data``), as one op. Differentiable again."""

    name = "log_softmax_backward"

    @staticmethod
    def forward(ctx, grad, out, *, dim):
        ctx.save_for_backward(ctx.input(0), ctx.input(1))
        return grad - ctx.xp.exp(out) * grad.sum(axis=dim, keepdims=True)

    @staticmethod
    def backward(ctx, gradgrad):
        grad, out = ctx.saved_tensors
        needs_grad, needs_out = ctx.needs_input_grad
        dim = ctx.attrs["dim"]
        softmax = out.exp()
        # The op is linear in grad: its adjoint subtracts the softmax-weighted sum of gradgrad.
        to_grad = (gradgrad - (gradgrad * softmax).sum(dim, keepdim=True)) if needs_grad else None
        # d/d out of -exp(out) * sum(grad): only the element's own exp.
        to_out = (-gradgrad * softmax * grad.sum(dim, keepdim=True)) if needs_out else None
        return to_grad, to_out


class NllLoss(Primitive):
    """``-sum(log_probs[i, target[i]])`` over the rows of (M, C) log-probabilities, divided by
    ``M`` for ``reduction="mean"``: the unweighted loss whose targets are all valid class
    indices (``target``, a raw int array of M values; ``nn.functional.loss`` checks them)."""

    name = "nll_loss"

    @staticmethod
    def forward(ctx, log_probs, *, target, reduction):
        xp = ctx.xp
        total = (-log_probs[xp.arange(target.shape[0]), target]).sum()
        # The count in the loss's dtype, as mean()'s Python int becomes under NumPy 2's rules
        # (the same bits); NumPy 1.x would make float32 scalar / int a float64.
        return total / _count(xp, target.shape[0], log_probs.dtype) if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad):
        target, shape = ctx.attrs["target"], ctx.inputs[0].shape
        key = (ctx.xp.arange(shape[0]), target)
        mean = ctx.attrs["reduction"] == "mean"
        if is_grad_enabled():  # create_graph=True: getitem's gradient, differentiable in grad
            from minigrad.ops.shape import IndexAddInto

            per_row = -(grad / shape[0]) if mean else -grad
            return IndexAddInto.apply(per_row.expand(shape[0]), shape=shape, key=key)
        # The same numbers as those ops, on the raw arrays: zeros, each row's pick added (so a
        # -0.0 gradient lands as +0.0, as 0 + -0.0 does).
        per_row = -(grad._array / _count(ctx.xp, shape[0], grad._array.dtype)) if mean else -grad._array
        result = ctx.xp.zeros(shape, dtype=grad.dtype)
        ctx.backend.scatter_add(result, key, ctx.xp.broadcast_to(per_row, (shape[0],)))
        return _tensor_type()._make(result, ctx.backend)
