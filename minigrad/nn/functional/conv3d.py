"""``F.conv3d``: a 3-D cross-correlation made of the 2-D one.

A 3-D kernel is ``kD`` 2-D kernels stacked in depth, so the 3-D correlation is a sum of ``kD``
conv2d calls: for kernel slice ``d``, the input depth slices ``z * sD + d * dD`` (one per output
depth ``z``) are laid side by side in the batch and correlated with ``weight[:, :, d]``; the
``kD`` results are added. Every step is the conv2d primitive or a shape op, so gradients (and
the duality rules behind them) come for free.
"""

from __future__ import annotations

from collections.abc import Sequence

from minigrad.errors import ArgumentError, DTypeError, ShapeError
from minigrad.nn.functional.conv import _pair, _require_tensor, conv2d, same_padding
from minigrad.ops.composite import pad as pad_tensor
from minigrad.tensor import Tensor

IntOrTriple = int | Sequence[int]


def conv3d(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrTriple = 1,
    padding: IntOrTriple | str = 0,
    dilation: IntOrTriple = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation, PyTorch's ``F.conv3d``.

    ``input`` ``(N, C, D, H, W)`` or ``(C, D, H, W)``, ``weight`` ``(O, C // groups, kD, kH, kW)``,
    ``bias`` ``(O,)``; ``padding`` an int, a triple, ``'valid'`` or ``'same'``. Output
    ``(N, O, Do, Ho, Wo)`` with ``Do = floor((D + 2p - d(kD - 1) - 1) / s) + 1`` (same for H, W).
    """
    op = "conv3d"
    _require_tensor(input, "input", op)
    _require_tensor(weight, "weight", op)
    if input.ndim not in (4, 5):
        raise ShapeError(f"{op}: expected a 5-D input (N, C, D, H, W) or 4-D unbatched, got shape {tuple(input.shape)}")
    if weight.ndim != 5:
        raise ShapeError(f"{op}: weight must be 5-D (O, C / groups, kD, kH, kW), got shape {tuple(weight.shape)}")
    if input.dtype.kind != "f" or weight.dtype != input.dtype:
        raise DTypeError(f"{op}: input and weight must share one floating dtype, got {input.dtype} and {weight.dtype}")
    stride = _pair(stride, "stride", op, 3)
    dilation = _pair(dilation, "dilation", op, 3)
    if min(stride) < 1 or min(dilation) < 1:
        raise ArgumentError(f"{op}: stride and dilation must be >= 1 on every axis, got {stride} and {dilation}")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ArgumentError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
        if padding == "same" and max(stride) > 1:
            raise ArgumentError(f"{op}: padding='same' is not supported for strided convolutions (stride={stride})")
        pairs = same_padding(kernel, dilation) if padding == "same" else ((0, 0),) * 3
    else:
        pairs = tuple((p, p) for p in _pair(padding, "padding", op, 3))
        if min(p for p, _ in pairs) < 0:
            raise ArgumentError(f"{op}: padding must be >= 0 on every axis, got {padding}")
    batched = input.ndim == 5
    x = input if batched else input.unsqueeze(0)
    # The depth padding (and any asymmetric 'same' remainder) is an explicit zero pad; height and
    # width padding go to conv2d.
    extra = [pairs[0], (0, pairs[1][1] - pairs[1][0]), (0, pairs[2][1] - pairs[2][0])]
    if any(before or after for before, after in extra):
        x = pad_tensor(x, [v for pair in reversed(extra) for v in pair])
    n, c, depth = x.shape[:3]
    kd, sd, dd = kernel[0], stride[0], dilation[0]
    out_depth = (depth - dd * (kd - 1) - 1) // sd + 1
    if out_depth < 1:
        raise ShapeError(
            f"{op}: the kernel depth {kd} (dilation {dd}) is larger than the padded input depth {depth} "
            f"(input {tuple(input.shape)}); pad more or use a smaller kernel"
        )
    out = None
    for tap in range(kd):
        start = tap * dd
        planes = x[:, :, start : start + sd * (out_depth - 1) + 1 : sd]  # (N, C, Do, H, W)
        planes = planes.transpose(1, 2).reshape(n * out_depth, c, *x.shape[3:])
        part = conv2d(planes, weight[:, :, tap], None, stride[1:], tuple(p for p, _ in pairs[1:]), dilation[1:], groups)
        out = part if out is None else out + part
    out = out.reshape(n, out_depth, *out.shape[1:]).transpose(1, 2)  # (N, O, Do, Ho, Wo)
    if bias is not None:
        _require_tensor(bias, "bias", op)
        if tuple(bias.shape) != (weight.shape[0],):
            raise ShapeError(f"{op}: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
        out = out + bias.reshape(-1, 1, 1, 1)
    return out if batched else out.squeeze(0)
