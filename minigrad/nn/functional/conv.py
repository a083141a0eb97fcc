"""Convolutions (``torch.nn.functional.conv2d`` / ``conv1d``) and their argument checks.

Everything is checked here, before any array work, so a bad hyper-parameter gives a message
that names the shapes and the rule instead of a NumPy traceback from inside im2col. The math
lives in the ``conv2d`` primitive (``minigrad.ops.conv``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from minigrad.errors import ArgumentError, DTypeError, ShapeError
from minigrad.ops import conv as conv_ops
from minigrad.ops.composite import pad as pad_tensor
from minigrad.tensor import Tensor

IntOrPair = int | Sequence[int]
Padding = int | Sequence[int] | str


def _pair(value: Any, name: str, op: str, size: int = 2) -> tuple[int, ...]:
    """An int (used for every spatial axis) or a sequence with one int per axis (or one int
    for all, as PyTorch accepts ``stride=(2,)``). A float is a TypeError, as in PyTorch: it is
    never silently truncated."""
    values = (value,) if hasattr(value, "__index__") else value
    try:
        values = tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(
            f"{op}: {name} must be an int or a tuple of {size} ints, got {value!r}; "
            "sizes, strides and paddings are whole numbers"
        ) from None
    if len(values) == 1:
        values = values * size
    if len(values) != size:
        raise ArgumentError(
            f"{op}: {name} must be an int or a tuple of {size} ints (one per spatial dim), "
            f"got {name}={list(values)}"
        )
    return values


def conv_output_size(
    size: IntOrPair, kernel: IntOrPair, stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1
) -> Any:
    """Output length of a convolution or pooling: ``floor((size + 2p - d(k-1) - 1) / s) + 1``.

    Every argument is an int, or a tuple with one entry per axis (then a tuple comes back).
    """
    args = (size, kernel, stride, padding, dilation)
    if all(isinstance(a, int) for a in args):
        return conv_ops.output_size(size, kernel, stride, padding, dilation)
    n = next(len(a) for a in args if not isinstance(a, int))
    pairs = [
        _pair(a, name, "conv_output_size", n)
        for a, name in zip(args, ("size", "kernel", "stride", "padding", "dilation"))
    ]
    return tuple(conv_ops.output_size(*axis) for axis in zip(*pairs))


def same_padding(kernel_size: Sequence[int], dilation: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """PyTorch's ``padding='same'``: total ``d*(k-1)`` per axis, the odd one extra at the end."""
    pairs = []
    for k, d in zip(kernel_size, dilation):
        total = d * (k - 1)
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


