"""``F.max_pool3d`` and ``F.avg_pool3d``: window gathers, as the adaptive poolings.

The input is padded (``-inf`` for max, zeros for average, plus the cells a ``ceil_mode``
window may reach past the padding), every window's cells are gathered with one integer-array
index (``taps[o, k] = o * stride + k * dilation`` per axis), and reduced: the first maximum in
row-major order (NaN wins; the gradient goes to it through the gather, as PyTorch's), or the sum
divided by PyTorch's divisor. Slower than the 2-D primitives, but with their semantics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from minigrad.errors import ArgumentError, ShapeError, UnsupportedDTypeError
from minigrad.nn.functional.conv import _pair
from minigrad.ops.composite import pad as pad_tensor
from minigrad.tensor import Tensor

IntOrTriple = int | Sequence[int]


def pooled_size(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: with ``ceil_mode`` a last partial window is kept,
    unless it would start in the right padding."""
    span = dilation * (kernel - 1) + 1
    out = (size + 2 * padding - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _arguments(input: Any, kernel_size, stride, padding, dilation, ceil_mode, op: str):  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a minigrad.Tensor, got {type(input).__name__}")
    if input.ndim not in (4, 5):
        raise ShapeError(f"{op}: expected a 5-D input (N, C, D, H, W) or 4-D unbatched, got shape {tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise UnsupportedDTypeError(f'{op}: "{op}" is not implemented for {input.dtype}; convert it with .float()')
    kernel = _pair(kernel_size, "kernel_size", op, 3)
    stride = kernel if stride is None or stride == () or stride == [] else _pair(stride, "stride", op, 3)
    padding, dilation = _pair(padding, "padding", op, 3), _pair(dilation, "dilation", op, 3)
    for name, values in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if min(values) < 1:
            raise ArgumentError(f"{op}: {name} must be greater than zero, got {values}")
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel)):
        raise ArgumentError(f"{op}: pad should be at most half of effective kernel size, got padding={padding}")
    x = input if input.ndim == 5 else input.unsqueeze(0)
    out = tuple(pooled_size(*axis, ceil_mode) for axis in zip(x.shape[2:], kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ShapeError(f"{op}: input {tuple(input.shape)} is too small: the output would be {out}")
    return x, input.ndim == 5, kernel, stride, padding, dilation, out


def _windows(x: Tensor, kernel, stride, padding, dilation, out, fill: float):
    """The padded input, flattened, and ``flat`` (Do, Ho, Wo, taps): where each window's cells
    are in it (taps in row-major kernel order)."""
    xp = x.backend.xp
    sizes = x.shape[2:]
    # Right padding: the input's own, plus what a ceil_mode window reaches beyond it.
    right = [
        max((o - 1) * s + d * (k - 1) + 1 - n - p, p)
        for o, s, d, k, n, p in zip(out, stride, dilation, kernel, sizes, padding)
    ]
    widths = [v for p, r in reversed(list(zip(padding, right))) for v in (p, r)]
    padded = pad_tensor(x, widths, value=fill)
    padded_sizes = padded.shape[2:]
    flat = xp.zeros((1,) * 6, dtype=xp.int64)
    step = math.prod(padded_sizes)
    for axis, (o, k, s, d) in enumerate(zip(out, kernel, stride, dilation)):
        step //= padded_sizes[axis]
        taps = (xp.arange(o)[:, None] * s + xp.arange(k)[None, :] * d) * step
        shape = [1] * 6
        shape[2 * axis], shape[2 * axis + 1] = o, k
        flat = flat + taps.reshape(shape)
    flat = flat.transpose(0, 2, 4, 1, 3, 5).reshape(*out, -1)
    return padded, flat


def max_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: IntOrTriple,
    stride: IntOrTriple | None = None,
    padding: IntOrTriple = 0,
    dilation: IntOrTriple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over each (dilated) window of ``(N, C, D, H, W)``; indices are flat positions
    ``d * H * W + h * W + w`` in each input volume (int64), as PyTorch's."""
    x, batched, kernel, stride, padding, dilation, out = _arguments(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d"
    )
    xp = x.backend.xp
    n, c = x.shape[:2]
    padded, flat = _windows(x, kernel, stride, padding, dilation, out, -math.inf)
    volume = math.prod(padded.shape[2:])
    windows = padded.detach()._array.reshape(n, c, volume)[:, :, flat]  # (N, C, Do, Ho, Wo, taps)
    winner = xp.take_along_axis(xp.broadcast_to(flat, windows.shape), xp.argmax(windows, -1)[..., None], -1)[..., 0]
    offsets = (xp.arange(n * c) * volume).reshape(n, c, 1, 1, 1)
    values = padded.reshape(-1)[winner + offsets]  # the gradient goes to each window's winner
    if not batched:
        values = values.squeeze(0)
    if not return_indices:
        return values
    # The winner's position in the unpadded input.
    coordinates, rest = [], winner
    for size in reversed(padded.shape[2:]):
        coordinates.append(rest % size)
        rest = rest // size
    (z, y, w), (_, height, width) = reversed(coordinates), x.shape[2:]
    indices = ((z - padding[0]) * height + (y - padding[1])) * width + (w - padding[2])
    indices = Tensor._make(xp.ascontiguousarray(indices if batched else indices[0]), x.backend)
    return values, indices


def avg_pool3d(
    input: Tensor,  # noqa: A002
    kernel_size: IntOrTriple,
    stride: IntOrTriple | None = None,
    padding: IntOrTriple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window of ``(N, C, D, H, W)`` (zero padding), PyTorch's ``F.avg_pool3d``:
    the divisor counts the padding cells when ``count_include_pad`` (never the cells a
    ``ceil_mode`` window reaches past it), or is ``divisor_override``."""
    x, batched, kernel, stride, padding, _, out = _arguments(
        input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d"
    )
    if divisor_override is not None and (not isinstance(divisor_override, int) or divisor_override <= 0):
        raise ArgumentError(f"avg_pool3d: divisor_override must be a positive int, got {divisor_override!r}")
    xp = x.backend.xp
    n, c = x.shape[:2]
    padded, flat = _windows(x, kernel, stride, padding, (1, 1, 1), out, 0.0)
    sums = padded.reshape(n, c, -1)[:, :, flat].sum(-1)  # (N, C, Do, Ho, Wo)
    if divisor_override is not None:
        result = sums / divisor_override
    else:
        divisor = xp.ones((1,) * 3, dtype=x.dtype)
        for axis, (o, k, s, p, size) in enumerate(zip(out, kernel, stride, padding, x.shape[2:])):
            start = xp.arange(o) * s - p
            end = xp.minimum(start + k, size + p)
            count = end - start if count_include_pad else xp.minimum(end, size) - xp.maximum(start, 0)
            shape = [1, 1, 1]
            shape[axis] = o
            divisor = divisor * count.reshape(shape).astype(x.dtype)
        result = sums / Tensor._make(divisor, x.backend)
    return result if batched else result.squeeze(0)


def lp_pool3d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: IntOrTriple,
    stride: IntOrTriple | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """Power-mean pooling ``(sum over the window of x ** p) ** (1 / p)`` over ``(N, C, D, H, W)``,
    as PyTorch: ``(avg_pool3d(x ** p) * kD * kH * kW) ** (1 / p)``."""
    kernel = _pair(kernel_size, "kernel_size", "lp_pool3d", 3)
    mean = avg_pool3d(input**norm_type, kernel, stride, 0, ceil_mode)
    return (mean * math.prod(kernel)) ** (1.0 / norm_type)
