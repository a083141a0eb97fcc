"""Pooling layers' functions (``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` /
``adaptive_avg_pool2d``), with PyTorch's arguments, output sizes and checks.

Every function takes ``(N, C, H, W)`` or unbatched ``(C, H, W)`` input and returns the same
layout. Max pooling is a primitive (``minigrad.ops.pool``); the average poolings are linear
maps composed from existing differentiable ops.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from minigrad.backends.dtypes import float64
from minigrad.errors import ArgumentError, ShapeError, UnsupportedDTypeError
from minigrad.nn.functional.conv import _pair
from minigrad.ops import conv as conv_ops
from minigrad.ops import pool as pool_ops
from minigrad.tensor import Tensor

IntOrPair = int | Sequence[int]


def max_pool2d(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Maximum over each (dilated) window; the gradient goes to the window's maximum.

    ``stride`` defaults to ``kernel_size``. ``padding`` adds ``-inf`` on both sides (it may be at
    most half the kernel). ``ceil_mode`` keeps a last partial window. With ``return_indices``,
    also returns each maximum's flat position ``h * W + w`` in its input plane (int64), as
    PyTorch does. Output: ``(N, C, Ho, Wo)``, ``Ho = floor((H + 2p - d(k-1) - 1) / s) + 1``.
    """
    x, batched, kernel, stride, padding, dilation = _pool_args(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d", integers=True
    )
    # Without return_indices the primitive skips building the int64 index array.
    outputs = pool_ops.MaxPool2d.apply(
        x,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=bool(ceil_mode),
        return_indices=bool(return_indices),
    )
    if not return_indices:
        return outputs if batched else outputs.squeeze(0)
    values, indices = outputs
    if not batched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return values, indices


