"""The 2-D cross-correlation primitive ("conv2d"): what it computes, and its backward.

Forward, the reference realisation: im2col + ONE GEMM. Every receptive field of the padded
input is copied into a column (rows ``(c, i, j)``, one per kernel tap), and the kernels,
reshaped to (O, C * kh * kw), multiply the column matrix. A backend may compute the same
result another way for the shapes where that pays (``backend.kernels.conv2d``, see
``backends/kernels``); tests pin each such realisation to this one.

Backward is the two duality rules of convolution, written with the SAME primitive, so
gradients of gradients come for free:

* dL/dW is the cross-correlation of the input with the upstream gradient (batch and channel
  axes swapped so the batch is the contracted axis; stride and dilation swap roles);
* dL/dX is the full convolution of the upstream gradient with the kernel: the cross-correlation
  of the stride-dilated, padded upstream gradient with the 180-degree-flipped kernel, input and
  output channels swapped;
* dL/db is the upstream gradient summed over batch and space.

Shapes: input ``(N, C, H, W)``, weight ``(O, C // groups, kh, kw)``, bias ``(O,)``, output
``(N, O, Ho, Wo)`` with ``Ho = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1`` (same for W).
Arguments are validated by ``minigrad.nn.functional.conv``; this file trusts them.
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Primitive


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """``floor((size + 2p - d(k-1) - 1) / s) + 1``: how many windows fit along one axis."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def windows(backend: Any, x: Any, kernel_size, stride, padding, dilation):
    """All receptive fields of ``x`` (N, C, H, W) as a strided VIEW (N, C, Ho, Wo, kh, kw).

    No data is copied except the zero padding: the view reads each window straight out of the
    padded input (dilation and stride are steps of the view).
    """
    xp = backend.xp
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    if ph or pw:
        n, c, h, w = x.shape
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        padded[:, :, ph : ph + h, pw : pw + w] = x
        x = padded
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    view = backend.sliding_window_view(x, (span_h, span_w), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def im2col(backend: Any, x, kernel_size, stride, padding, dilation):
    """The receptive fields of ``x`` (N, C, H, W) laid out as columns: a strided VIEW
    (N, C, kh, kw, Ho, Wo), and ``Wo`` (the length of a row of columns).

    Entry ``[n, c, i, j, y, v]`` is the (zero-padded) input pixel that kernel tap ``(i, j)``
    multiplies in the window of output ``(y, v)``; read as a matrix, rows ``(c, i, j)`` by columns
    ``(y, v)``, it is the im2col matrix, and the convolution is ONE GEMM with the kernels
    reshaped to (O, C * kh * kw).

    The conv2d primitive's reference realisation and ``F.unfold`` both read their columns from
    here: what a student sees as the column matrix is what the convolution multiplies.
    """
    view = windows(backend, x, kernel_size, stride, padding, dilation)  # (N, C, Ho, Wo, kh, kw)
    return view.transpose(0, 1, 4, 5, 2, 3), view.shape[3]


def correlate(backend: Any, x, weight, stride, padding, dilation, groups: int, out_size):
    """The reference realisation: im2col, then one GEMM per group. Returns (N, O, Ho, Wo).

    ``columns[g]`` holds group ``g``'s taps as rows ``(c, i, j)`` and every output pixel of
    every image as columns ``(n, y, v)``; ``kernels[g] @ columns[g]`` is the whole convolution.
    """
    xp = backend.xp
    n = x.shape[0]
    out_channels, c_g, kh, kw = weight.shape
    ho, wo = out_size
    view, _ = im2col(backend, x, (kh, kw), stride, padding, dilation)  # (N, C, kh, kw, Ho, Wo)
    columns = view.transpose(1, 2, 3, 0, 4, 5).reshape(groups, c_g * kh * kw, n * ho * wo)  # the copy
    kernels = weight.reshape(groups, out_channels // groups, c_g * kh * kw)
    products = kernels @ columns  # (G, O/G, N * Ho * Wo)
    return xp.ascontiguousarray(products.reshape(out_channels, n, ho, wo).transpose(1, 0, 2, 3))


class Conv2d(Primitive):
    """Cross-correlation ``out[n, o] = bias[o] + sum_c weight[o, c] * x[n, c]`` (windowed)."""

    name = "conv2d"

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation, groups):
        backend = ctx.backend
        _, _, h, w = x.shape
        out_channels, _, kh, kw = weight.shape
        out_size = (
            output_size(h, kh, stride[0], padding[0], dilation[0]),
            output_size(w, kw, stride[1], padding[1], dilation[1]),
        )
        if x.size == 0 or weight.size == 0:
            # An empty batch (or no input channels): nothing to correlate, only the bias.
            out = ctx.xp.zeros((x.shape[0], out_channels, *out_size), dtype=x.dtype)
            if bias is not None:
                out += bias.reshape(out_channels, 1, 1)
        else:
            out = backend.kernels.conv2d(backend, x, weight, bias, stride, padding, dilation, groups, out_size)
            if out is None:  # no fast realisation for these shapes
                out = correlate(backend, x, weight, stride, padding, dilation, groups, out_size)
                if bias is not None:
                    out += bias.reshape(out_channels, 1, 1)
        ctx.save_for_backward(ctx.input(0), ctx.input(1))
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        attrs = ctx.attrs
        grad_x = input_gradient(grad, weight, x.shape, **attrs) if needs_x else None
        grad_weight = weight_gradient(x, grad, weight.shape, **attrs) if needs_weight else None
        # Over the batch first (adding whole contiguous images), then over space.
        grad_bias = grad.sum(0).sum((1, 2)) if needs_bias else None
        return grad_x, grad_weight, grad_bias


def conv2d(x, weight, bias=None, *, stride, padding, dilation, groups):
    """Call the primitive on Tensors with normalised ``(h, w)`` pairs (no validation)."""
    return Conv2d.apply(
        x,
        weight,
        bias,
        stride=tuple(stride),
        padding=tuple(padding),
        dilation=tuple(dilation),
        groups=groups,
    )


def weight_gradient(x, grad, weight_shape, *, stride, padding, dilation, groups):
    """Duality rule 1: dL/dW = cross-correlation of the padded input with the upstream gradient.

    ``W[o, c, i, j] = sum_{n, y, x} grad[n, o, y, x] * x_pad[n, c, y*s + i*d, x*s + j*d]``. Read
    with the batch as the channel axis, that is a cross-correlation of ``x`` laid out as
    (C, N, H, W) with the "kernels" ``grad`` laid out as (O, N, Ho, Wo), stride and dilation
    swapped. Group ``g``'s kernels only see group ``g``'s input channels, which is exactly the
    grouped convolution of ``x`` as (C/G, G*N, H, W) with ``grad`` as (G*O/G, N, Ho, Wo).
    """
    n, c, h, w = x.shape
    _, o, ho, wo = grad.shape
    c_g, o_g = c // groups, o // groups
    if groups == 1:  # the same layouts, in one op each instead of three
        images, kernels = x.transpose(0, 1), grad.transpose(0, 1)
    else:
        images = x.reshape(n, groups, c_g, h, w).permute(2, 1, 0, 3, 4).reshape(c_g, groups * n, h, w)
        kernels = grad.reshape(n, groups, o_g, ho, wo).permute(1, 2, 0, 3, 4).reshape(o, n, ho, wo)
    correlation = conv2d(images, kernels, stride=dilation, padding=padding, dilation=stride, groups=groups)
    # The window can fit a few more times than the kernel size when stride > dilation: crop.
    kh, kw = weight_shape[2], weight_shape[3]
    if tuple(correlation.shape[2:]) != (kh, kw):
        correlation = correlation[:, :, :kh, :kw]
    return correlation.transpose(0, 1)  # (C/G, O, kh, kw) -> (O, C/G, kh, kw)


def input_gradient(grad, weight, input_shape, *, stride, padding, dilation, groups):
    """Duality rule 2: dL/dX = full convolution of the upstream gradient with the kernel.

    As a cross-correlation: insert ``stride - 1`` zeros between the rows and columns of
    ``grad`` (undoing the stride), pad it by ``d*(k-1) - p`` (plus, at the end, the rows the
    forward stride dropped), and cross-correlate with the kernel flipped by 180 degrees and with
    its input and output channels swapped (within each group).
    """
    _, _, h, w = input_shape
    o, c_g, kh, kw = weight.shape
    o_g = o // groups
    dilated = insert_zeros(grad, stride)
    full = []
    for size, dilated_size, k, p, d in zip((h, w), dilated.shape[2:], (kh, kw), padding, dilation):
        before = d * (k - 1) - p
        # The full convolution spans size + d*(k-1) positions, so its stride-1 output is `size`.
        full.append((before, size + d * (k - 1) - dilated_size - before))
    # The zero frame both sides share is the convolution's own padding: no padded copy of the
    # gradient is made, and conv2d sees a full convolution (which a backend may compute by
    # scatter, see backends/kernels).
    shared = tuple(max(min(before, after), 0) for before, after in full)
    padded = pad_or_crop(dilated, [(before - s, after - s) for (before, after), s in zip(full, shared)])
    flipped = weight[:, :, ::-1, ::-1]
    if groups == 1:  # the same swap, in one op instead of three
        swapped = flipped.transpose(0, 1)
    else:
        swapped = flipped.reshape(groups, o_g, c_g, kh, kw).transpose(1, 2).reshape(groups * c_g, o_g, kh, kw)
    return conv2d(padded, swapped, stride=(1, 1), padding=shared, dilation=dilation, groups=groups)


def insert_zeros(grad, stride):
    """Put ``s - 1`` zeros between neighbouring rows (and columns): (Ho, Wo) -> (s(Ho-1)+1, ...).

    Differentiable: a reshape that gives each row its own axis, a zero pad of that axis to
    length ``s``, and a reshape back (the trailing zeros are cropped).
    """
    sh, sw = stride
    if sh == 1 and sw == 1:
        return grad
    n, o, ho, wo = grad.shape
    spread = grad.reshape(n, o, ho, 1, wo, 1)
    spread = pad_or_crop(spread, [(0, sh - 1), (0, 0), (0, sw - 1)], first_axis=3)
    spread = spread.reshape(n, o, ho * sh, wo * sw)
    return spread[:, :, : sh * (ho - 1) + 1, : sw * (wo - 1) + 1]


def pad_or_crop(t, widths, first_axis: int = 2):
    """Zero-pad (positive width) or crop (negative width) the axes from ``first_axis`` on.

    ``widths`` holds one ``(before, after)`` pair per axis. Differentiable: a slice, then a
    constant pad.
    """
    from minigrad.ops.shape import ConstantPad

    crop = [slice(None)] * first_axis
    pad = [(0, 0)] * first_axis
    for axis, (before, after) in enumerate(widths, start=first_axis):
        size = t.shape[axis]
        crop.append(slice(max(-before, 0), size - max(-after, 0)))
        pad.append((max(before, 0), max(after, 0)))
    if any(s.start or s.stop != t.shape[i] for i, s in enumerate(crop) if i >= first_axis):
        t = t[tuple(crop)]
    if any(before or after for before, after in pad):
        t = ConstantPad.apply(t, widths=tuple(pad), value=0.0)
    return t
