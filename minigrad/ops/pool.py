"""Pooling: the max-pool primitive and the raw-array arithmetic that average pooling needs.

Max pooling routes each output's gradient to the one input that won its window. The backward
is differentiable (a scatter-add for overlapping windows; for windows that tile the image, the
``scatter_to_winners`` / ``gather_winners`` pair of primitives, each the other's adjoint), so a
max-pool layer can be differentiated twice. Average pooling needs no primitive: it is a linear map (a
box-kernel convolution, or two averaging matrices), composed in ``nn.functional.pooling``.

Shapes: input ``(N, C, H, W)``; output ``(N, C, Ho, Wo)``. Arguments are validated by
``minigrad.nn.functional.pooling``.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from minigrad.autograd.function import Primitive
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
    """Window maxima and, with ``return_indices``, a second (integer) output saying where they
    are: PyTorch's flat index ``h * W + w`` into each input plane. Ties go to the first maximum
    and a NaN always wins, as in PyTorch."""

    name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True):
        _, _, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        ho = pool_output_size(h, kh, sh, ph, dh, ceil_mode)
        wo = pool_output_size(w, kw, sw, pw, dw, ceil_mode)
        if is_tiling((h, w), kernel_size, stride, padding, dilation, ceil_mode):
            values, winner = _tile_maxima(ctx.xp, x, kernel_size, (ho, wo))
            ctx.save_for_backward(ctx.constant(winner), None, None)
            if not return_indices:
                return values
            return values, _tile_indices(ctx.xp, winner, kernel_size, (ho, wo), w)
        values, indices, unreachable = _window_maxima(ctx.xp, x, kernel_size, stride, padding, dilation, (ho, wo))
        ctx.save_for_backward(None, ctx.constant(indices), ctx.constant(unreachable))
        return (values, indices) if return_indices else values

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        winner, indices, unreachable = ctx.saved_tensors
        input_size = ctx.inputs[0].shape
        if winner is not None:
            kernel_size = ctx.attrs["kernel_size"]
            return ScatterToWinners.apply(grad, winner._array, kernel_size=kernel_size, input_size=input_size[2:])
        return _route_by_scatter(ctx, grad, indices._array, unreachable, input_size)


def _tile_maxima(xp, x, kernel_size, out_size):
    """Windows that tile the image: each window's maximum, and which of its taps won
    (``winner = i * kw + j``, a small integer per window instead of an int64 index).

    Each tap (the cell at offset ``(i, j)`` of every window) is copied once into a contiguous
    array: comparing and taking maxima of contiguous arrays is several times faster in NumPy
    than working on the stride-``kw`` views directly.
    """
    kh, kw = kernel_size
    values = winner = None
    for k, tap in enumerate(_tile_taps(x, kernel_size, out_size)):
        if values is None:
            # A copy, always: the maxima are updated in place below, and a tap that happens to
            # be contiguous already (a (H, 1) kernel on one plane) would otherwise be x itself.
            values = xp.array(tap, order="C", copy=True)
            winner = xp.zeros(tap.shape, dtype=xp.int8 if kh * kw < 128 else xp.int64)
            continue
        tap = xp.ascontiguousarray(tap)
        better = (tap > values) | xp.isnan(tap)  # like PyTorch, a NaN always takes the lead
        xp.maximum(values, tap, out=values)  # NaN-propagating, as ``better`` is
        # where(better, k, winner), 2x faster: k is larger than every earlier tap's index.
        xp.maximum(winner, better * winner.dtype.type(k), out=winner)
    return values, winner


def _tile_taps(x, kernel_size, out_size):
    """For each offset ``(i, j)`` in row-major order: the strided (N, C, Ho, Wo) VIEW of the
    cells at that offset in every tile. Rows and columns past the last whole tile are ignored."""
    (kh, kw), (ho, wo) = kernel_size, out_size
    for i, j in product(range(kh), range(kw)):
        yield x[:, :, i : ho * kh : kh, j : wo * kw : kw]


def _tile_indices(xp, winner, kernel_size, out_size, width: int):
    """PyTorch's flat indices ``h * W + w`` from the winning taps of tiling windows."""
    (kh, kw), (ho, wo) = kernel_size, out_size
    corner = (xp.arange(ho).reshape(ho, 1) * kh) * width + xp.arange(wo) * kw
    tap_offset = (xp.arange(kh).reshape(kh, 1) * width + xp.arange(kw)).reshape(-1)
    return corner + tap_offset[winner]


