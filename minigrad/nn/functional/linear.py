"""``F.linear``: the affine map of ``nn.Linear``, and ``addmm``, its fused primitive.

A batch of vectors through a layer is one primitive, as in PyTorch (its graph shows
``AddmmBackward0``): ``x @ W.T + b`` in one forward, three products in one backward, instead of
a transpose, a matmul and a broadcast add recorded separately (each with its own node and
backward). Other shapes (1-D input or weight, batch dims) use the composite.
"""

from __future__ import annotations

from minigrad.autograd.function import Primitive
from minigrad.errors import DTypeError, ShapeError
from minigrad.tensor import Tensor


class Addmm(Primitive):
    """``x @ weight.T + bias`` for x (N, in), weight (out, in), bias (out,) or None -> (N, out)."""

    name = "addmm"

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        out = x @ weight.T
        if bias is not None:
            out += bias  # into the fresh product: no second output array
        ctx.save_for_backward(ctx.input(0), ctx.input(1))
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        grad_x = grad @ weight if needs_x else None
        grad_weight = grad.mT @ x if needs_weight else None
        grad_bias = grad.sum(0) if needs_bias else None
        return grad_x, grad_weight, grad_bias


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``.

    Shapes: input (*, in_features), weight (out_features, in_features), bias (out_features,)
    -> (*, out_features).
    """
    if weight.ndim not in (1, 2):
        raise ShapeError(
            f"linear: weight must be 1-D or 2-D (out_features, in_features), got shape {weight.shape}"
        )
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ShapeError(
            f"linear: input of shape {tuple(input.shape)} has {input.shape[-1] if input.ndim else 0} "
            f"features in its last dim, but weight of shape {tuple(weight.shape)} expects "
            f"{weight.shape[-1]}; reshape the input (e.g. flatten) or fix in_features"
        )
    mismatched = [t for t in (weight, bias) if t is not None and t.dtype != input.dtype]
    if mismatched:
        raise DTypeError(
            f"linear: mat1 and mat2 must have the same dtype, but got input {input.dtype} and "
            f"{'weight' if mismatched[0] is weight else 'bias'} {mismatched[0].dtype} (PyTorch does "
            f"not convert); convert the input with .to({mismatched[0].dtype}) or the layer with "
            f".to({input.dtype})"
        )
    if input.ndim == 2 and weight.ndim == 2 and (bias is None or bias.shape == (weight.shape[0],)):
        return Addmm.apply(input, weight, bias)
    output = input @ weight.T if weight.ndim == 2 else input @ weight
    if bias is not None:
        output = output + bias
    return output
