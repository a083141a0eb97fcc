"""Transposed convolutions (``torch.nn.functional.conv_transpose2d`` / ``conv_transpose1d`` /
``conv_transpose3d``).

A transposed convolution is the adjoint of a convolution: ``conv_transpose2d(y, W)`` is what
conv2d's backward computes as dL/dX when the upstream gradient is ``y``. By the duality of
convolution that is the FULL convolution of ``y`` with the kernel, i.e. the cross-correlation of
``y`` with ``stride - 1`` zeros between its rows and columns, padded by ``d*(k-1) - p`` (plus
``output_padding`` at the end), with the kernel flipped 180 degrees and its in/out channels
swapped. So no new math and no new primitive: the forward IS ``minigrad.ops.conv.input_gradient``
(duality rule 2), made of the conv2d primitive and differentiable shape ops, and its own
gradient (a plain conv2d of the upstream gradient: rule 2 read backwards) comes for free.
"""

from __future__ import annotations

from collections.abc import Sequence

from minigrad.errors import ArgumentError, DTypeError, ShapeError
from minigrad.nn.functional.conv import _pair, _require_tensor
from minigrad.ops import conv as conv_ops
from minigrad.ops.composite import pad as pad_tensor
from minigrad.tensor import Tensor

IntOrTuple = int | Sequence[int]


