"""``nn.Dropout`` and its channel-wise and alpha forms: random zeroing during training,
identity in eval mode."""

from __future__ import annotations

from typing import Any

from minigrad.nn.functional.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class Dropout(Module):
    """Zero each element with probability ``p`` while training and scale the rest by
    ``1 / (1 - p)``; after ``model.eval()`` it returns its input unchanged. Any shape."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _DropoutNd(Dropout):
    """The variants: same arguments and repr, another function."""

    function: Any = None

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return type(self).function(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) while training."""

    function = staticmethod(dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) while training (a 3-D input is read as (N, C, L))."""

    function = staticmethod(dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) while training."""

    function = staticmethod(dropout3d)


class AlphaDropout(_DropoutNd):
    """Alpha dropout (keeps SELU's mean 0 and variance 1) while training."""

    function = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels while training."""

    function = staticmethod(feature_alpha_dropout)
