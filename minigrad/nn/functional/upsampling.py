"""Resizing: ``F.interpolate`` (nearest, nearest-exact, linear/bilinear/trilinear, bicubic,
area) and ``F.pixel_shuffle`` / ``F.pixel_unshuffle``, with PyTorch's index formulas.

Every interpolation mode is separable: along each spatial axis, output position ``i`` reads a few
input positions ``idx_k[i]`` with weights ``w_k[i]`` (1 tap for nearest, 2 for linear, 4 for
cubic), so the result is ``sum_k x[..., idx_k, ...] * w_k``, one axis after the other. The
taps are integer-array gathers: their gradient is the matching scatter-add, for free, and the
weights are constants. The source positions are computed in the input's floating dtype, as
PyTorch's CPU kernels do (``float`` arithmetic for float32), so the indices agree exactly.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any

from minigrad.errors import ArgumentError, ShapeError
from minigrad.tensor import Tensor

MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")
# Which input rank each interpolating mode needs (PyTorch refuses the others).
RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution coefficient


def interpolate(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.

    Give ``size`` (the output size) or ``scale_factor`` (output = ``floor(input * scale)``).
    Output position ``i`` reads input position (``s`` = input/output size, or ``1/scale_factor``
    when a scale factor is given and ``recompute_scale_factor`` is not True):

    * ``nearest``: ``min(floor(i * s), in - 1)`` (PyTorch's legacy rule, shifted left);
    * ``nearest-exact``: ``min(floor((i + 0.5) * s), in - 1)`` (the pixel centres' rule);
    * ``linear``/``bilinear``/``trilinear`` (3-D/4-D/5-D input): ``(i + 0.5) * s - 0.5``
      (clamped at 0), or with ``align_corners=True`` ``i * (in - 1) / (out - 1)``, mixing its
      two neighbours; ``bicubic`` (4-D): the same position, four neighbours, A = -0.75;
    * ``area``: adaptive average pooling to the output size.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: input must be a minigrad.Tensor, got {type(input).__name__}")
    spatial = input.ndim - 2
    if mode not in MODES or spatial not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})"
        )
    if align_corners is not None and mode not in INTERPOLATING:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"
        )
    if mode in RANK and input.ndim != RANK[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {RANK[mode]}D input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in minigrad; use antialias=False")
    # PyTorch resizes uint8 images too (nearest is a gather, exact for any dtype; its uint8
    # bilinear rounds with fixed-point weights, which is not reproduced here).
    if input.dtype.kind != "f" and not (input.dtype.name == "uint8" and mode in ("nearest", "nearest-exact")):
        raise NotImplementedError(f'interpolate: "{mode}" is not implemented for {input.dtype}; convert with .float()')
    align_corners = bool(align_corners)
    in_size = tuple(input.shape[2:])
    out_size, scales = _output_size(in_size, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        from minigrad.nn.functional.adaptive_pooling import adaptive_avg_pool_nd

        return adaptive_avg_pool_nd(input, out_size, "interpolate")
    out = input
    for axis, (n_in, n_out, scale) in enumerate(zip(in_size, out_size, scales), start=2):
        # An axis whose size does not change is copied by PyTorch's linear and 2-D nearest
        # kernels; its 1-D and 3-D nearest, nearest-exact and bicubic kernels still index with
        # 1 / scale_factor when one was given (odd, but PyTorch's results).
        rescaled = mode in ("nearest-exact", "bicubic") or (mode == "nearest" and input.ndim != 4)
        if n_out != n_in or (scale is not None and rescaled):
            out = _resample_axis(out, axis, n_in, n_out, scale, mode, align_corners)
    return input.clone() if out is input else out


def _output_size(in_size, size, scale_factor, recompute_scale_factor):
    """The output size and, per axis, the user's scale factor (None when size rules)."""
    spatial = len(in_size)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        sizes = (size,) * spatial if hasattr(size, "__index__") else tuple(size)
        if len(sizes) != spatial:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {list(in_size)} and output size of {size}. Please provide input tensor in "
                "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        sizes = tuple(operator.index(s) for s in sizes)
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if min(sizes) < 1:
            raise ArgumentError(f"interpolate: the output size must be positive, got {sizes}")
        return sizes, (None,) * spatial
    factors = (scale_factor,) * spatial if not isinstance(scale_factor, (tuple, list)) else tuple(scale_factor)
    if len(factors) != spatial:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
            f"dimensions of {list(in_size)} and scale_factor of shape {scale_factor}. Please provide input tensor "
            "in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
        )
    factors = tuple(float(f) for f in factors)
    sizes = tuple(math.floor(n * f) for n, f in zip(in_size, factors))
    if min(sizes) < 1:
        raise ArgumentError(
            f"interpolate: scale_factor {factors} gives an empty output {sizes} for input size {in_size}"
        )
    # recompute_scale_factor=True: index with input/output size, as if `size` had been given.
    return sizes, (None,) * spatial if recompute_scale_factor else factors


