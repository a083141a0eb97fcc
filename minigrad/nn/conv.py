"""Convolution layers: ``nn.Conv2d``, ``nn.Conv1d`` and ``nn.Conv3d`` with PyTorch's arguments and init."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from minigrad.errors import ArgumentError
from minigrad.factories import empty
from minigrad.nn import init
from minigrad.nn.functional import conv as F
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.ops.composite import pad as pad_tensor
from minigrad.tensor import Tensor

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d and Conv2d share: argument checks, parameters, init, padding modes, repr."""

    spatial = 2
    op = "Conv2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] | str = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        op, n = self.op, self.spatial
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not hasattr(value, "__index__"):
                raise TypeError(f"{op}: {name} must be an int, got {value!r}")
            if value < 0:
                raise ArgumentError(f"{op}: {name} must be >= 0, got {value} (a negative size)")
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{op}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{op}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{op}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        kernel_size = F._pair(kernel_size, "kernel_size", op, n)
        stride = F._pair(stride, "stride", op, n)
        dilation = F._pair(dilation, "dilation", op, n)
        for name, values in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
            if min(values) < 1:
                raise ValueError(f"{op}: {name} must be >= 1 on every axis, got {values}")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
            if padding == "same" and max(stride) > 1:
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided convolutions (stride={stride})"
                )
            pairs = F.same_padding(kernel_size, dilation) if padding == "same" else ((0, 0),) * n
        else:
            padding = F._pair(padding, "padding", op, n)
            if min(padding) < 0:
                raise ValueError(f"{op}: padding must be >= 0 on every axis, got {padding}")
            pairs = tuple((p, p) for p in padding)

        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.groups, self.padding_mode = groups, padding_mode
        # F.pad's argument for non-zero padding modes: (before, after) pairs, last axis first.
        self._reversed_padding_repeated_twice = [v for pair in reversed(pairs) for v in pair]
        self.weight = Parameter(
            empty(out_channels, in_channels // groups, *kernel_size, dtype=dtype, device=device)
        )
        self.bias = Parameter(empty(out_channels, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform(a=sqrt(5)) weights, bias U(-1/sqrt(fan_in), +)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            if fan_in:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _conv(self, input: Tensor, conv: Any) -> Tensor:  # noqa: A002
        if self.padding_mode != "zeros":
            # As PyTorch: pad with the mode, then convolve without padding.
            if not isinstance(input, Tensor):
                raise TypeError(f"{self.op}: input must be a minigrad.Tensor, got {type(input).__name__}")
            padded = pad_tensor(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0,) * self.spatial:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.spatial:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """2-D convolution layer (cross-correlation), PyTorch's ``nn.Conv2d``.

    ``weight``: ``(out_channels, in_channels // groups, kH, kW)``; ``bias``: ``(out_channels,)``.
    Input ``(N, C_in, H, W)`` or ``(C_in, H, W)`` -> output ``(N, C_out, Ho, Wo)`` with
    ``Ho = floor((H + 2p - d(kH-1) - 1) / s) + 1``. ``padding_mode`` is ``'zeros'``,
    ``'reflect'``, ``'replicate'`` or ``'circular'``. See ``F.conv2d`` for the arguments.
    """

    spatial = 2
    op = "Conv2d"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._conv(input, F.conv2d)


class Conv1d(_ConvNd):
    """1-D convolution layer, PyTorch's ``nn.Conv1d``: ``(N, C_in, L)`` -> ``(N, C_out, Lo)``.

    ``weight``: ``(out_channels, in_channels // groups, k)``. Runs as a Conv2d of height 1.
    """

    spatial = 1
    op = "Conv1d"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._conv(input, F.conv1d)


class Conv3d(_ConvNd):
    """3-D convolution layer, PyTorch's ``nn.Conv3d``: ``(N, C_in, D, H, W)`` -> ``(N, C_out, Do, Ho, Wo)``.

    ``weight``: ``(out_channels, in_channels // groups, kD, kH, kW)``. Runs as ``kD`` Conv2d
    correlations added up (see ``F.conv3d``).
    """

    spatial = 3
    op = "Conv3d"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        from minigrad.nn.functional.conv3d import conv3d

        return self._conv(input, conv3d)
