"""``F.linear``: the affine map of ``nn.Linear``."""

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
