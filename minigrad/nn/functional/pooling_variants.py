"""More poolings: ``F.max_pool1d`` / ``F.avg_pool1d`` (the 2-D ones at height 1),
``F.lp_pool1d`` / ``F.lp_pool2d`` (a power mean over each window, from ``avg_pool``), and
``F.max_unpool1d`` / ``F.max_unpool2d`` (max pooling's partial inverse: each value written back
at the position its index names, zeros elsewhere).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from minigrad.errors import ArgumentError, ShapeError
from minigrad.nn.functional.conv import _pair
from minigrad.nn.functional.pooling import avg_pool2d, max_pool2d
from minigrad.tensor import Tensor

IntOrTuple = int | Sequence[int]


def _single(value: Any, name: str, op: str) -> int:
    return _pair(value, name, op, 1)[0]


def _as_2d(input: Any, op: str) -> Tensor:  # noqa: A002
    """``(N, C, L)`` -> ``(N, C, 1, L)`` and ``(C, L)`` -> ``(C, 1, L)``: a 1-D pooling is the 2-D
    one at height 1."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a minigrad.Tensor, got {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise ShapeError(
            f"{op}: expected a 3-D input (N, C, L) or 2-D unbatched (C, L), got shape {tuple(input.shape)}"
        )
    return input.unsqueeze(-2)


def max_pool1d(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over each (dilated) window of ``(N, C, L)``; the indices are positions in L."""
    op = "max_pool1d"
    kernel = _single(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () or stride == [] else _single(stride, "stride", op)
    out = max_pool2d(
        _as_2d(input, op),
        (1, kernel),
        (1, stride),
        (0, _single(padding, "padding", op)),
        (1, _single(dilation, "dilation", op)),
        ceil_mode,
        return_indices,
    )
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(
    input: Tensor,  # noqa: A002
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over each window of ``(N, C, L)`` (zero padding), PyTorch's ``F.avg_pool1d``."""
    op = "avg_pool1d"
    kernel = _single(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () or stride == [] else _single(stride, "stride", op)
    out = avg_pool2d(
        _as_2d(input, op), (1, kernel), (1, stride), (0, _single(padding, "padding", op)), ceil_mode, count_include_pad
    )
    return out.squeeze(-2)


def lp_pool2d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """``(sum over the window of x ** p) ** (1 / p)``: ``p = 1`` is sum pooling, ``p -> inf`` max
    pooling. As PyTorch: ``(avg_pool2d(x ** p) * kH * kW) ** (1 / p)`` (a negative window sum, odd
    ``p`` and negative inputs, gives NaN there, as in PyTorch)."""
    kh, kw = _pair(kernel_size, "kernel_size", "lp_pool2d")
    mean = avg_pool2d(input**norm_type, (kh, kw), stride, 0, ceil_mode)
    return (mean * (kh * kw)) ** (1.0 / norm_type)


def lp_pool1d(
    input: Tensor,  # noqa: A002
    norm_type: float,
    kernel_size: int,
    stride: IntOrTuple | None = None,
    ceil_mode: bool = False,
) -> Tensor:
    """The power-mean pooling of ``lp_pool2d`` over ``(N, C, L)``."""
    kernel = _single(kernel_size, "kernel_size", "lp_pool1d")
    mean = avg_pool1d(input**norm_type, kernel, stride, 0, ceil_mode)
    return (mean * kernel) ** (1.0 / norm_type)


def unpool_output_size(
    input_size: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    output_size: Sequence[int] | None,
    op: str,
) -> tuple[int, ...]:
    """PyTorch's rule: ``(in - 1) * s - 2p + k`` per axis, or ``output_size`` (its last dims),
    which must lie within ``stride`` of that default (the sizes max pooling maps to ``in``)."""
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip(input_size, kernel, stride, padding))
    if output_size is None:
        return default
    spatial = len(default)
    wanted = tuple(operator.index(s) for s in output_size)
    if len(wanted) == spatial + 2:
        wanted = wanted[2:]
    if len(wanted) != spatial:
        raise ValueError(
            f"{op}: output_size should be a sequence containing {spatial} or {spatial + 2} elements, "
            f"but it has a length of '{len(wanted)}'"
        )
    for size, base, s in zip(wanted, default, stride):
        if not base - s < size < base + s:
            raise ValueError(
                f"{op}: invalid output_size {list(wanted)} (dim {size} must be between {base - s} and {base + s})"
            )
    return wanted


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, spatial: int, op: str) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor) or not isinstance(indices, Tensor):
        raise TypeError(f"{op}: input and indices must be minigrad Tensors")
    if input.ndim not in (spatial + 1, spatial + 2):
        raise ShapeError(f"{op}: expected a {spatial + 2}-D or {spatial + 1}-D input, got shape {tuple(input.shape)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise ShapeError(
            f"{op}: Expected shape of indices to be same as that of the input tensor ({tuple(input.shape)}) but "
            f"got indices tensor with shape: {tuple(indices.shape)}"
        )
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be an integer tensor (int64, as max_pool returns), got {indices.dtype}")
    kernel = _pair(kernel_size, "kernel_size", op, spatial)
    stride = kernel if stride is None else _pair(stride, "stride", op, spatial)
    padding = _pair(padding, "padding", op, spatial)
    batched = input.ndim == spatial + 2
    x = input if batched else input.unsqueeze(0)
    index = indices._array if batched else indices._array[None]
    n, c = x.shape[:2]
    out_size = unpool_output_size(x.shape[2:], kernel, stride, padding, output_size, op)
    plane = 1
    for size in out_size:
        plane *= size
    xp = x.backend.xp
    if index.size and (int(index.min()) < 0 or int(index.max()) >= plane):
        raise ArgumentError(
            f"{op}: Found an invalid max index: {int(index.max()) if int(index.max()) >= plane else int(index.min())} "
            f"(output volumes are of size {'x'.join(map(str, out_size))})"
        )
    flat = (index.reshape(n * c, -1) + (xp.arange(n * c) * plane)[:, None]).reshape(-1)
    out = x.new_zeros(n * c * plane)
    out[flat] = x.reshape(-1)  # a recorded index_put: the gradient of x gathers dL/dout at the indices
    out = out.reshape(n, c, *out_size)
    return out if batched else out.squeeze(0)


def max_unpool2d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """``(N, C, H, W)`` values and their ``max_pool2d`` indices -> ``(N, C, Ho, Wo)`` with each
    value at its index (``h * Wo + w``), zeros elsewhere; ``Ho = (H - 1) s - 2p + k``."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool1d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """The 1-D ``max_unpool2d``: ``(N, C, L)`` -> ``(N, C, (L - 1) s - 2p + k)``."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool3d(
    input: Tensor,  # noqa: A002
    indices: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """The 3-D ``max_unpool2d``: ``max_pool3d``'s values back at their indices ``d*H*W + h*W + w``."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")
