"""Adaptive pooling to a fixed output size: ``F.adaptive_avg_pool1d/3d`` and
``F.adaptive_max_pool1d/2d/3d`` (``F.adaptive_avg_pool2d`` is in ``pooling.py``).

Output cell ``i`` of an axis of input size ``n`` and output size ``m`` pools input positions
``floor(i * n / m)`` to ``ceil((i + 1) * n / m) - 1`` (PyTorch's rule). Averages are separable:
one averaging matrix per axis. Maxima gather every window (padded to the longest one by
repeating its last position, which cannot change a maximum), pick the first maximum in
row-major order (NaN wins, as PyTorch), and read it with one integer-array gather, whose
gradient, a scatter-add to the winner, comes for free.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

from minigrad.errors import ArgumentError, ShapeError, UnsupportedDTypeError
from minigrad.tensor import Tensor


def window_bounds(size: int, out: int) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` of each output cell's window along one axis (end excluded)."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _lift(input: Any, spatial: int, op: str) -> tuple[Tensor, bool]:  # noqa: A002
    """The batched ``(N, C, *spatial)`` form of a batched or unbatched input, floats only."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a minigrad.Tensor, got {type(input).__name__}")
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ShapeError(
            f"{op}: expected a {spatial + 2}-D (batched) or {spatial + 1}-D (unbatched) input, "
            f"got shape {tuple(input.shape)}"
        )
    if input.dtype.kind != "f":
        raise UnsupportedDTypeError(f'{op}: "{op}" is not implemented for {input.dtype}; convert it with .float()')
    return (input, True) if input.ndim == spatial + 2 else (input.unsqueeze(0), False)


def _sizes(output_size: Any, in_size: tuple[int, ...], op: str) -> tuple[int, ...]:
    """Normalise ``output_size`` (an int, or one entry per axis; ``None`` keeps that size)."""
    n = len(in_size)
    values = (output_size,) * n if output_size is None or hasattr(output_size, "__index__") else tuple(output_size)
    if len(values) != n:
        raise ArgumentError(f"{op}: output_size must be an int or a tuple of {n}, got {output_size!r}")
    sizes = tuple(size if v is None else operator.index(v) for v, size in zip(values, in_size))
    if min(sizes) < 1:
        raise ArgumentError(f"{op}: output_size must be >= 1 on every axis, got {sizes}")
    if min(in_size) < 1:
        raise ShapeError(f"{op}: the input's spatial sizes must be non-zero, got {in_size}")
    return sizes


def adaptive_avg_pool_nd(x: Tensor, out_size: Sequence[int], op: str) -> Tensor:
    """Average ``x`` ``(N, C, *S)`` to ``(N, C, *out_size)``: one averaging matrix per axis."""
    xp = x.backend.xp
    spatial = len(out_size)
    for axis, out in enumerate(out_size):
        size = x.shape[2 + axis]
        if size == out:
            continue
        matrix = xp.zeros((size, out), dtype=x.dtype)
        for i, (start, end) in enumerate(window_bounds(size, out)):
            matrix[start:end, i] = 1.0 / (end - start)
        dim = 2 + axis
        moved = x if axis == spatial - 1 else x.transpose(dim, -1)
        pooled = moved @ Tensor._make(matrix, x.backend)
        x = pooled if axis == spatial - 1 else pooled.transpose(dim, -1)
    return x


def adaptive_avg_pool1d(input: Tensor, output_size: int | Sequence[int]) -> Tensor:  # noqa: A002
    """``(N, C, L)`` or ``(C, L)`` -> ``(N, C, output_size)``: the mean of each adaptive window."""
    x, batched = _lift(input, 1, "adaptive_avg_pool1d")
    out = adaptive_avg_pool_nd(x, _sizes(output_size, tuple(x.shape[2:]), "adaptive_avg_pool1d"), "adaptive_avg_pool1d")
    return out if batched else out.squeeze(0)


def adaptive_avg_pool3d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:  # noqa: A002
    """``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> ``(N, C, *output_size)``."""
    x, batched = _lift(input, 3, "adaptive_avg_pool3d")
    out = adaptive_avg_pool_nd(x, _sizes(output_size, tuple(x.shape[2:]), "adaptive_avg_pool3d"), "adaptive_avg_pool3d")
    return out if batched else out.squeeze(0)


def _adaptive_max(input: Tensor, output_size: Any, return_indices: bool, spatial: int, op: str) -> Any:  # noqa: A002
    x, batched = _lift(input, spatial, op)
    xp = x.backend.xp
    n, c, *in_size = x.shape
    out_size = _sizes(output_size, tuple(in_size), op)
    plane = math.prod(in_size)
    # flat[o_1, k_1, o_2, k_2, ...]: the flat input position (d*H*W + h*W + w) that window tap
    # (k_1, k_2, ...) of output cell (o_1, o_2, ...) reads.
    flat = xp.zeros((1,) * (2 * spatial), dtype=xp.int64)
    stride = plane
    for axis, (size, out) in enumerate(zip(in_size, out_size)):
        stride //= size
        bounds = window_bounds(size, out)
        longest = max(end - start for start, end in bounds)
        taps = xp.asarray([[min(start + k, end - 1) for k in range(longest)] for start, end in bounds])
        shape = [1] * (2 * spatial)
        shape[2 * axis], shape[2 * axis + 1] = out, longest
        flat = flat + taps.reshape(shape) * stride
    order = list(range(0, 2 * spatial, 2)) + list(range(1, 2 * spatial, 2))
    flat = flat.transpose(order).reshape(*out_size, -1)  # (o_1, ..., o_n, taps), taps row-major
    windows = x.detach()._array.reshape(n, c, plane)[:, :, flat]  # (N, C, *out, taps)
    winner = xp.argmax(windows, axis=-1)  # the first maximum; NaN counts as the maximum
    indices = xp.take_along_axis(xp.broadcast_to(flat, windows.shape), winner[..., None], axis=-1)[..., 0]
    offsets = (xp.arange(n * c) * plane).reshape(n, c, *([1] * spatial))
    values = x.reshape(-1)[indices + offsets]  # a gather: its gradient goes to the winner
    if not batched:
        values, indices = values.squeeze(0), indices[0]
    if not return_indices:
        return values
    return values, Tensor._make(xp.ascontiguousarray(indices), x.backend)


def adaptive_max_pool1d(input: Tensor, output_size: int | Sequence[int], return_indices: bool = False) -> Any:  # noqa: A002
    """``(N, C, L)`` or ``(C, L)`` -> ``(N, C, output_size)``: the maximum of each adaptive window;
    with ``return_indices``, also each maximum's position in its input row (int64)."""
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input: Tensor, output_size: int | Sequence[int | None], return_indices: bool = False) -> Any:  # noqa: A002
    """``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, *output_size)``; the indices are flat positions
    ``h * W + w`` in each input plane, as ``max_pool2d``'s."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input: Tensor, output_size: int | Sequence[int | None], return_indices: bool = False) -> Any:  # noqa: A002
    """``(N, C, D, H, W)`` or ``(C, D, H, W)`` -> ``(N, C, *output_size)``; indices ``d*H*W + h*W + w``."""
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")
