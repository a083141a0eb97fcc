"""Fast realisations written against the array module ``xp``: NumPy on the CPU, CuPy on a GPU.

Convolution, chosen by shape among three layouts that compute the same cross-correlation:

* **gather in blocks of images** (:func:`correlate_in_blocks`): the im2col columns of a block
  of images, side by side, are copied into one reused buffer and multiplied by ONE GEMM (a
  wide one: a GEMM per image has too few columns to run at speed); for stride 1 through "wide
  rows" (:func:`wide_windows`), which make each kernel tap one contiguous run of the input.
* **gather, channels last** (:func:`correlate_channels_last`), for a kernel larger than its
  output (the weight gradient's correlation with ``dy``): a window row is then a run of
  ``kw * C`` contiguous numbers; the long contraction is cut into blocks of kernel taps (whole
  kernel rows where they fit, else pieces of a row) whose products are summed.
* **scatter** (:func:`correlate_by_scatter`, col2im), for a "full" convolution (the input
  gradient): one GEMM gives every input pixel's patch, one shifted add per kernel offset sums
  the patches; fewer numbers than the gather's columns when the output is the larger side.
  Large batches run a block of images at a time.

Max pooling over windows that tile the image: one pass per kernel tap over contiguous copies.

``block_bytes`` is how much a block of copies may take (None: everything at once, what a GPU
wants). Shapes and arguments as in :class:`~minigrad.backends.kernels.Kernels`.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from minigrad.backends.kernels import Kernels


class ArrayKernels(Kernels):
    """Shape-chosen convolution layouts and tiling max pooling, for any NumPy-like ``xp``."""

    name = "array"

    def __init__(self, block_bytes: int | None = None) -> None:
        self.block_bytes = block_bytes

    def __repr__(self) -> str:
        return f"<{type(self).__name__} block_bytes={self.block_bytes}>"

    # --- convolution --------------------------------------------------------------------------
    def conv2d(self, backend, x, weight, bias, stride, padding, dilation, groups, out_size):
        layout = self.conv2d_layout(x.shape, weight.shape, stride, padding, dilation, out_size, x.itemsize)
        if layout == "scatter":
            out = correlate_by_scatter(backend, x, weight, padding, dilation, groups, out_size,
                                       self.scatter_block_bytes(x.shape, weight.shape, dilation, x.itemsize))
        elif layout == "channels_last":
            out = correlate_channels_last(backend, x, weight, stride, padding, dilation, groups, out_size,
                                          self.channels_last_block_bytes())
        elif layout == "blocks":
            return correlate_in_blocks(backend, x, weight, bias, stride, padding, dilation, groups, out_size,
                                       self.gather_block_bytes())
        else:
            return None
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return out

    def conv2d_layout(self, x_shape, weight_shape, stride, padding, dilation, out_size, itemsize: int) -> str | None:
        """Which realisation suits these shapes: ``"scatter"``, ``"channels_last"``,
        ``"blocks"``, or None (the reference's one GEMM is what this layout would do)."""
        n, c, h, w = x_shape
        out_channels, c_g, kh, kw = weight_shape
        ho, wo = out_size
        # A full convolution or nearly: stride 1, the output no smaller than the input, and
        # padded by no more than the kernel's reach.
        full = (
            tuple(stride) == (1, 1)
            and ho >= h
            and wo >= w
            and padding[0] <= dilation[0] * (kh - 1)
            and padding[1] <= dilation[1] * (kw - 1)
        )
        if full and out_channels * h * w < c * ho * wo:
            # The scatter's patches (O*kh*kw per input pixel) are fewer numbers than the
            # gather's columns (C*kh*kw per output pixel).
            return "scatter"
        if kw > wo:
            return "channels_last"
        if self.block_bytes is not None and n * c * kh * kw * ho * wo * itemsize > self.block_bytes:
            return "blocks"  # columns larger than one block: copy them a block at a time
        return None

    def gather_block_bytes(self) -> int | None:
        """The gather's block of columns (None: the whole batch at once): 8 copy blocks, as the
        block's one GEMM runs faster the more images it takes side by side (4 MiB went fastest
        for LeNet's conv2 at batch 16-256 among 0.5-4 MiB and no limit)."""
        return None if self.block_bytes is None else 8 * self.block_bytes

    def channels_last_block_bytes(self) -> int | None:
        """The channels-last gather's block of copied window rows: 2 copy blocks, as each block's
        GEMM contracts over more kernel taps (1 MiB: LeNet's conv2 weight gradient ~10% faster
        than 0.5 MiB at batch 64 and 256; 4 MiB, ~17%, would raise batch 64's peak memory above
        PyTorch's)."""
        return None if self.block_bytes is None else 2 * self.block_bytes

    def scatter_block_bytes(self, x_shape, weight_shape, dilation, itemsize: int) -> int | None:
        """The scatter's run of images (None: the whole batch at once). Patches of a batch of
        up to 16 gather blocks (LeNet's conv2 at batch 64: 5.4 MB) went fastest in one run;
        beyond that (batch 256: 21 MB) they fall out of cache, and runs of about 4 blocks won
        (smaller runs make too many small GEMMs and adds)."""
        if self.block_bytes is None:
            return None
        n, _, h, w = x_shape
        out_channels, _, kh, kw = weight_shape
        patches = n * out_channels * kh * kw * h * (w + dilation[1] * (kw - 1)) * itemsize
        return None if patches <= 16 * self.block_bytes else 4 * self.block_bytes

    # --- ReLU's backward -----------------------------------------------------------------------
    def threshold_backward(self, backend, grad, out):
        if backend.type != "cpu" or not grad.ndim:
            return None  # a GPU selects at full speed, and looking for a NaN would sync it
        mask = out <= 0
        backend.xp.logical_not(mask, out=mask)  # NOT (out <= 0): a NaN output passes, as in ops
        # NumPy's select runs ~10x slower than the product; the product differs from the
        # select only where a NaN appears (inf or NaN times False), so it is fixed up only
        # then (min() propagates NaN and reads the array once).
        with backend.xp.errstate(invalid="ignore"):  # inf * False: NaN, fixed up below, silently
            result = grad * mask
        if result.dtype.kind == "f" and result.size and backend.xp.isnan(result.min()):
            result[~mask] = 0
        return result

    # --- max pooling over tiling windows ------------------------------------------------------
    def max_pool2d(self, backend, x, kernel_size, stride, dilation, out_size):
        if not is_tiling(kernel_size, stride, (0, 0), dilation):
            return None
        xp = backend.xp
        values, winner = tile_maxima(xp, x, kernel_size, out_size)
        return values, tile_indices(xp, winner, kernel_size, out_size, x.shape[3])


def is_tiling(kernel_size, stride, padding, dilation) -> bool:
    """Windows that tile the image from its corner (side by side, no gaps, no overlaps)."""
    return tuple(kernel_size) == tuple(stride) and tuple(padding) == (0, 0) and tuple(dilation) == (1, 1)


# --- convolution layouts -----------------------------------------------------------------------
def block_length(block_bytes: int | None, length: int, bytes_per_item: int) -> int:
    """How many items (images, kernel taps) to copy before each GEMM: as many as fit in
    ``block_bytes``, at least one; all of them when there is no limit."""
    if block_bytes is None:
        return length
    return max(1, min(length, block_bytes // max(bytes_per_item, 1)))


def tap_blocks(kh: int, kw: int, taps: int):
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


def padded(xp, x, padding):
    """``x`` (N, C, H, W) with a zero frame of ``padding``; ``x`` itself when there is none."""
    ph, pw = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    # Zeros and one slice assignment: a single pass over the output, where xp.pad makes several.
    frame = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    frame[:, :, ph : ph + h, pw : pw + w] = x
    return frame


def flat_planes(xp, x, padding, room: int = 0):
    """``x`` (N, C, H, W) zero-padded, each plane flattened row after row: (N, C, Hp * Wp + room),
    with ``room`` zeros after the last row for runs that read on past it."""
    n, c, h, w = x.shape
    ph, pw = padding
    height, width = h + 2 * ph, w + 2 * pw
    planes = xp.zeros((n, c, height * width + room), dtype=x.dtype)
    planes[:, :, : height * width].reshape(n, c, height, width)[:, :, ph : ph + h, pw : pw + w] = x
    return planes


def wide_windows(backend: Any, x, kernel_size, padding, dilation):
    """Stride-1 windows of ``x`` (N, C, H, W) as "wide rows": a VIEW (N, C, kh, kw, Ho, Wp).

    For tap ``(i, j)`` it holds the ``Ho * Wp`` numbers of the zero-padded input (padded width
    ``Wp``) from row ``i*dh``, column ``j*dw`` on, read straight through the row ends. Each
    output row thus gets ``Wp - Wo`` extra values at its end (computed, then dropped), and in
    exchange each tap is ONE contiguous run of the input instead of ``Ho`` runs of ``Wo``.
    Returns the view and ``Wp``, the length of a wide row.
    """
    xp = backend.xp
    n, c, h, w = x.shape
    (kh, kw), (ph, pw), (dh, dw) = kernel_size, padding, dilation
    height, width = h + 2 * ph, w + 2 * pw
    run = (height - dh * (kh - 1)) * width
    # Room for the last tap's run, and for reading taps off a (kh, dh * width) grid below.
    planes = flat_planes(xp, x, padding, kh * dh * width + run - height * width)
    runs = backend.sliding_window_view(planes, (run,), axis=(2,))  # run starting at every offset
    taps = runs[:, :, : kh * dh * width].reshape(n, c, kh, dh * width, run)[:, :, :, : dw * (kw - 1) + 1 : dw]
    return taps.reshape(n, c, kh, kw, run // width, width), width


def strided_columns(backend: Any, x, kernel_size, stride, padding, dilation):
    """The im2col columns of ``x`` as a VIEW (N, C, kh, kw, Ho, row) and ``row`` (the length
    of an output row in the view: wide rows for stride 1, ``Wo`` otherwise)."""
    if tuple(stride) == (1, 1):
        return wide_windows(backend, x, kernel_size, padding, dilation)
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    source = padded(backend.xp, x, padding)
    view = backend.sliding_window_view(source, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    view = view[:, :, ::sh, ::sw, ::dh, ::dw]  # (N, C, Ho, Wo, kh, kw)
    return view.transpose(0, 1, 4, 5, 2, 3), view.shape[3]


def correlate_in_blocks(backend: Any, x, weight, bias, stride, padding, dilation, groups, out_size,
                        block_bytes: int | None):
    """Gather (im2col + GEMM) a block of images at a time: the columns of the block's images
    side by side, rows ``(c, i, j)``, copied into one reused buffer of about ``block_bytes``;
    ``kernels @ columns`` gives the block's outputs, plus ``bias`` unless None, laid out
    (O, images, Ho, row) and written to (N, O, Ho, Wo)."""
    xp = backend.xp
    n = x.shape[0]
    out_channels, c_g, kh, kw = weight.shape
    o_g, taps = out_channels // groups, c_g * kh * kw
    ho, wo = out_size
    view, row = strided_columns(backend, x, (kh, kw), stride, padding, dilation)  # (N, C, kh, kw, Ho, row)
    view = view.transpose(1, 2, 3, 0, 4, 5)  # (C, kh, kw, N, Ho, row): a column per (image, pixel)
    # One group: 2-D operands, a plain GEMM (NumPy's stacked matmul takes a slower path).
    kernels = weight.reshape(out_channels, taps) if groups == 1 else weight.reshape(groups, o_g, taps)
    out = xp.empty((n, out_channels, ho, wo), dtype=x.dtype)
    block = block_length(block_bytes, n, groups * taps * ho * row * x.itemsize)
    # Flat buffers, so that a last, smaller block is contiguous too (its GEMM reads no copy).
    columns = xp.empty(groups * taps * block * ho * row, dtype=x.dtype)
    products = xp.empty((*kernels.shape[:-1], block * ho * row), dtype=x.dtype)
    for start in range(0, n, block):
        size = min(block, n - start)
        block_columns = columns[: groups * taps * size * ho * row].reshape(*view.shape[:3], size, ho, row)
        block_columns[...] = view[:, :, :, start : start + size]  # the im2col copy
        block_products = products[..., : size * ho * row]
        xp.matmul(kernels, block_columns.reshape(*kernels.shape[:-2], taps, size * ho * row), out=block_products)
        if bias is not None:  # on the contiguous products, before the strided copy below
            block_products += bias.reshape(*kernels.shape[:-1], 1)
        # (O, images, Ho, row) -> (images, O, Ho, Wo): wide rows' ends dropped.
        out[start : start + size].transpose(1, 0, 2, 3)[...] = (
            block_products.reshape(out_channels, size, ho, row)[..., :wo])
    return out


def correlate_channels_last(backend: Any, x, weight, stride, padding, dilation, groups, out_size,
                            block_bytes: int | None):
    """Gather for a kernel larger than its output (dL/dW's correlation), channels innermost:
    one window row is a run of ``kw * C`` contiguous numbers (``kw`` alone in (N, C, H, W)).
    The contraction is cut into blocks of kernel taps (:func:`tap_blocks`) whose copies fit
    ``block_bytes``; the blocks' products are summed. Returns (N, O, Ho, Wo), contiguous."""
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
    taps = block_length(block_bytes, kh * kw, n * ho * wo * c_g * x.itemsize)
    for g in range(groups):
        for rows_of_kernel, columns_of_kernel in tap_blocks(kh, kw, taps):
            rows = view[g, :, :, :, rows_of_kernel, columns_of_kernel].reshape(n * ho * wo, -1)  # im2col copy
            out[g] += rows @ kernels[g, :, rows_of_kernel, columns_of_kernel].reshape(o_g, -1).T
    out = out.reshape(groups, n, ho, wo, o_g).transpose(1, 0, 4, 2, 3)
    return xp.ascontiguousarray(out).reshape(n, out_channels, ho, wo)


def correlate_by_scatter(backend: Any, x, weight, padding, dilation, groups, out_size,
                         block_bytes: int | None = None):
    """The scatter (:func:`scatter_images`) a run of images at a time, so that each run's
    patches (``O/G * kh * kw`` numbers per input pixel) stay about ``block_bytes`` (None: all
    images at once). Each image's numbers are the same in any run. Returns (N, O, Ho, Wo)."""
    n, _, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    patch_bytes = out_channels * kh * kw * h * (w + dilation[1] * (kw - 1)) * x.itemsize
    images = block_length(block_bytes, n, patch_bytes)
    if images >= n:
        return scatter_images(backend, x, weight, padding, dilation, groups, out_size)
    out = backend.xp.empty((n, out_channels, *out_size), dtype=x.dtype)
    for start in range(0, n, images):
        out[start : start + images] = scatter_images(backend, x[start : start + images], weight, padding,
                                                     dilation, groups, out_size)
    return out


def scatter_images(backend: Any, x, weight, padding, dilation, groups, out_size):
    """Scatter (transposed, col2im) for a stride-1 cross-correlation padded by at most
    ``d * (k - 1)`` (a full convolution, or less).

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


# --- tiling max pooling ----------------------------------------------------------------------
def tile_maxima(xp, x, kernel_size, out_size):
    """Windows that tile the image: each window's maximum, and which of its taps won
    (``winner = i * kw + j``, a small integer per window).

    Each tap (the cell at offset ``(i, j)`` of every window) is copied once into a contiguous
    array, on which the comparisons and maxima run.
    """
    kh, kw = kernel_size
    values = winner = None
    for k, tap in enumerate(tile_taps(x, kernel_size, out_size)):
        if values is None:
            # A copy, always: the maxima are updated in place below, and a tap that happens to
            # be contiguous already (a (H, 1) kernel on one plane) would otherwise be x itself.
            values = xp.array(tap, order="C", copy=True)
            winner = xp.zeros(tap.shape, dtype=xp.int8 if kh * kw < 128 else xp.int64)
            continue
        tap = xp.ascontiguousarray(tap)
        better = (tap > values) | xp.isnan(tap)  # like PyTorch, a NaN always takes the lead
        xp.maximum(values, tap, out=values)  # NaN-propagating, as ``better`` is
        # where(better, k, winner) as one ufunc: k is larger than every earlier tap's index.
        xp.maximum(winner, better * winner.dtype.type(k), out=winner)
    return values, winner


def tile_taps(x, kernel_size, out_size):
    """For each offset ``(i, j)`` in row-major order: the strided (N, C, Ho, Wo) VIEW of the
    cells at that offset in every tile. Rows and columns past the last whole tile are ignored."""
    (kh, kw), (ho, wo) = kernel_size, out_size
    for i, j in product(range(kh), range(kw)):
        yield x[:, :, i : ho * kh : kh, j : wo * kw : kw]


def tile_indices(xp, winner, kernel_size, out_size, width: int):
    """PyTorch's flat indices ``h * W + w`` from the winning taps of tiling windows."""
    (kh, kw), (ho, wo) = kernel_size, out_size
    corner = (xp.arange(ho).reshape(ho, 1) * kh) * width + xp.arange(wo) * kw
    tap_offset = (xp.arange(kh).reshape(kh, 1) * width + xp.arange(kw)).reshape(-1)
    return corner + tap_offset[winner]