def transposed_output_size(
    size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int
) -> int:
    """``(size - 1) * s - 2p + d(k - 1) + output_padding + 1``: the size of the input a
    convolution with these arguments maps to ``size`` (output_padding picks among the
    ``stride`` input sizes that all give the same convolution output size)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def conv_transpose2d(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
) -> Tensor:
    """2-D transposed convolution, PyTorch's ``F.conv_transpose2d`` (note: ``groups`` comes
    before ``dilation``, as in PyTorch).

    The forward is the full convolution of conv2d's dL/dX rule::

        conv_transpose2d(y, W, stride=s, padding=p, dilation=d)
          == conv2d(insert_zeros(y, s) padded by d*(k-1) - p, flip180(W) with in/out swapped)
          == the gradient of conv2d(x, W, stride=s, padding=p, dilation=d) w.r.t. x, for upstream y

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_in, C_out // groups, kH, kW)`` (a convolution's weight read the other way).
        bias: ``(C_out,)`` or ``None``.
        stride, padding, dilation: as for the convolution this one transposes.
        output_padding: rows/columns added at the bottom/right (``< max(stride, dilation)``):
            which of the ``stride`` input sizes of that convolution to give back.

    Returns:
        ``(N, C_out, Ho, Wo)``, ``Ho = (H - 1) s - 2p + d(kH - 1) + output_padding + 1``.
    """
    return _conv_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, "conv_transpose2d", 2
    )


def conv_transpose1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
) -> Tensor:
    """1-D transposed convolution, PyTorch's ``F.conv_transpose1d``: a ``conv_transpose2d``
    of height 1. ``input`` ``(N, C_in, L)`` or ``(C_in, L)``, ``weight`` ``(C_in, C_out // groups, k)``;
    ``Lo = (L - 1) s - 2p + d(k - 1) + output_padding + 1``."""
    return _conv_transpose(
        input, weight, bias, stride, padding, output_padding, groups, dilation, "conv_transpose1d", 1
    )


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, op: str, spatial: int):  # noqa: A002
    """Validate, lift 1-D to 2-D and unbatched to batched, run duality rule 2, add the bias."""
    _require_tensor(input, "input", op)
    _require_tensor(weight, "weight", op)
    if bias is not None:
        _require_tensor(bias, "bias", op)
    batched_ndim = spatial + 2
    if input.ndim not in (batched_ndim, batched_ndim - 1):
        layout = "(N, C, L)" if spatial == 1 else "(N, C, H, W)"
        raise ShapeError(
            f"{op}: expected a {batched_ndim}-D input {layout} or a {batched_ndim - 1}-D unbatched one, "
            f"got shape {tuple(input.shape)}"
        )
    if weight.ndim != batched_ndim:
        kernel_layout = "(C_in, C_out / groups, k)" if spatial == 1 else "(C_in, C_out / groups, kH, kW)"
        raise ShapeError(f"{op}: weight must be {batched_ndim}-D {kernel_layout}, got shape {tuple(weight.shape)}")
    if input.dtype.kind != "f":
        raise DTypeError(f"{op}: input must be floating point, got {input.dtype}; convert it with .float()")
    if weight.dtype != input.dtype or (bias is not None and bias.dtype != input.dtype):
        raise DTypeError(f"{op}: input, weight and bias must share one dtype; convert with .to(dtype)")
    stride = _pair(stride, "stride", op, spatial)
    padding = _pair(padding, "padding", op, spatial)
    output_padding = _pair(output_padding, "output_padding", op, spatial)
    dilation = _pair(dilation, "dilation", op, spatial)
    if min(stride) < 1 or min(dilation) < 1:
        raise ArgumentError(f"{op}: stride and dilation must be >= 1 on every axis, got {stride} and {dilation}")
    if min(padding) < 0 or min(output_padding) < 0:
        raise ArgumentError(f"{op}: padding and output_padding must be >= 0, got {padding} and {output_padding}")
    if any(op_ >= max(s, d) for op_, s, d in zip(output_padding, stride, dilation)):
        raise ArgumentError(
            f"{op}: output padding must be smaller than either stride or dilation, got "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
        )
    if not isinstance(groups, int) or groups < 1:
        raise ArgumentError(f"{op}: groups must be a positive int, got {groups!r}")
    batched = input.ndim == batched_ndim
    channels = input.shape[1] if batched else input.shape[0]
    if weight.shape[0] != channels:
        raise ShapeError(
            f"{op}: weight of shape {tuple(weight.shape)} expects {weight.shape[0]} input channels (its dim 0), "
            f"but the input of shape {tuple(input.shape)} has {channels}"
        )
    if channels % groups:
        raise ShapeError(f"{op}: the input's {channels} channels are not divisible by groups={groups}")
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(
            f"{op}: bias must have shape ({out_channels},) (one per output channel), got {tuple(bias.shape)}"
        )
    size = tuple(input.shape[-spatial:])
    kernel = tuple(weight.shape[2:])
    out_size = tuple(
        transposed_output_size(*axis) for axis in zip(size, kernel, stride, padding, output_padding, dilation)
    )
    if min(out_size) < 0:
        raise ShapeError(
            f"{op}: input {tuple(input.shape)} with padding {padding} gives a negative output size {out_size}"
        )

    # --- valid: lift to (N, C, H, W) and compute conv2d's dL/dX for "upstream gradient" x ---
    x = input if batched else input.unsqueeze(0)
    if spatial == 1:
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, padding, dilation, out_size = (1, *stride), (0, *padding), (1, *dilation), (1, *out_size)
    out = conv_ops.input_gradient(
        x,
        weight,
        (x.shape[0], out_channels, *out_size),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )
    if bias is not None:
        out = out + bias.reshape(out_channels, 1, 1)
    if spatial == 1:
        out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def conv_transpose3d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
) -> Tensor:
    """3-D transposed convolution, PyTorch's ``F.conv_transpose3d``: the adjoint of ``conv3d``.

    ``conv3d`` is ``kD`` conv2d correlations of depth slices, added; its adjoint is therefore, for
    each kernel depth tap ``k``, the 2-D transposed convolution (conv2d's dL/dX rule) of every
    input depth slice with ``weight[:, :, k]``, scattered to output depths ``z * sD + k * dD``
    (``sD - 1`` zeros between slices, shifted by the tap), the taps added and ``pD`` cropped from
    each end. ``input`` ``(N, C_in, D, H, W)``, ``weight`` ``(C_in, C_out // groups, kD, kH, kW)``;
    ``Do = (D - 1) sD - 2 pD + dD (kD - 1) + output_padding + 1`` (same for H, W).
    """
    op = "conv_transpose3d"
    _require_tensor(input, "input", op)
    _require_tensor(weight, "weight", op)
    if input.ndim not in (4, 5) or weight.ndim != 5:
        raise ShapeError(
            f"{op}: expected a 5-D input (N, C, D, H, W) (or 4-D unbatched) and a 5-D weight "
            f"(C_in, C_out / groups, kD, kH, kW), got {tuple(input.shape)} and {tuple(weight.shape)}"
        )
    stride, padding = _pair(stride, "stride", op, 3), _pair(padding, "padding", op, 3)
    output_padding, dilation = _pair(output_padding, "output_padding", op, 3), _pair(dilation, "dilation", op, 3)
    if any(o >= max(s, d) for o, s, d in zip(output_padding, stride, dilation)):
        raise ArgumentError(
            f"{op}: output padding must be smaller than either stride or dilation, got "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
        )
    batched = input.ndim == 5
    x = input if batched else input.unsqueeze(0)
    n, c, depth = x.shape[:3]
    kd, sd, pd, dd = weight.shape[2], stride[0], padding[0], dilation[0]
    out_depth = transposed_output_size(depth, kd, sd, pd, output_padding[0], dd)
    full = (depth - 1) * sd + dd * (kd - 1) + 1 + output_padding[0]  # before the pD crop
    planes = x.transpose(1, 2).reshape(n * depth, c, *x.shape[3:])
    out = None
    for tap in range(kd):
        part = conv_transpose2d(
            planes, weight[:, :, tap], None, stride[1:], padding[1:], output_padding[1:], groups, dilation[1:]
        )
        part = part.reshape(n, depth, *part.shape[1:]).transpose(1, 2)  # (N, C_out, D, Ho, Wo)
        if sd > 1:  # sD - 1 zeros after every depth slice (the extra ones at the end are cropped below)
            spread = pad_tensor(part.unsqueeze(3), [0, 0, 0, 0, 0, sd - 1])
            part = spread.reshape(n, part.shape[1], depth * sd, *part.shape[3:])
        start = tap * dd
        part = pad_tensor(part, [0, 0, 0, 0, start, full - start - part.shape[2]])  # negative: a crop
        out = part if out is None else out + part
    out = out[:, :, pd : pd + out_depth]
    if bias is not None:
        _require_tensor(bias, "bias", op)
        out = out + bias.reshape(-1, 1, 1, 1)
    return out if batched else out.squeeze(0)
