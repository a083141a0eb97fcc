"""``F.unfold`` (im2col) and ``F.fold`` (col2im), PyTorch's signatures and checks.

``unfold(x, kernel_size)`` is the column matrix a convolution multiplies: for
``weight`` (O, C, kh, kw), ``F.conv2d(x, weight)`` equals
``(weight.reshape(O, -1) @ F.unfold(x, (kh, kw))).reshape(N, O, Ho, Wo)``. It reads the
columns from the same strided view as the conv2d primitive (``minigrad.ops.conv.im2col``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.errors import ArgumentError, ShapeError, UnsupportedDTypeError
from minigrad.ops import fold as fold_ops
from minigrad.ops.conv import output_size as blocks_along
from minigrad.tensor import Tensor

IntOrPair = int | Sequence[int]


def unfold(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> Tensor:
    """Every sliding window of ``input`` as a column (im2col), PyTorch's ``F.unfold``.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``, floating point.
        kernel_size, dilation, padding, stride: an int or an ``(h, w)`` pair; padding is zeros
            on both sides.

    Returns:
        ``(N, C * kh * kw, L)`` (or ``(C * kh * kw, L)``): row ``c * kh * kw + i * kw + j`` holds
        what kernel tap ``(i, j)`` of channel ``c`` sees, column ``y * Wo + x`` the window of
        output ``(y, x)``; ``L = Ho * Wo`` with ``Ho = floor((H + 2p - d(k-1) - 1) / s) + 1``.
    """
    _require_float_tensor(input, "unfold")
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise ShapeError(
            "unfold: expected a 4-D input (N, C, H, W) (N may be 0) or a 3-D unbatched one "
            f"(C, H, W) with non-zero C, H and W, got shape {list(input.shape)}"
        )
    kernel, dilation, padding, stride = _arguments("unfold", kernel_size, dilation, padding, stride)
    size = tuple(input.shape[-2:])
    blocks = tuple(blocks_along(*axis) for axis in zip(size, kernel, stride, padding, dilation))
    if min(blocks) < 1:
        raise ShapeError(
            f"unfold: input of spatial size {size} with kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding} gives {blocks[0]} x {blocks[1]} sliding blocks, but there must be at "
            "least one: pad more, or use a smaller kernel or dilation"
        )
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    out = fold_ops.Unfold.apply(x, kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
    return out if batched else out.squeeze(0)


def fold(
    input: Tensor,  # noqa: A002
    output_size: IntOrPair,
    kernel_size: IntOrPair,
    dilation: IntOrPair = 1,
    padding: IntOrPair = 0,
    stride: IntOrPair = 1,
) -> Tensor:
    """Add columns back onto their windows of an image (col2im), PyTorch's ``F.fold``.

    The adjoint of :func:`unfold`: ``fold(unfold(x))`` multiplies each pixel by the number of
    windows that cover it.

    Args:
        input: ``(N, C * kh * kw, L)`` or unbatched ``(C * kh * kw, L)``, where ``L`` is the
            number of windows that fit in ``output_size``.
        output_size: the image's ``(H, W)`` (an int for both).
        kernel_size, dilation, padding, stride: as in :func:`unfold`.

    Returns:
        ``(N, C, H, W)`` (or ``(C, H, W)``).
    """
    _require_float_tensor(input, "fold")
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise ShapeError(
            "fold: expected a 3-D input (N, C * kh * kw, L) (N may be 0) or a 2-D unbatched one "
            f"(C * kh * kw, L) with non-zero sizes, got shape {list(input.shape)}"
        )
    size = _pair(output_size, "output_size", "fold")
    kernel, dilation, padding, stride = _arguments("fold", kernel_size, dilation, padding, stride)
    rows, length = input.shape[-2:]
    taps = kernel[0] * kernel[1]
    if rows % taps:
        raise ShapeError(
            f"fold: the input's dimension {input.ndim - 2} (size {rows}) must be divisible by the "
            f"kernel's {kernel[0]} * {kernel[1]} = {taps} taps: it holds C * kh * kw rows"
        )
    blocks = tuple(blocks_along(*axis) for axis in zip(size, kernel, stride, padding, dilation))
    if min(blocks) < 1 or blocks[0] * blocks[1] != length:
        raise ShapeError(
            f"fold: output_size={size}, kernel_size={kernel}, dilation={dilation}, padding={padding}, "
            f"stride={stride} give {max(blocks[0], 0)} * {max(blocks[1], 0)} = "
            f"{max(blocks[0], 0) * max(blocks[1], 0)} sliding blocks, but the input's last dimension "
            f"holds {length}"
        )
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    out = fold_ops.Fold.apply(
        x, output_size=size, kernel_size=kernel, dilation=dilation, padding=padding, stride=stride
    )
    return out if batched else out.squeeze(0)


def _require_float_tensor(value: Any, op: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: input must be a minigrad.Tensor, got {type(value).__name__}")
    if value.dtype.kind != "f":  # PyTorch: "im2col_out_cpu" not implemented for 'Long'
        raise UnsupportedDTypeError(
            f"{op}: input must be floating point, got {value.dtype}; convert it with .float()")


def _pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """An int (both axes) or a sequence of two ints."""
    if isinstance(value, int) or hasattr(value, "__index__"):
        return (int(value), int(value))
    try:
        values = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of 2 ints, got {value!r}") from None
    if len(values) != 2:
        raise ArgumentError(f"{op}: {name} must be an int or a tuple of 2 ints, got {value!r}")
    return values


def _arguments(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    kernel = _pair(kernel_size, "kernel_size", op)
    dilation = _pair(dilation, "dilation", op)
    padding = _pair(padding, "padding", op)
    stride = _pair(stride, "stride", op)
    for name, values in (("kernel_size", kernel), ("dilation", dilation), ("stride", stride)):
        if min(values) < 1:
            raise ArgumentError(f"{op}: {name} must be greater than zero, got {values}")
    if min(padding) < 0:
        raise ArgumentError(f"{op}: padding must be non-negative, got {padding}")
    return kernel, dilation, padding, stride
