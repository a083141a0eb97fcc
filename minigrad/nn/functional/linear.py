"""``F.linear`` (the affine map of ``nn.Linear``) and ``F.bilinear``."""

from __future__ import annotations

from minigrad.errors import DTypeError, ShapeError
from minigrad.tensor import Tensor


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
    output = input @ weight.T if weight.ndim == 2 else input @ weight
    if bias is not None:
        output = output + bias
    return output


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1 . (weight[k] @ x2) + bias_k``.

    Shapes: input1 (*, in1), input2 (*, in2) with the same leading dims, weight
    (out, in1, in2), bias (out,) -> (*, out). Computed as one matrix product of ``x1`` with the
    weight laid out (in1, out * in2), then a product with ``x2`` summed over in2.
    """
    if weight.ndim != 3:
        raise ShapeError(f"bilinear(): weight must be 3-D (out, in1, in2), got shape {tuple(weight.shape)}")
    out_features, in1, in2 = weight.shape
    if input1.ndim == 0 or input1.shape[-1] != in1 or input2.ndim == 0 or input2.shape[-1] != in2:
        raise ShapeError(
            f"bilinear(): input1 (*, {in1}) and input2 (*, {in2}) must end with the weight's in1 and in2 "
            f"(weight {tuple(weight.shape)}), got {tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise ShapeError(
            f"bilinear(): input1 and input2 must have the same leading dims, got {tuple(input1.shape)} and "
            f"{tuple(input2.shape)}"
        )
    lead = tuple(input1.shape[:-1])
    left = input1.reshape(-1, in1) @ weight.permute(1, 0, 2).reshape(in1, out_features * in2)
    output = (left.reshape(-1, out_features, in2) * input2.reshape(-1, 1, in2)).sum(2)
    if bias is not None:
        output = output + bias
    return output.reshape(lead + (out_features,))
