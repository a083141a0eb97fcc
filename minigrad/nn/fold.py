"""im2col and col2im layers: ``nn.Unfold`` and ``nn.Fold`` (PyTorch's signatures and reprs)."""

from __future__ import annotations

from collections.abc import Sequence

from minigrad.nn.functional.fold import fold, unfold
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

IntOrPair = int | Sequence[int]


class Unfold(Module):
    """Sliding windows as columns: ``(N, C, H, W)`` -> ``(N, C * kh * kw, L)`` (see ``F.unfold``)."""

    def __init__(self, kernel_size: IntOrPair, dilation: IntOrPair = 1, padding: IntOrPair = 0,
                 stride: IntOrPair = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """Columns added back onto their windows: ``(N, C * kh * kw, L)`` -> ``(N, C, *output_size)``
    (see ``F.fold``)."""

    def __init__(self, output_size: IntOrPair, kernel_size: IntOrPair, dilation: IntOrPair = 1,
                 padding: IntOrPair = 0, stride: IntOrPair = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
