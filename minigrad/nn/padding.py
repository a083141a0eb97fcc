"""Padding layers (``nn.ZeroPad2d``, ``nn.ReflectionPad1d``, ...): ``F.pad`` held as a module.

``padding`` is an int (the same on every side) or a tuple ``(left, right[, top, bottom[, front,
back]])``, last dimension first, exactly ``F.pad``'s argument; it is stored as that tuple, as
PyTorch does. The gradients come from ``F.pad`` (a constant pad, or a gather for the other modes).
"""

from __future__ import annotations

from collections.abc import Sequence

from minigrad.nn.module import Module
from minigrad.ops.composite import pad as pad_tensor
from minigrad.tensor import Tensor


class _PadNd(Module):
    """A fixed ``F.pad(input, padding, mode)``; subclasses set ``mode`` and ``spatial``."""

    mode = "constant"
    spatial = 2

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        # An int pads every side of the last `spatial` dims; a tuple is used as given (PyTorch
        # does not check its length here either: F.pad does, at forward).
        self.padding = (padding,) * (2 * self.spatial) if isinstance(padding, int) else tuple(padding)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pad_tensor(input, self.padding, mode=self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """Pads with a constant ``value``."""

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pad_tensor(input, self.padding, mode="constant", value=self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim of ``(N, C, L)`` or ``(C, L)`` with ``value``."""

    spatial = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims of ``(N, C, H, W)`` or ``(C, H, W)`` with ``value``."""

    spatial = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` with ``value``."""

    spatial = 3


class _ZeroPadNd(_ConstantPadNd):
    """Zero padding: a ConstantPad with value 0 (PyTorch's ZeroPad subclasses ConstantPad too)."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros."""

    spatial = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros."""

    spatial = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros."""

    spatial = 3


class ReflectionPad1d(_PadNd):
    """Mirror the input at its edges, the edge itself not repeated: ``[a b c]`` -> ``[c b | a b c | b a]``."""

    mode, spatial = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Mirror the last two dims at their edges (the edge not repeated); widths < the input size."""

    mode, spatial = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Mirror the last three dims at their edges."""

    mode, spatial = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge value: ``[a b c]`` -> ``[a a | a b c | c c]``."""

    mode, spatial = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dims."""

    mode, spatial = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last three dims."""

    mode, spatial = "replicate", 3


class CircularPad1d(_PadNd):
    """Wrap around (periodic padding): ``[a b c]`` -> ``[b c | a b c | a b]``."""

    mode, spatial = "circular", 1


class CircularPad2d(_PadNd):
    """Wrap the last two dims around (a torus)."""

    mode, spatial = "circular", 2


class CircularPad3d(_PadNd):
    """Wrap the last three dims around."""

    mode, spatial = "circular", 3