def _resample_axis(x: Tensor, axis: int, n_in: int, n_out: int, scale_factor, mode: str, align_corners: bool):
    """``sum_k x[..., idx_k, ...] * w_k`` along ``axis``: one gather per tap."""
    taps = _taps(x.backend.xp, x.dtype.type, n_in, n_out, scale_factor, mode, align_corners)
    shape = (n_out,) + (1,) * (x.ndim - axis - 1)
    out = None
    for index, weight in taps:
        picked = x[(slice(None),) * axis + (index,)]
        if weight is not None:
            picked = picked * Tensor._make(weight.astype(x.dtype).reshape(shape), x.backend)
        out = picked if out is None else out + picked
    return out


def _source_scale(real, n_in: int, n_out: int, scale_factor, align_corners: bool):
    """PyTorch's ``area_pixel_compute_scale``: input pixels per output pixel, in type ``real``."""
    if align_corners:
        return real((n_in - 1) / (n_out - 1)) if n_out > 1 else real(0)
    if scale_factor is not None and scale_factor > 0:
        return real(1.0 / scale_factor)
    return real(n_in) / real(n_out)


def _taps(xp, real, n_in: int, n_out: int, scale_factor, mode: str, align_corners: bool):
    """``[(index, weight), ...]``: the input positions each output reads, and their weights.

    ``real`` is the input's float type: the linear and cubic source positions are computed in it,
    as PyTorch's CPU kernels do. The nearest modes compute in float32 whatever the input (PyTorch
    does: their scale is a C ``float``), so their indices agree with PyTorch's exactly.
    """
    last = n_in - 1
    if mode == "nearest":
        if n_out == 2 * n_in:  # PyTorch's special case: i >> 1
            return [(xp.arange(n_out) // 2, None)]
        scale = _source_scale(xp.float32, n_in, n_out, scale_factor, False)
        return [(xp.minimum(xp.floor(xp.arange(n_out).astype(xp.float32) * scale).astype(xp.int64), last), None)]
    if mode == "nearest-exact":
        scale = _source_scale(xp.float32, n_in, n_out, scale_factor, False)
        # (i + 0.5) * scale is a double product in PyTorch, rounded to float before floorf.
        source = ((xp.arange(n_out) + 0.5) * xp.float64(scale)).astype(xp.float32)
        return [(xp.minimum(xp.floor(source).astype(xp.int64), last), None)]
    dst = xp.arange(n_out).astype(real)
    scale = _source_scale(real, n_in, n_out, scale_factor, align_corners)
    source = dst * scale if align_corners else scale * (dst + real(0.5)) - real(0.5)
    if mode != "bicubic":
        source = xp.maximum(source, real(0))  # linear: left of the first centre reads the first pixel
    # PyTorch's guard_index_and_lambda: the index is floor(source) kept inside the input, the
    # fraction clamped to [0, 1].
    low = xp.minimum(xp.floor(source).astype(xp.int64), last)
    fraction = xp.clip(source - low.astype(real), real(0), real(1))
    if mode == "bicubic":
        weights = _cubic_weights(fraction)
        return [(xp.clip(low - 1 + k, 0, last), weights[k]) for k in range(4)]
    high = xp.minimum(low + 1, last)
    return [(low, real(1) - fraction), (high, fraction)]


def _cubic_weights(t):
    """Keys' cubic convolution weights for the four taps at offsets -1, 0, 1, 2 (A = -0.75)."""
    a = CUBIC_A

    def near(d):  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """``(*, C * r^2, H, W)`` -> ``(*, C, H * r, W * r)``: each group of ``r^2`` channels becomes an
    ``r x r`` block of pixels (sub-pixel convolution). A reshape and a permute."""
    r = _factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    if input.ndim < 3:
        raise ShapeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.ndim}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ShapeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
            f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    k = len(lead)
    out = input.reshape(*lead, c // (r * r), r, r, h, w)
    out = out.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return out.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """``(*, C, H * r, W * r)`` -> ``(*, C * r^2, H, W)``: the inverse of ``pixel_shuffle``."""
    r = _factor(downscale_factor, "downscale_factor", "pixel_unshuffle")
    if input.ndim < 3:
        raise ShapeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with {input.ndim}"
        )
    *lead, c, h, w = input.shape
    for name, value, dim in (("height", h, -2), ("width", w, -1)):
        if value % r:
            raise ShapeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but input.size({dim})={value} "
                f"is not divisible by {r}"
            )
    k = len(lead)
    out = input.reshape(*lead, c, h // r, r, w // r, r)
    out = out.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return out.reshape(*lead, c * r * r, h // r, w // r)


def _factor(value: Any, name: str, op: str) -> int:
    if not hasattr(value, "__index__") or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ArgumentError(f"{op}: {name} must be greater than 0, but got: {value}")
    return operator.index(value)


def upsample(
    input: Tensor,  # noqa: A002
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """PyTorch's deprecated ``F.upsample``: ``interpolate`` under its old name (and its warning)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """PyTorch's deprecated ``F.upsample_nearest``: ``interpolate(mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """PyTorch's deprecated ``F.upsample_bilinear``: ``interpolate(mode='bilinear', align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
