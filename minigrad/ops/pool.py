"""Pooling: the max-pool primitive and the raw-array arithmetic that average pooling needs.

Max pooling, the reference realisation: the windows (a strided view of the padded input), the
maximum of each, and where it is (PyTorch's flat index ``h * W + w`` into each input plane).
Its gradient routes each window's gradient to the one input that won it, a scatter-add
(``scatter_to_winners``) whose adjoint, and so gradient, reads each window's winning cell
(``gather_winners``): max pooling can be differentiated any number of times. A backend may
compute any of the three faster for the shapes it knows (``backend.kernels``, see
``backends/kernels``); tests pin those realisations to these.

Average pooling needs no primitive: it is a linear map (a box-kernel convolution, or two
averaging matrices), composed in ``nn.functional.pooling``.

Shapes: input ``(N, C, H, W)``; output ``(N, C, Ho, Wo)``. Arguments are validated by
``minigrad.nn.functional.pooling``.
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Primitive


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
    """Windows that tile the (cropped) input exactly, no overlaps and no padding."""
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
    and a NaN always wins (the last of several), as in PyTorch."""

    name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True):
        backend = ctx.backend
        _, _, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        out_size = (pool_output_size(h, kh, sh, ph, dh, ceil_mode), pool_output_size(w, kw, sw, pw, dw, ceil_mode))
        # Every window wholly inside the input (no padding, no partial ceil_mode window).
        inside = (
            ph == pw == 0
            and (out_size[0] - 1) * sh + dh * (kh - 1) < h
            and (out_size[1] - 1) * sw + dw * (kw - 1) < w
        )
        found = None
        if inside and x.size:
            found = backend.kernels.max_pool2d(backend, x, kernel_size, stride, dilation, out_size)
        if found is None:
            values, indices, unreachable = window_maxima(backend, x, kernel_size, stride, padding, dilation, out_size)
        else:
            (values, indices), unreachable = found, None
        ctx.save_for_backward(ctx.constant(indices), None if unreachable is None else ctx.constant(unreachable))
        return (values, indices) if return_indices else values

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        from minigrad.tensor import Tensor

        indices, unreachable = ctx.saved_tensors
        indices = indices._array
        attrs = ctx.attrs
        if unreachable is not None:  # windows with no input cell send their gradient nowhere
            unreachable = unreachable._array
            grad = grad * Tensor._make((~unreachable).astype(grad.dtype), ctx.backend)
            indices = ctx.xp.where(unreachable, 0, indices)
        return ScatterToWinners.apply(
            grad, indices, input_size=ctx.inputs[0].shape[2:], kernel_size=attrs["kernel_size"],
            stride=attrs["stride"], padding=attrs["padding"], dilation=attrs["dilation"],
        )


def window_maxima(backend: Any, x, kernel_size, stride, padding, dilation, out_size):
    """The reference: windows + max. Returns the maxima, their flat indices, and the windows
    that lie wholly in the padding (``None`` when there are none)."""
    xp = backend.xp
    _, _, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel_size, stride, padding, dilation, out_size
    # -inf padding (the lowest integer for integer inputs) never wins; ceil_mode's last window
    # may reach past the padding too.
    bottom = max((ho - 1) * sh + dh * (kh - 1) + 1 - h - ph, 0)
    right = max((wo - 1) * sw + dw * (kw - 1) + 1 - w - pw, 0)
    lowest = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min  # what padding holds
    if ph or pw or bottom or right:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, bottom), (pw, right)), constant_values=lowest)
    # A loop over the kh*kw kernel offsets (never over pixels): each pass compares one strided
    # view of every window at once. The first maximum wins; but a NaN always takes over (the
    # last of several), as in PyTorch's loop ``if (value > max || isnan(value)) max = value``.
    # ``shift`` is where the winner sits in the input, relative to the window's corner.
    values = shift = None
    for i, j, tap in window_taps(x, kernel_size, stride, dilation, (ho, wo)):
        if values is None:
            values, shift = tap, xp.zeros(tap.shape, dtype=xp.int64)
            continue
        better = (tap > values) | xp.isnan(tap)
        values = xp.where(better, tap, values)
        shift = xp.where(better, i * dh * w + j * dw, shift)
    # A kernel of one cell leaves a view of x: the output must be fresh memory.
    values = xp.array(values, order="C", copy=True)
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


def _first_tap(start, dilation):
    """The first position ``start + i * dilation`` that is >= 0 (per window start)."""
    steps = -(start.clip(None, 0) // dilation)  # ceil(max(-start, 0) / dilation)
    return start + steps * dilation


class ScatterToWinners(Primitive):
    """Each window's value added onto the input cell that won it (``indices``, flat per
    plane); every other cell is zero. Overlapping windows that share a winner add up.

    This is max pooling's gradient. It is linear in its input; its adjoint, and so its
    gradient, is ``GatherWinners``. Shapes: ``(N, C, Ho, Wo)`` -> ``(N, C, H, W)``.
    """

    name = "scatter_to_winners"

    @staticmethod
    def forward(ctx, grad, indices, *, input_size, kernel_size, stride, padding, dilation):
        backend = ctx.backend
        geometry = (kernel_size, stride, padding, dilation)
        out = backend.kernels.scatter_to_winners(backend, grad, indices, input_size, *geometry)
        if out is None:
            out = scatter_add_to_winners(backend, grad, indices, input_size)
        ctx.save_for_backward(ctx.constant(indices))
        return out

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        attrs = {key: ctx.attrs[key] for key in ("kernel_size", "stride", "padding", "dilation")}
        return GatherWinners.apply(grad, indices._array, **attrs), None


class GatherWinners(Primitive):
    """Each window reads the input cell that won it (``indices``, flat per plane).
    The adjoint of ``ScatterToWinners``. Shapes: ``(N, C, H, W)`` -> ``(N, C, Ho, Wo)``."""

    name = "gather_winners"

    @staticmethod
    def forward(ctx, x, indices, *, kernel_size, stride, padding, dilation):
        backend = ctx.backend
        out = backend.kernels.gather_winners(backend, x, indices, kernel_size, stride, padding, dilation)
        if out is None:
            out = read_winners(backend, x, indices)
        ctx.save_for_backward(ctx.constant(indices))
        return out

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        attrs = ctx.attrs
        return (
            ScatterToWinners.apply(grad, indices._array, input_size=ctx.inputs[0].shape[2:], **attrs),
            None,
        )


def scatter_add_to_winners(backend: Any, grad, indices, input_size):
    """The reference: one scatter-add of ``grad`` (N, C, Ho, Wo) into the flattened planes."""
    n, c, _, _ = grad.shape
    h, w = input_size
    out = backend.xp.zeros(n * c * h * w, dtype=grad.dtype)
    planes = backend.xp.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    backend.scatter_add(out, ((planes + indices).reshape(-1),), grad.reshape(-1))
    return out.reshape(n, c, h, w)


def read_winners(backend: Any, x, indices):
    """The reference: one gather of ``x`` (N, C, H, W) at ``indices`` from the flattened planes."""
    n, c, h, w = x.shape
    flat = indices.reshape(n * c, -1)
    return backend.xp.take_along_axis(x.reshape(n * c, h * w), flat, axis=1).reshape(indices.shape)


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
