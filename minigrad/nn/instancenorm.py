"""Instance normalisation: ``InstanceNorm1d``, ``InstanceNorm2d``, ``InstanceNorm3d``.

Each sample's channel is normalised over its own positions (style transfer, small batches).
The parameters and optional running statistics are batch norm's (``_NormBase``); PyTorch's
defaults differ: ``affine=False`` and ``track_running_stats=False``.
"""

from __future__ import annotations

import warnings
from typing import Any

from minigrad.nn.batchnorm import _NormBase
from minigrad.nn.functional.normalization import instance_norm
from minigrad.tensor import Tensor


class _InstanceNorm(_NormBase):
    """Subclasses give the batched rank; one less is an unbatched input (C, *spatial)."""

    batched_ndim = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (self.batched_ndim - 1, self.batched_ndim):
            raise ValueError(
                f"{name}: expected {self.batched_ndim - 1}D or {self.batched_ndim}D input (got {input.ndim}D input)"
            )
        feature_dim = input.ndim - (self.batched_ndim - 1)
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features ({self.num_features}), "
                    f"but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can silence this warning "
                "by not passing in num_features, which is not used because affine=False",
                stacklevel=2,
            )
        unbatched = input.ndim == self.batched_ndim - 1
        batch = input.unsqueeze(0) if unbatched else input
        out = instance_norm(
            batch,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Input (N, C, L) or (C, L)."""

    batched_ndim = 3


class InstanceNorm2d(_InstanceNorm):
    """Input (N, C, H, W) or (C, H, W)."""

    batched_ndim = 4


class InstanceNorm3d(_InstanceNorm):
    """Input (N, C, D, H, W) or (C, D, H, W)."""

    batched_ndim = 5
