"""Pooling: the max-pool primitive and the raw-array arithmetic that average pooling needs.

Max pooling routes each output's gradient to the one input that won its window. The backward
is written with Tensor ops (a differentiable scatter, or a mask times a reshape), so a max-pool
layer can be differentiated twice. Average pooling needs no primitive: it is a linear map (a
box-kernel convolution, or two averaging matrices), composed in ``nn.functional.pooling``.

Shapes: input ``(N, C, H, W)``; output ``(N, C, Ho, Wo)``. Arguments are validated by
``minigrad.nn.functional.pooling``.
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Primitive
from minigrad.ops.conv import pad_or_crop
from minigrad.ops.shape import IndexAddInto


def pool_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """PyTorch's pooling arithmetic; ``ceil_mode`` keeps a last, partial window if it starts
    inside the input or its left padding."""
    span = dilation * (kernel - 1) + 1
    numerator = size + 2 * padding - span + (stride - 1 if ceil_mode else 0)
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def is_tiling(size: tuple[int, int], kernel, stride, padding, dilation, ceil_mode: bool) -> bool:
    """Windows that tile the (cropped) input exactly, so the gradient is a reshape, no scatter."""
    return (
        tuple(kernel) == tuple(stride)
        and tuple(padding) == (0, 0)
        and tuple(dilation) == (1, 1)
        and (not ceil_mode or all(n % k == 0 for n, k in zip(size, kernel)))
    )


def window_taps(x: Any, kernel_size, stride, dilation, out_size):
    """For each kernel offset ``(i, j)``: ``(i, j, view)`` with the (N, C, Ho, Wo) strided VIEW
    of the cells that offset sees in every window, ``x[..., i*d + ho*s, j*d + wo*s]``. No copies."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel_size, stride, dilation, out_size
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
            yield i, j, x[:, :, rows, cols]


class MaxPool2d(Primitive):
    """Window maxima and, as a second (integer) output, where they are: PyTorch's flat index
    ``h * W + w`` into each input plane. Ties go to the first maximum, as in PyTorch."""

    name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, dilation, ceil_mode):
        xp = ctx.xp
        _, _, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        ho = pool_output_size(h, kh, sh, ph, dh, ceil_mode)
        wo = pool_output_size(w, kw, sw, pw, dw, ceil_mode)
        # -inf padding never wins; ceil_mode's last window may reach past the padding too.
        bottom = max((ho - 1) * sh + dh * (kh - 1) + 1 - h - ph, 0)
        right = max((wo - 1) * sw + dw * (kw - 1) + 1 - w - pw, 0)
        if ph or pw or bottom or right:
            x = xp.pad(x, ((0, 0), (0, 0), (ph, bottom), (pw, right)), constant_values=-xp.inf)
        # A loop over the kh*kw kernel offsets (never over pixels): each pass compares one
        # strided view of every window at once. Like PyTorch, a NaN always takes the lead.
        # ``shift`` is where the winner sits in the input, relative to the window's corner.
        values = shift = None
        for i, j, tap in window_taps(x, kernel_size, stride, dilation, (ho, wo)):
            if values is None:
                values, shift = tap, xp.zeros(tap.shape, dtype=xp.int64)
                continue
            better = (tap > values) | xp.isnan(tap)
            values = xp.maximum(values, tap)  # NaN-propagating, as ``better`` is
            shift += better * (i * dh * w + j * dw - shift)  # where(better, new, shift), faster
        values = xp.ascontiguousarray(values)  # a kernel of one cell leaves a view of x
        corner = (xp.arange(ho).reshape(ho, 1) * sh - ph) * w + xp.arange(wo) * sw - pw
        indices = corner + shift
        unreachable = None
        stuck = values == -xp.inf
        if (ph or pw) and stuck.any():
            # Nothing beat the -inf padding: PyTorch points at the window's first input cell,
            # and drops the gradient of a window that (dilated) lies wholly in the padding.
            first_row = _first_tap(xp.arange(ho) * sh - ph, dh).reshape(ho, 1)
            first_col = _first_tap(xp.arange(wo) * sw - pw, dw)
            indices = xp.where(stuck, first_row * w + first_col, indices)
            unreachable = stuck & ~((first_row < h) & (first_col < w))
            unreachable = unreachable if unreachable.any() else None
        tiling = is_tiling((h, w), kernel_size, stride, padding, dilation, ceil_mode)
        ctx.save_for_backward(shift if tiling else None, indices, unreachable)
        return values, indices

    @staticmethod
    def backward(ctx, grad, _grad_indices):
        shift, indices, unreachable = ctx.saved_tensors
        if shift is not None:
            return _route_to_tiles(ctx, grad, shift.data, ctx.input_meta[0][0])
        return _route_by_scatter(ctx, grad, indices.data, unreachable, ctx.input_meta[0][0])


def _first_tap(start, dilation):
    """The first position ``start + i * dilation`` that is >= 0 (per window start)."""
    steps = -(start.clip(None, 0) // dilation)  # ceil(max(-start, 0) / dilation)
    return start + steps * dilation


def _route_to_tiles(ctx, grad, shift, shape):
    """Windows do not overlap: spread each gradient over its window (a broadcast, no copy),
    keep it only where the window's winner is (a one-hot mask), and the result is already laid
    out as the image."""
    from minigrad.tensor import Tensor

    n, c, h, w = shape
    kh, kw = ctx.attrs["kernel_size"]
    _, _, ho, wo = grad.shape
    xp = ctx.xp
    cell = (xp.arange(kh).reshape(kh, 1, 1) * w + xp.arange(kw)).reshape(1, 1, 1, kh, 1, kw)
    one_hot = (shift.reshape(n, c, ho, 1, wo, 1) == cell).astype(grad.dtype)
    spread = grad.reshape(n, c, ho, 1, wo, 1).expand(n, c, ho, kh, wo, kw)
    image = (spread * Tensor._make(one_hot, ctx.backend)).reshape(n, c, ho * kh, wo * kw)
    return pad_or_crop(image, [(0, h - ho * kh), (0, w - wo * kw)])  # rows the tiling dropped


def _route_by_scatter(ctx, grad, indices, unreachable, shape):
    """Windows may overlap (one input wins several windows): a scatter-add into the planes."""
    from minigrad.tensor import Tensor

    n, c, h, w = shape
    xp = ctx.xp
    if unreachable is not None:  # windows with no input cell send their gradient nowhere
        grad = grad * Tensor._make((~unreachable.data).astype(grad.dtype), ctx.backend)
        indices = xp.where(unreachable.data, 0, indices)
    planes = xp.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    flat = (planes + indices).reshape(-1)
    routed = IndexAddInto.apply(grad.reshape(-1), shape=(n * c * h * w,), key=(flat,))
    return routed.reshape(shape)


def average_divisor(size: int, kernel: int, stride: int, padding: int, out: int, count_include_pad: bool, xp):
    """Per-output divisor along one axis for ``avg_pool2d``, by PyTorch's rule.

    A window counts the padding it covers (``count_include_pad``) but never the part past the
    padding that ``ceil_mode`` adds; without ``count_include_pad`` it counts input cells only.
    """
    start = xp.arange(out) * stride - padding
    end = xp.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return xp.minimum(end, size) - xp.maximum(start, 0)


def adaptive_matrix(size: int, out: int, dtype: Any, xp) -> Any:
    """(out, size) averaging matrix: row ``i`` averages ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    i = xp.arange(out).reshape(out, 1)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    position = xp.arange(size).reshape(1, size)
    inside = (position >= start) & (position < end)
    return (inside / (end - start)).astype(dtype)
