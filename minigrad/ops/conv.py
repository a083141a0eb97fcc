"""The 2-D cross-correlation primitive ("conv2d") and the ways it is computed.

Forward is GEMMs plus copies or adds over the kh*kw kernel offsets (never loops over pixels),
realised in one of two equivalent ways, whichever moves less data for the shapes at hand:

* gather (im2col): copy every receptive field into a column matrix, then GEMM with the
  kernels. The usual way, and the cheaper one when the output is small. Two memory layouts:
  image by image (``correlate_batch_major``, a layer's forward), or channels innermost when
  the kernel is larger than its output (``correlate_channels_last``: dL/dW below).
* scatter (the transposed way, col2im; ``correlate_by_scatter``): one GEMM ``W^T @ x`` gives,
  for every input pixel, its contribution to each of the kh*kw output positions it reaches;
  these patches are summed with one shifted add per kernel offset. Cheaper for a "full"
  convolution (output larger than the input), which is exactly what dL/dX below is.

On the CPU the copies are built a cache-sized block at a time, each consumed by its GEMM
while still in cache (``Backend.conv_block_bytes``).

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
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)  # 3x faster than xp.pad
        padded[:, :, ph : ph + h, pw : pw + w] = x
        x = padded
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    view = backend.sliding_window_view(x, (span_h, span_w), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


class Conv2d(Primitive):
    """Cross-correlation ``out[n, o] = bias[o] + sum_c weight[o, c] * x[n, c]`` (windowed)."""

    name = "conv2d"

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, stride, padding, dilation, groups):
        backend = ctx.backend
        _, c, h, w = x.shape
        out_channels, _, kh, kw = weight.shape
        ho = output_size(h, kh, stride[0], padding[0], dilation[0])
        wo = output_size(w, kw, stride[1], padding[1], dilation[1])
        # A full convolution or nearly: stride 1, the output no smaller than the input, and
        # padded by no more than the kernel's reach.
        full = (
            tuple(stride) == (1, 1)
            and ho >= h
            and wo >= w
            and padding[0] <= dilation[0] * (kh - 1)
            and padding[1] <= dilation[1] * (kw - 1)
        )
        if x.size == 0 or weight.size == 0:
            # An empty batch (or no input channels): nothing to correlate, only the bias.
            out = ctx.xp.zeros((x.shape[0], out_channels, ho, wo), dtype=x.dtype)
        elif full and out_channels * h * w < c * ho * wo:
            # A "full" convolution (dL/dX): the scatter's patches (O*kh*kw per input pixel)
            # are fewer numbers than the gather's columns (C*kh*kw per output pixel).
            out = correlate_by_scatter(backend, x, weight, padding, dilation, groups, (ho, wo))
        elif kw > wo:
            # A kernel wider than the output (the weight gradient's correlation with dy): one
            # long GEMM contracts the kernel's many taps, copied from a channels-last layout.
            out = correlate_channels_last(backend, x, weight, stride, padding, dilation, groups, (ho, wo))
        else:
            out = correlate_batch_major(backend, x, weight, bias, stride, padding, dilation, groups, (ho, wo))
            bias = None  # added block by block, while in cache
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
        # Over the batch first (adding whole contiguous images), then over space: 2x faster
        # than one sum over (0, 2, 3) in NumPy, and as exact.
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


def correlate_batch_major(backend: Any, x, weight, bias, stride, padding, dilation, groups, out_size):
    """The gather realisation (im2col + GEMM), image by image: ``out[n] = kernels @ columns[n]``
    (plus ``bias``, unless it is None). The result is laid out (N, O, Ho, Wo) as it comes.

    ``columns[n]`` (per group: C/G * kh * kw rows, one per kernel tap) is copied out of a
    strided view of the windows: "wide rows" for stride 1 (see ``wide_windows``). The columns
    are built a block of images at a time into one reused buffer that stays in the CPU cache
    while the GEMM reads it (``backend.conv_block_bytes``); all at once on a GPU.
    """
    xp = backend.xp
    n = x.shape[0]
    out_channels, c_g, kh, kw = weight.shape
    o_g = out_channels // groups
    ho, wo = out_size
    if tuple(stride) == (1, 1):
        view, row = wide_windows(backend, x, (kh, kw), padding, dilation)
        view = view.reshape(n, groups, c_g, kh, kw, ho, row)
    else:
        view, row = windows(backend, x, (kh, kw), stride, padding, dilation), wo  # (N, C, Ho, Wo, kh, kw)
        view = view.reshape(n, groups, c_g, ho, wo, kh, kw).transpose(0, 1, 2, 5, 6, 3, 4)
    kernels = weight.reshape(groups, o_g, c_g * kh * kw)
    out = xp.empty((n, out_channels, ho, wo), dtype=x.dtype)
    block = _block_length(backend, n, view[0].size * x.itemsize)
    columns = xp.empty((block, *view.shape[1:]), dtype=x.dtype)  # (B, G, C/G, kh, kw, Ho, row)
    products = xp.empty((block, groups, o_g, ho * row), dtype=x.dtype)
    for start in range(0, n, block):
        stop = min(start + block, n)
        size = stop - start
        columns[:size] = view[start:stop]  # the im2col copy
        xp.matmul(kernels, columns[:size].reshape(size, groups, c_g * kh * kw, ho * row), out=products[:size])
        if bias is not None:  # on the contiguous products: NumPy adds strided arrays ~4x slower
            products[:size] += bias.reshape(groups, o_g, 1)
        out[start:stop] = products[:size].reshape(size, out_channels, ho, row)[..., :wo]  # drop wide rows' ends
    return out


def wide_windows(backend: Any, x, kernel_size, padding, dilation):
    """Stride-1 windows of ``x`` (N, C, H, W) as "wide rows": a VIEW (N, C, kh, kw, Ho, Wp).

    For tap ``(i, j)`` it holds the ``Ho * Wp`` numbers of the zero-padded input (padded width
    ``Wp``) from row ``i*dh``, column ``j*dw`` on, read straight through the row ends. Each
    output row thus gets ``Wp - Wo`` extra values at its end (computed, then dropped), and in
    exchange each tap is ONE contiguous run of the input instead of ``Ho`` runs of ``Wo``:
    NumPy copies it ~3x faster (LeNet's second convolution: 770 -> 520 us). Returns the view
    and ``Wp``, the length of a wide row.
    """
    xp = backend.xp
    n, c, h, w = x.shape
    (kh, kw), (ph, pw), (dh, dw) = kernel_size, padding, dilation
    height, width = h + 2 * ph, w + 2 * pw
    run = (height - dh * (kh - 1)) * width
    # Room for the last tap's run, and for reading taps off a (kh, dh * width) grid below.
    planes = xp.zeros((n, c, kh * dh * width + run), dtype=x.dtype)
    planes[:, :, : height * width].reshape(n, c, height, width)[:, :, ph : ph + h, pw : pw + w] = x
    runs = backend.sliding_window_view(planes, (run,), axis=(2,))  # run starting at every offset
    taps = runs[:, :, : kh * dh * width].reshape(n, c, kh, dh * width, run)[:, :, :, : dw * (kw - 1) + 1 : dw]
    return taps.reshape(n, c, kh, kw, run // width, width), width


def _tap_blocks(kh: int, kw: int, taps: int):
    """Rectangles of at most ``taps`` kernel cells covering a kh x kw kernel, as (rows, columns)
    slices: whole kernel rows when one fits, else pieces of a row (a window row stays a run)."""
    if taps >= kw:
        step = taps // kw
        for top in range(0, kh, step):
            yield slice(top, min(top + step, kh)), slice(0, kw)
        return
    for row in range(kh):
        for left in range(0, kw, taps):
            yield slice(row, row + 1), slice(left, min(left + taps, kw))


def _block_length(backend: Any, length: int, bytes_per_item: int) -> int:
    """How many items (images, kernel taps) to copy before each GEMM: as many as fit in
    ``backend.conv_block_bytes``, at least one; all of them when the backend sets no limit."""
    limit = backend.conv_block_bytes
    if limit is None:
        return length
    return max(1, min(length, limit // max(bytes_per_item, 1)))


def correlate_channels_last(backend: Any, x, weight, stride, padding, dilation, groups, out_size):
    """The gather realisation for a kernel larger than its output (dL/dW's correlation).

    The contraction runs over (kernel row, kernel column, channel) and the output is tiny, so
    copying the windows dominates. With the channels innermost, one window row is a run of
    ``kw * C`` contiguous numbers (``kw`` alone in (N, C, H, W)): NumPy copies long runs
    several times faster. The contraction is cut into blocks of kernel taps (whole kernel rows
    where they fit) whose copy stays in the CPU cache for its GEMM
    (``backend.conv_block_bytes``), and the blocks' products are summed.
    Returns (N, O, Ho, Wo), contiguous.
    """
    xp = backend.xp
    n, c, h, w = x.shape
    out_channels, c_g, kh, kw = weight.shape
    o_g = out_channels // groups
    (ph, pw), (dh, dw), (ho, wo) = padding, dilation, out_size
    image = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)  # (N, H, W, C), zero-padded
    image[:, ph : ph + h, pw : pw + w] = x.transpose(0, 2, 3, 1)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    view = backend.sliding_window_view(image, (span_h, span_w), axis=(1, 2))  # (N, Ho', Wo', C, sh', sw')
    view = view[:, :: stride[0], :: stride[1], :, ::dh, ::dw][:, :ho, :wo]
    view = view.reshape(n, ho, wo, groups, c_g, kh, kw).transpose(3, 0, 1, 2, 5, 6, 4)  # (G, N, Ho, Wo, kh, kw, C/G)
    kernels = xp.ascontiguousarray(weight.reshape(groups, o_g, c_g, kh, kw).transpose(0, 1, 3, 4, 2))
    out = xp.zeros((groups, n * ho * wo, o_g), dtype=x.dtype)
    taps = _block_length(backend, kh * kw, n * ho * wo * c_g * x.itemsize)
    for g in range(groups):
        for rows_of_kernel, columns_of_kernel in _tap_blocks(kh, kw, taps):
            rows = view[g, :, :, :, rows_of_kernel, columns_of_kernel].reshape(n * ho * wo, -1)  # im2col copy
            out[g] += rows @ kernels[g, :, rows_of_kernel, columns_of_kernel].reshape(o_g, -1).T
    out = out.reshape(groups, n, ho, wo, o_g).transpose(1, 0, 4, 2, 3)
    return xp.ascontiguousarray(out).reshape(n, out_channels, ho, wo)


def correlate_by_scatter(backend: Any, x, weight, padding, dilation, groups, out_size):
    """The scatter (transposed, col2im) realisation of a stride-1 cross-correlation whose
    padding is at most ``d * (k - 1)`` (a full convolution, or less).

    ``out[n, o, y, x] = sum_{c,i,j} w[o, c, i, j] * x[n, c, y + d*i - p, x + d*j - p]``, read
    the other way round: input pixel ``(u, v)`` times ``w[:, :, i, j]`` lands on output pixel
    ``(u - d*i + p, v - d*j + p)``. One GEMM gives every pixel's patch (O/G * kh * kw numbers
    per input pixel); one shifted add per kernel offset sums the patches (col2im) into the full
    convolution, ``H + d*(kh-1)`` by ``W + d*(kw-1)``, which is then cropped by ``d*(k-1) - p``.

    Memory layout, so that each shifted add is one long contiguous run per output channel:
    (channel, row, column, batch), with the input's rows widened by zero columns to the full
    width. A shift by ``(a, b)`` is then a shift by ``(a * width + b) * N`` in the flattened
    plane; the zero columns add nothing where a row runs on into the next one.
    """
    xp = backend.xp
    n, c, h, w = x.shape
    out_channels, c_g, kh, kw = weight.shape
    o_g = out_channels // groups
    (ph, pw), (dh, dw), (ho, wo) = padding, dilation, out_size
    full_h, full_w = h + dh * (kh - 1), w + dw * (kw - 1)
    images = xp.zeros((c, h, full_w, n), dtype=x.dtype)  # (C, H, full width, N)
    images[:, :, :w] = x.transpose(1, 2, 3, 0)
    taps = weight.reshape(groups, o_g, c_g, kh * kw).transpose(0, 1, 3, 2).reshape(groups, o_g * kh * kw, c_g)
    patches = taps @ images.reshape(groups, c_g, h * full_w * n)  # (G, O/G * kh * kw, H * full_w * N)
    patches = patches.reshape(out_channels, kh, kw, h * full_w * n)
    run = h * full_w * n
    # One plane per output channel, plus room for the last row's zero columns to run on into.
    planes = xp.zeros((out_channels, full_h * full_w * n + (full_w - w) * n), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            start = (dh * (kh - 1 - i) * full_w + dw * (kw - 1 - j)) * n
            planes[:, start : start + run] += patches[:, i, j]
    full = planes[:, : full_h * full_w * n].reshape(out_channels, full_h, full_w, n)
    top, left = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    out = full[:, top : top + ho, left : left + wo].transpose(3, 0, 1, 2)
    return xp.ascontiguousarray(out)


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
    # gradient is made, and conv2d sees a full convolution (which it computes by scatter).
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
