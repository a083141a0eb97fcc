"""More pooling layers: ``nn.MaxPool1d``, ``nn.AvgPool1d``, ``nn.AdaptiveAvgPool1d/3d``,
``nn.AdaptiveMaxPool1d/2d/3d``, ``nn.LPPool1d/2d`` and ``nn.MaxUnpool1d/2d``.

Thin modules over ``minigrad.nn.functional.pooling_variants`` and ``adaptive_pooling``; they
hold their arguments the way PyTorch stores them (so ``repr`` matches) and have no parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.nn.functional import adaptive_pooling as adaptive
from minigrad.nn.functional import pooling_variants as F
from minigrad.nn.functional.conv import _pair
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

IntOrTuple = int | Sequence[int]


class MaxPool1d(Module):
    """Max over (dilated) windows: ``(N, C, L)`` -> ``(N, C, Lo)``; see ``F.max_pool1d``."""

    def __init__(
        self,
        kernel_size: IntOrTuple,
        stride: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        dilation: IntOrTuple = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.max_pool1d(
            input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool1d(Module):
    """Mean over windows: ``(N, C, L)`` -> ``(N, C, Lo)``; see ``F.avg_pool1d``. Its arguments are
    stored as 1-tuples, as PyTorch does."""

    def __init__(
        self,
        kernel_size: IntOrTuple,
        stride: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size", "AvgPool1d", 1)
        self.stride = _pair(stride if stride is not None else kernel_size, "stride", "AvgPool1d", 1)
        self.padding = _pair(padding, "padding", "AvgPool1d", 1)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    """Pools to ``output_size`` whatever the input size (``None`` keeps that input size)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """``(N, C, L)`` -> ``(N, C, output_size)``: the mean of each adaptive window."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptivePool):
    """``(N, C, D, H, W)`` -> ``(N, C, *output_size)``: the mean of each adaptive window."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive.adaptive_avg_pool3d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """``(N, C, L)`` -> ``(N, C, output_size)``: each adaptive window's maximum (and its index)."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return adaptive.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """``(N, C, H, W)`` -> ``(N, C, *output_size)``: each adaptive window's maximum (and its index)."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return adaptive.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """``(N, C, D, H, W)`` -> ``(N, C, *output_size)``: each adaptive window's maximum."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return adaptive.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _LPPool(Module):
    def __init__(
        self, norm_type: float, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPool):
    """Power-mean pooling ``(sum x ** p) ** (1 / p)`` over windows of ``(N, C, L)``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPool):
    """Power-mean pooling ``(sum x ** p) ** (1 / p)`` over windows of ``(N, C, H, W)``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class LPPool3d(_LPPool):
    """Power-mean pooling ``(sum x ** p) ** (1 / p)`` over windows of ``(N, C, D, H, W)``."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        from minigrad.nn.functional.pooling3d import lp_pool3d

        return lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class _MaxUnpool(Module):
    spatial = 2
    op = "MaxUnpool2d"

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0) -> None:
        super().__init__()
        n = self.spatial
        self.kernel_size = _pair(kernel_size, "kernel_size", self.op, n)
        self.stride = _pair(stride if stride is not None else kernel_size, "stride", self.op, n)
        self.padding = _pair(padding, "padding", self.op, n)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """``forward(input, indices, output_size=None)``: ``max_pool1d``'s values back at their indices."""

    spatial, op = 1, "MaxUnpool1d"

    def forward(self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None) -> Tensor:  # noqa: A002
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool2d(_MaxUnpool):
    """``forward(input, indices, output_size=None)``: ``max_pool2d``'s values back at their indices,
    zeros elsewhere."""

    spatial, op = 2, "MaxUnpool2d"

    def forward(self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None) -> Tensor:  # noqa: A002
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool3d(_MaxUnpool):
    """``forward(input, indices, output_size=None)``: ``max_pool3d``'s values back at their indices."""

    spatial, op = 3, "MaxUnpool3d"

    def forward(self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None) -> Tensor:  # noqa: A002
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxPool3d(MaxPool1d):
    """Max over (dilated) windows: ``(N, C, D, H, W)`` -> ``(N, C, Do, Ho, Wo)``; see ``F.max_pool3d``."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        from minigrad.nn.functional.pooling3d import max_pool3d

        return max_pool3d(
            input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )


class AvgPool3d(Module):
    """Mean over windows: ``(N, C, D, H, W)`` -> ``(N, C, Do, Ho, Wo)``; see ``F.avg_pool3d``."""

    def __init__(
        self,
        kernel_size: IntOrTuple,
        stride: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        from minigrad.nn.functional.pooling3d import avg_pool3d

        return avg_pool3d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