def avg_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window (zero padding); PyTorch's ``F.avg_pool2d``.

    ``count_include_pad`` divides by the window size including padding cells (but never the
    cells ``ceil_mode`` adds past the padding); otherwise by the number of input cells.
    ``divisor_override`` divides by that number instead.

    The window sums are a convolution with a box kernel of ones (the conv2d primitive, so the
    gradient and its gradient come from the duality rules); windows that tile the input
    exactly are a reshape and a mean instead.
    """
    x, batched, kernel, stride, padding, _ = _pool_args(
        input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d", integers=True
    )
    if x.dtype.kind in "iu":
        # PyTorch averages integers in their own type: an integer sum divided with C++'s
        # truncation toward zero. Computed in float64 (exact for these sums), then truncated.
        average = avg_pool2d(
            x.to(float64), kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
        )
        xp = x.backend.xp
        out = Tensor._make(xp.trunc(average._array).astype(x.dtype), x.backend)
        return out if batched else out.squeeze(0)
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override <= 0):
        raise ArgumentError(f"avg_pool2d: divisor_override must be a positive int, got {divisor_override!r}")
    n, c, h, w = x.shape
    out_size = [
        pool_ops.pool_output_size(size, k, s, p, 1, ceil_mode)
        for size, k, s, p in zip((h, w), kernel, stride, padding)
    ]
    if pool_ops.is_tiling((h, w), kernel, stride, padding, (1, 1), ceil_mode):
        (ho, wo), (kh, kw) = out_size, kernel
        blocks = x[:, :, : ho * kh, : wo * kw].reshape(n, c, ho, kh, wo, kw)
        out = blocks.mean((3, 5)) if divisor_override is None else blocks.sum((3, 5)) / divisor_override
    else:
        # ceil_mode's last window may run past the padding: those cells are zeros, not counted.
        extra = [
            max((o - 1) * s + k - size - 2 * p, 0)
            for o, s, k, size, p in zip(out_size, stride, kernel, (h, w), padding)
        ]
        planes = conv_ops.pad_or_crop(x.reshape(n * c, 1, h, w), [(0, extra[0]), (0, extra[1])])
        box = x.new_ones(1, 1, *kernel)
        sums = conv_ops.conv2d(planes, box, stride=stride, padding=padding, dilation=(1, 1), groups=1)
        sums = sums[:, :, : out_size[0], : out_size[1]].reshape(n, c, *out_size)
        if divisor_override is not None:
            out = sums / divisor_override
        else:
            xp = x.backend.xp
            rows, cols = (
                pool_ops.average_divisor(size, k, s, p, o, count_include_pad, xp)
                for size, k, s, p, o in zip((h, w), kernel, stride, padding, out_size)
            )
            divisor = (rows.reshape(-1, 1) * cols).astype(x.dtype)
            out = sums / Tensor._make(divisor, x.backend)
    return out if batched else out.squeeze(0)


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:  # noqa: A002
    """Average pooling to a fixed output size ``(Ho, Wo)`` (``None`` keeps that input size).

    Output cell ``i`` averages input rows ``floor(i*H/Ho)`` to ``ceil((i+1)*H/Ho) - 1`` (PyTorch's
    rule), and likewise for columns. When the sizes divide, that is a reshape and a mean;
    otherwise two averaging matrices: ``A_h @ x @ A_w^T``.
    """
    x, batched = _batched(input, "adaptive_avg_pool2d")
    n, c, h, w = x.shape
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ArgumentError(f"adaptive_avg_pool2d: output_size must be an int or a pair, got {output_size!r}")
    ho, wo = (size if o is None else operator.index(o) for o, size in zip(output_size, (h, w)))
    if ho < 1 or wo < 1:
        raise ArgumentError(f"adaptive_avg_pool2d: output_size must be >= 1, got {(ho, wo)}")
    if h % ho == 0 and w % wo == 0:
        out = x.reshape(n, c, ho, h // ho, wo, w // wo).mean((3, 5))
    else:
        xp = x.backend.xp
        rows = Tensor._make(pool_ops.adaptive_matrix(h, ho, x.dtype, xp), x.backend)
        cols = Tensor._make(pool_ops.adaptive_matrix(w, wo, x.dtype, xp).T, x.backend)
        out = rows @ x @ cols
    return out if batched else out.squeeze(0)


def _batched(input: Any, op: str, integers: bool = False) -> tuple[Tensor, bool]:  # noqa: A002
    """``(N, C, H, W)`` from a batched or unbatched input, with PyTorch's checks. ``integers``:
    the op accepts integer dtypes too (max pooling does, as PyTorch; never bool)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a minigrad.Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise ShapeError(
            f"{op}: expected a 4-D input (N, C, H, W) or 3-D unbatched (C, H, W), "
            f"got shape {tuple(input.shape)}"
        )
    kinds = "fiu" if integers else "f"
    if input.dtype.kind not in kinds:
        raise UnsupportedDTypeError(
            f'{op}: "{op}" is not implemented for {input.dtype} (as PyTorch); convert it with '
            + (".float() or .long()" if integers else ".float()")
        )
    return (input, True) if input.ndim == 4 else (input.unsqueeze(0), False)


def _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, op: str, integers: bool = False):  # noqa: A002
    """Validate and normalise pooling arguments (PyTorch's checks, messages and error classes)."""
    x, batched = _batched(input, op, integers)
    kernel = _pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () or stride == [] else _pair(stride, "stride", op)
    padding = _pair(padding, "padding", op)
    dilation = _pair(dilation, "dilation", op)
    for name, values in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if min(values) < 1:
            raise ArgumentError(f"{op}: {name} must be >= 1 (greater than zero) on every axis, got {values}")
    if min(padding) < 0:
        raise ArgumentError(f"{op}: padding must be >= 0 on every axis, got {padding}")
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ArgumentError(
            f"{op}: padding {padding} must be at most half the kernel size {kernel} (pad <= k // 2)"
        )
    size = x.shape[2:]
    out = [
        pool_ops.pool_output_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)
    ]
    if min(out) < 1:
        raise ShapeError(
            f"{op}: input {tuple(input.shape)} is too small for kernel {kernel} with stride {stride}, "
            f"padding {padding} and dilation {dilation}: the output would be {tuple(out)}"
        )
    return x, batched, kernel, stride, padding, dilation