def _window_maxima(xp, x, kernel_size, stride, padding, dilation, out_size):
    """General windows (overlapping, padded, dilated): maxima, flat indices, and the windows
    that lie wholly in the padding (``None`` when there are none)."""
    _, _, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel_size, stride, padding, dilation, out_size
    # -inf padding (the lowest integer for integer inputs) never wins; ceil_mode's last window
    # may reach past the padding too.
    bottom = max((ho - 1) * sh + dh * (kh - 1) + 1 - h - ph, 0)
    right = max((wo - 1) * sw + dw * (kw - 1) + 1 - w - pw, 0)
    lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min  # what padding holds
    if ph or pw or bottom or right:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, bottom), (pw, right)), constant_values=lowest)
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
    # A kernel of one cell leaves a view of x: the output must be fresh memory.
    values = xp.array(values, order="C", copy=True) if kh * kw == 1 else xp.ascontiguousarray(values)
    corner = (xp.arange(ho).reshape(ho, 1) * sh - ph) * w + xp.arange(wo) * sw - pw
    indices = corner + shift
    unreachable = None
    stuck = values == lowest
    if (ph or pw) and stuck.any():
        # Nothing beat the -inf padding: PyTorch points at the window's first input cell,
        # and drops the gradient of a window that (dilated) lies wholly in the padding.
        first_row = _first_tap(xp.arange(ho) * sh - ph, dh).reshape(ho, 1)
        first_col = _first_tap(xp.arange(wo) * sw - pw, dw)
        indices = xp.where(stuck, first_row * w + first_col, indices)
        unreachable = stuck & ~((first_row < h) & (first_col < w))
        unreachable = unreachable if unreachable.any() else None
    return values, indices, unreachable


class ScatterToWinners(Primitive):
    """Windows that tile the image: each window's value goes to the cell that won the window
    (``winner``, the tap index ``i * kw + j`` per window); every other cell gets zero.

    This is max pooling's gradient for tiling windows. It is linear in its input; its adjoint,
    and so its gradient, is ``GatherWinners`` (read each window's winning cell).
    Shapes: ``(N, C, Ho, Wo)`` -> ``(N, C, H, W)``.
    """

    name = "scatter_to_winners"

    @staticmethod
    def forward(ctx, grad, winner, *, kernel_size, input_size):
        xp = ctx.xp
        n, c, _, _ = grad.shape
        h, w = input_size
        (kh, kw), (ho, wo) = kernel_size, grad.shape[2:]
        # Rows and columns past the last whole tile never win: they must be zeros.
        whole = h == ho * kh and w == wo * kw
        out = (xp.empty if whole else xp.zeros)((n, c, h, w), dtype=grad.dtype)
        # One pass per tap, written straight into the image through a strided view (no
        # broadcast of the gradient over a (..., kh, ..., kw) array, whose innermost loop would
        # be only kw long).
        for k, cells in enumerate(_tile_taps(out, kernel_size, (ho, wo))):
            xp.multiply(grad, winner == k, out=cells)
        ctx.save_for_backward(ctx.constant(winner))
        return out

    @staticmethod
    def backward(ctx, grad):
        (winner,) = ctx.saved_tensors
        return GatherWinners.apply(grad, winner._array, kernel_size=ctx.attrs["kernel_size"]), None


class GatherWinners(Primitive):
    """Windows that tile the image: each window reads the cell that won it (``winner``).
    The adjoint of ``ScatterToWinners``. Shapes: ``(N, C, H, W)`` -> ``(N, C, Ho, Wo)``."""

    name = "gather_winners"

    @staticmethod
    def forward(ctx, x, winner, *, kernel_size):
        xp = ctx.xp
        out = xp.zeros(winner.shape, dtype=x.dtype)
        for k, tap in enumerate(_tile_taps(x, kernel_size, winner.shape[2:])):
            out = xp.where(winner == k, tap, out)  # not tap * mask: a NaN elsewhere stays out
        ctx.save_for_backward(ctx.constant(winner))
        return out

    @staticmethod
    def backward(ctx, grad):
        (winner,) = ctx.saved_tensors
        input_size = ctx.inputs[0].shape[2:]
        return (
            ScatterToWinners.apply(grad, winner._array, kernel_size=ctx.attrs["kernel_size"], input_size=input_size),
            None,
        )


def _first_tap(start, dilation):
    """The first position ``start + i * dilation`` that is >= 0 (per window start)."""
    steps = -(start.clip(None, 0) // dilation)  # ceil(max(-start, 0) / dilation)
    return start + steps * dilation


def _route_by_scatter(ctx, grad, indices, unreachable, shape):
    """Windows may overlap (one input wins several windows): a scatter-add into the planes."""
    from minigrad.tensor import Tensor

    n, c, h, w = shape
    xp = ctx.xp
    if unreachable is not None:  # windows with no input cell send their gradient nowhere
        grad = grad * Tensor._make((~unreachable._array).astype(grad.dtype), ctx.backend)
        indices = xp.where(unreachable._array, 0, indices)
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