def conv2d(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, PyTorch's ``F.conv2d``.

    Args:
        input: ``(N, C, H, W)``, or unbatched ``(C, H, W)``.
        weight: ``(O, C // groups, kH, kW)``.
        bias: ``(O,)`` or ``None``.
        stride, dilation: an int or an ``(h, w)`` pair, each >= 1.
        padding: an int, an ``(h, w)`` pair (zeros on both sides), ``'valid'`` (no padding) or
            ``'same'`` (output size = input size; stride must be 1; an odd total padding puts
            the extra row/column at the bottom/right, as PyTorch does).
        groups: input and output channels are split into ``groups`` independent convolutions.

    Returns:
        ``(N, O, Ho, Wo)`` (or ``(O, Ho, Wo)``) with ``Ho = floor((H + 2p - d(k-1) - 1) / s) + 1``.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, "conv2d", spatial=2)


def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation, PyTorch's ``F.conv1d``: a ``conv2d`` with height 1.

    ``input`` is ``(N, C, L)`` or ``(C, L)``, ``weight`` ``(O, C // groups, k)``; the result is
    ``(N, O, Lo)`` (or ``(O, Lo)``).
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, "conv1d", spatial=1)


def convolve2d(
    input: Tensor,  # noqa: A002
    kernel: Tensor,
    bias: Tensor | None = None,
    stride: IntOrPair = 1,
    padding: Padding = 0,
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> Tensor:
    """TRUE 2-D convolution (the textbook one): flip the kernel by 180 degrees, then cross-correlate.

    Deep-learning "convolution" layers compute the cross-correlation (``conv2d``); the two
    differ only by this flip. ``kernel`` is ``(O, C // groups, kH, kW)``, or a single 2-D
    ``(kH, kW)`` kernel, which then applies to a one-channel image: ``input`` ``(H, W)`` gives
    ``(Ho, Wo)``, ``(N, 1, H, W)`` gives ``(N, 1, Ho, Wo)``.
    """
    _require_tensor(input, "input", "convolve2d")
    _require_tensor(kernel, "kernel", "convolve2d")
    single_image = kernel.ndim == 2 and input.ndim == 2
    if kernel.ndim == 2:
        kernel = kernel.reshape(1, 1, *kernel.shape)
    if single_image:
        input = input.unsqueeze(0)  # noqa: A001
    if kernel.ndim != 4:
        raise ShapeError(
            "convolve2d: kernel must be 2-D (kH, kW) or 4-D (O, C / groups, kH, kW), "
            f"got shape {tuple(kernel.shape)}"
        )
    out = conv2d(input, kernel[:, :, ::-1, ::-1], bias, stride, padding, dilation, groups)
    return out.squeeze(0) if single_image else out


def _require_tensor(value: Any, name: str, op: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a minigrad.Tensor, got {type(value).__name__}")


def _conv(input, weight, bias, stride, padding, dilation, groups, op: str, spatial: int) -> Tensor:  # noqa: A002
    """Validate everything, lift 1-D to 2-D and unbatched to batched, run the primitive."""
    _require_tensor(input, "input", op)
    _require_tensor(weight, "weight", op)
    if bias is not None:
        _require_tensor(bias, "bias", op)
    batched_ndim = spatial + 2
    layout = "(N, C, L)" if spatial == 1 else "(N, C, H, W)"
    if input.ndim not in (batched_ndim, batched_ndim - 1):
        raise ShapeError(
            f"{op}: expected a {batched_ndim}-D input {layout} or a {batched_ndim - 1}-D unbatched one, "
            f"got shape {tuple(input.shape)}"
        )
    if weight.ndim != batched_ndim:
        kernel_layout = "(O, C / groups, k)" if spatial == 1 else "(O, C / groups, kH, kW)"
        raise ShapeError(
            f"{op}: weight must be {batched_ndim}-D {kernel_layout}, got shape {tuple(weight.shape)}"
        )
    if input.dtype.kind != "f":
        raise DTypeError(f"{op}: input must be floating point, got {input.dtype}; convert it with .float()")
    if weight.dtype != input.dtype or (bias is not None and bias.dtype != input.dtype):
        found = f"input {input.dtype}, weight {weight.dtype}" + (
            "" if bias is None else f", bias {bias.dtype}"
        )
        raise DTypeError(
            f"{op}: input, weight and bias must share one dtype, got {found}; convert with .to(dtype)"
        )

    stride = _pair(stride, "stride", op, spatial)
    dilation = _pair(dilation, "dilation", op, spatial)
    if min(stride) < 1:
        raise ArgumentError(f"{op}: stride must be >= 1 on every axis, got {stride}")
    if min(dilation) < 1:
        raise ArgumentError(f"{op}: dilation must be >= 1 on every axis, got {dilation}")
    if not isinstance(groups, int) or groups < 1:
        raise ArgumentError(f"{op}: groups must be a positive int, got {groups!r}")

    batched = input.ndim == batched_ndim
    channels = input.shape[1] if batched else input.shape[0]
    out_channels, channels_per_group = weight.shape[0], weight.shape[1]
    if channels % groups:
        raise ShapeError(f"{op}: the input's {channels} channels are not divisible by groups={groups}")
    if out_channels % groups:
        raise ShapeError(
            f"{op}: the weight's {out_channels} output channels (dim 0 of {tuple(weight.shape)}) "
            f"are not divisible by groups={groups}"
        )
    if channels_per_group * groups != channels:
        raise ShapeError(
            f"{op}: weight of shape {tuple(weight.shape)} with groups={groups} expects "
            f"{channels_per_group} * {groups} = {channels_per_group * groups} input channels, but the "
            f"input of shape {tuple(input.shape)} has {channels}"
        )
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(
            f"{op}: bias must have shape ({out_channels},) (one per output channel), got {tuple(bias.shape)}"
        )

    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pairs = ((0, 0),) * spatial
        elif padding == "same":
            if max(stride) > 1:
                raise ArgumentError(
                    f"{op}: padding='same' is not supported for strided convolutions (stride={stride}); "
                    "give an explicit padding"
                )
            pairs = same_padding(kernel, dilation)
        else:
            raise ArgumentError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
    else:
        pairs = tuple((p, p) for p in _pair(padding, "padding", op, spatial))
        if min(min(pair) for pair in pairs) < 0:
            raise ArgumentError(f"{op}: padding must be >= 0 on every axis, got {tuple(p for p, _ in pairs)}")

    size = tuple(input.shape[-spatial:])
    padded = tuple(n + before + after for n, (before, after) in zip(size, pairs))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(s > p for s, p in zip(span, padded)):
        raise ShapeError(
            f"{op}: the kernel {'x'.join(map(str, kernel))} (dilation {dilation}, so it spans "
            f"{'x'.join(map(str, span))}) is larger than the padded input {'x'.join(map(str, padded))} "
            f"(input {tuple(input.shape)}, padding {tuple(p for p, _ in pairs)}); pad more or use a "
            "smaller kernel or dilation"
        )

    # --- arguments are valid: lift to the primitive's (N, C, H, W) world -----------------
    x = input if batched else input.unsqueeze(0)
    if spatial == 1:
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, dilation, pairs = (1, *stride), (1, *dilation), ((0, 0), *pairs)
    extra = [(0, after - before) for before, after in pairs]
    if any(e for _, e in extra):  # 'same' with an odd total: the extra zeros go at the end
        x = pad_tensor(x, [v for pair in reversed(extra) for v in pair])
    symmetric = tuple(before for before, _ in pairs)
    out = conv_ops.conv2d(x, weight, bias, stride=stride, padding=symmetric, dilation=dilation, groups=groups)
    if spatial == 1:
        out = out.squeeze(2)
    return out if batched else out.squeeze(0)
