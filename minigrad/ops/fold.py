"""im2col and col2im as differentiable primitives: ``F.unfold`` and ``F.fold``.

``unfold`` copies every receptive field of an image into one column: (N, C, H, W) ->
(N, C * kh * kw, L), L = Ho * Wo windows. It reads the columns from the SAME strided view
(:func:`minigrad.ops.conv.im2col`) that the conv2d primitive multiplies by its kernels, so a
convolution is exactly ``weight.reshape(O, -1) @ unfold(x)`` reshaped to (N, O, Ho, Wo).

``fold`` is its adjoint (col2im): each column is added back onto the window it came from;
where windows overlap, the numbers add up. Each one's backward is the other, so both can be
differentiated any number of times.

Shapes: ``Unfold`` (N, C, H, W) -> (N, C*kh*kw, L); ``Fold`` (N, C*kh*kw, L) -> (N, C, H, W)
with ``(H, W) = output_size``. Arguments are validated by ``minigrad.nn.functional.fold``.
"""

from __future__ import annotations

from minigrad.autograd.function import Primitive
from minigrad.ops import conv as conv_ops
from minigrad.ops.pool import window_taps


class Unfold(Primitive):
    """im2col: every window of the (padded) input as one column, rows ordered (c, i, j)."""

    name = "unfold"

    @staticmethod
    def forward(ctx, x, *, kernel_size, dilation, padding, stride):
        n, c, h, w = x.shape
        (kh, kw) = kernel_size
        ho = conv_ops.output_size(h, kh, stride[0], padding[0], dilation[0])
        wo = conv_ops.output_size(w, kw, stride[1], padding[1], dilation[1])
        view, _ = conv_ops.im2col(ctx.backend, x, kernel_size, stride, padding, dilation)
        columns = ctx.xp.empty((n, c, kh, kw, ho, wo), dtype=x.dtype)  # always a fresh array
        columns[...] = view[..., :wo]  # the im2col copy (wide rows' ends dropped)
        return columns.reshape(n, c * kh * kw, ho * wo)

    @staticmethod
    def backward(ctx, grad):
        _, _, h, w = ctx.inputs[0].shape
        return Fold.apply(grad, output_size=(h, w), **ctx.attrs)


class Fold(Primitive):
    """col2im: add each column back onto its window of an (H, W) image (overlaps add up)."""

    name = "fold"

    @staticmethod
    def forward(ctx, columns, *, output_size, kernel_size, dilation, padding, stride):
        xp = ctx.xp
        n, rows, _ = columns.shape
        (h, w), (kh, kw), (ph, pw) = output_size, kernel_size, padding
        c = rows // (kh * kw)
        ho = conv_ops.output_size(h, kh, stride[0], ph, dilation[0])
        wo = conv_ops.output_size(w, kw, stride[1], pw, dilation[1])
        taps = columns.reshape(n, c, kh, kw, ho, wo)
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=columns.dtype)
        for i, j, cells in window_taps(padded, kernel_size, stride, dilation, (ho, wo)):
            cells += taps[:, :, i, j]  # one tap's cells never overlap each other: no lost adds
        return xp.ascontiguousarray(padded[:, :, ph : ph + h, pw : pw + w])

    @staticmethod
    def backward(ctx, grad):
        attrs = {key: value for key, value in ctx.attrs.items() if key != "output_size"}
        return Unfold.apply(grad, **attrs)

