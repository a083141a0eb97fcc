"""Transposed convolution layers: ``nn.ConvTranspose1d``, ``nn.ConvTranspose2d``, ``nn.ConvTranspose3d``.

Their forward is the full convolution of conv2d's dL/dX duality rule (see
``minigrad.nn.functional.conv_transpose``): a ConvTranspose2d maps a conv2d's output shape back
to its input shape, which is why decoders and segmentation networks use it to upsample.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.factories import empty
from minigrad.nn.conv import _ConvNd
from minigrad.nn.functional import conv as conv_functional
from minigrad.nn.functional import conv_transpose as F
from minigrad.nn.functional.conv_transpose import transposed_output_size
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share. The weight is laid out
    ``(in_channels, out_channels // groups, *kernel_size)``: a convolution's weight read the
    other way. Init and bias bound follow PyTorch, whose fan-in is then ``weight.shape[1] * k``
    (out_channels // groups times the kernel size): PyTorch's rule, kept although it is the
    transposed layer's fan-out."""

    spatial = 2
    op = "ConvTranspose2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        output_padding: int | Sequence[int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | Sequence[int] = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        Module.__init__(self)
        op, n = self.op, self.spatial
        if padding_mode != "zeros":
            raise ValueError(f'{op}: only "zeros" padding mode is supported (as PyTorch), got {padding_mode!r}')
        if isinstance(padding, str):
            raise ValueError(f"{op}: padding must be an int or a tuple of ints (no 'same'/'valid'), got {padding!r}")
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not hasattr(value, "__index__"):
                raise TypeError(f"{op}: {name} must be an int, got {value!r}")
            if value < 0:
                raise ValueError(f"{op}: {name} must be >= 0, got {value} (a negative size)")
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{op}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{op}: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible "
                f"by groups ({groups})"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = conv_functional._pair(kernel_size, "kernel_size", op, n)
        self.stride = conv_functional._pair(stride, "stride", op, n)
        self.padding = conv_functional._pair(padding, "padding", op, n)
        self.output_padding = conv_functional._pair(output_padding, "output_padding", op, n)
        self.dilation = conv_functional._pair(dilation, "dilation", op, n)
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = Parameter(
            empty(in_channels, out_channels // groups, *self.kernel_size, dtype=dtype, device=device)
        )
        self.bias = Parameter(empty(out_channels, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None) -> tuple[int, ...]:  # noqa: A002
        """PyTorch's rule: an ``output_size`` (spatial, or with the batch/channel dims in front)
        picks the output_padding that reaches it; it must lie in the ``stride`` reachable sizes."""
        if output_size is None:
            return self.output_padding
        n = self.spatial
        leading = 2 if input.ndim == n + 2 else 1
        output_size = tuple(int(s) for s in output_size)
        if len(output_size) == leading + n:
            output_size = output_size[leading:]
        if len(output_size) != n:
            raise ValueError(
                f"{self.op}: for {input.ndim}D input, output_size must have {n} or {leading + n} elements "
                f"(got {len(output_size)})"
            )
        padding = []
        for axis, wanted in enumerate(output_size):
            smallest = transposed_output_size(
                input.shape[leading + axis],
                self.kernel_size[axis],
                self.stride[axis],
                self.padding[axis],
                0,
                self.dilation[axis],
            )
            largest = smallest + self.stride[axis] - 1
            if not smallest <= wanted <= largest:
                raise ValueError(
                    f"{self.op}: requested an output size of {list(output_size)}, but valid sizes range from "
                    f"{smallest} to {largest} along spatial dim {axis} (for an input of {tuple(input.shape[leading:])})"
                )
            padding.append(wanted - smallest)
        return tuple(padding)

    def extra_repr(self) -> str:
        n = self.spatial
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution, PyTorch's ``nn.ConvTranspose2d``: ``(N, C_in, H, W)`` ->
    ``(N, C_out, Ho, Wo)``, ``Ho = (H - 1) s - 2p + d(kH - 1) + output_padding + 1``.

    Its forward is conv2d's input-gradient rule (the duality's full convolution): for a
    ``Conv2d(C_out, C_in, k, s, p, d)`` with the same weight, ``ConvTranspose2d(y)`` equals
    dL/dX of that convolution for upstream gradient ``y`` (plus the bias).
    ``forward(input, output_size=None)``: ``output_size`` picks among the ``stride`` possible
    output sizes, as PyTorch.
    """

    spatial = 2
    op = "ConvTranspose2d"

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:  # noqa: A002
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(
            input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution, PyTorch's ``nn.ConvTranspose1d``: ``(N, C_in, L)`` ->
    ``(N, C_out, Lo)``; conv1d's input-gradient rule, run as a ConvTranspose2d of height 1."""

    spatial = 1
    op = "ConvTranspose1d"

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:  # noqa: A002
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose1d(
            input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution, PyTorch's ``nn.ConvTranspose3d``: ``(N, C_in, D, H, W)`` ->
    ``(N, C_out, Do, Ho, Wo)``; the adjoint of Conv3d (see ``F.conv_transpose3d``)."""

    spatial = 3
    op = "ConvTranspose3d"

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:  # noqa: A002
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose3d(
            input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation
        )
