"""The CPU's compiled kernels (numba, the ``fast`` extra): loops NumPy has no single operation for.

Convolution from a single input channel (LeNet's first layer), where the im2col columns would
be ``kh * kw`` copies of the input for a GEMM with a handful of rows: direct loops for the
forward (:func:`correlate_one_channel`) and for its weight gradient, the correlation with a
kernel larger than its output (:func:`correlate_with_large_kernel`).

LeNet-sized stride-1 convolutions (conv1, conv2 and conv2's input gradient, a full
correlation) go to the explicitly vectorised kernel of ``vector_conv`` (:func:`is_direct`).

ReLU and its backward (``threshold_backward``) as one select pass each.

Max pooling, one pass over each independent (image, channel) plane:

* forward, for windows that do not tile the image: maxima and indices in one pass over each
  plane (tiling windows keep the NumPy kernel);
* backward: the scatter of each window's gradient to its winner (overlapping windows add up,
  in order) and its adjoint, the gather.

The loops are serial on purpose. Run in parallel (``prange``), numba's OpenMP pool and
OpenBLAS's threads each spin while waiting for work; on a 2-core machine they took the cores
from each other and a LeNet step ran 2-3x slower than with either one alone
(``benchmarks/lenet_mnist.py``). OpenBLAS keeps the cores for the GEMMs, which is where the
work is; these loops are memory-bound passes that gain little from a second thread.

Everything else is the NumPy realisations' (``ArrayKernels``). numba is imported, and each
loop compiled (then cached on disk), on first use, so importing minigrad stays light.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import Any

from minigrad.backends.kernels import vector_conv, vector_plane_conv, vector_pool, vector_weight_gradient
from minigrad.backends.kernels.array_kernels import ArrayKernels, flat_planes


def available() -> bool:
    """Whether numba is installed (without importing it)."""
    return importlib.util.find_spec("numba") is not None


def compiles(dtype: Any) -> bool:
    """Whether the loops take this dtype: float32/64 and the integers (numba has no float16)."""
    return dtype.kind in "iu" or dtype.char in "fd"


class NumbaKernels(ArrayKernels):
    """``ArrayKernels`` with single-channel convolution and max pooling as compiled loops (CPU only)."""

    name = "numba"

    def conv2d(self, backend, x, weight, bias, stride, padding, dilation, groups, out_size):
        # The weight gradient first: with a batch of one image its kernel (the upstream
        # gradient) has one channel too, and the direct loop's taps would be its Ho * Wo pixels.
        if is_direct_weight_gradient(x, weight, stride, dilation, groups, out_size):
            out = vector_weight_gradient.correlate_over_batch(backend.xp, x, weight, padding, out_size)
            return out if bias is None else out + bias.reshape(-1, 1, 1)
        if is_one_channel_weight_gradient(x, weight, stride, dilation, groups, out_size):
            return correlate_with_large_kernel(backend, x, weight, bias, padding, out_size)
        if is_direct(x, weight, stride, groups, out_size):
            # Over narrow planes every lane holds an output, where the row kernel leaves lanes of
            # each row empty (LeNet's 10-wide conv2 rows fill 10 of 16). But the row kernel skips
            # the padding's rows, which the planes hold as zeros, and from one input channel the
            # planes' copy costs more than the lanes save: benchmarks/conv_kernels.py measured the
            # planes faster for conv2's forward only (not for conv1's, nor for the padded dL/dX).
            if (x.shape[1] > 1 and not any(padding) and out_size[1] % vector_conv.lanes(x.dtype.char)
                    and vector_plane_conv.fits(x, weight, stride, dilation, groups, out_size)):
                return vector_plane_conv.correlate(backend.xp, x, weight, bias, padding, out_size)
            # The row kernel skips the kernel rows that meet padding rows: exact unless a weight
            # is inf or nan, where the reference's weight * 0 is nan (PyTorch's too).
            if not any(padding) or backend.xp.isfinite(weight).all():
                return vector_conv.correlate(backend.xp, x, weight, bias, padding, dilation, out_size)
        if is_one_channel(x, weight, stride, groups):
            return correlate_one_channel(backend, x, weight, bias, padding, dilation, out_size)
        return super().conv2d(backend, x, weight, bias, stride, padding, dilation, groups, out_size)

    def relu(self, backend, x):
        if not (x.ndim and x.dtype.char in "fd" and x.flags.c_contiguous):
            return None
        result = backend.xp.empty_like(x)
        _compiled().relu(x.reshape(-1), result.reshape(-1))
        return result

    def threshold_backward(self, backend, grad, out):
        if not (grad.ndim and grad.shape == out.shape and grad.dtype == out.dtype and grad.dtype.char in "fd"
                and grad.flags.c_contiguous and out.flags.c_contiguous):
            return super().threshold_backward(backend, grad, out)
        result = backend.xp.empty_like(grad)
        _compiled().threshold_backward(grad.reshape(-1), out.reshape(-1), result.reshape(-1))
        return result

    def momentum_step(self, backend, param, grad, buffer, lr, momentum):
        arrays = (param, grad, buffer)
        if not (param.dtype.char in "fd" and all(a.dtype == param.dtype and a.shape == param.shape
                                                  and a.flags.c_contiguous for a in arrays)):
            return None
        number = param.dtype.type  # NumPy's in-place ops with a Python float compute in the array's dtype
        _compiled().momentum_step(param.reshape(-1), grad.reshape(-1), buffer.reshape(-1), number(lr),
                                  number(momentum))
        return True

    def max_pool2d(self, backend, x, kernel_size, stride, dilation, out_size):
        if vector_pool.available() and vector_pool.fits(x, kernel_size, stride, dilation, out_size):
            return vector_pool.max_pool(backend.xp, x, kernel_size, out_size)
        found = super().max_pool2d(backend, x, kernel_size, stride, dilation, out_size)  # tiling windows
        if found is not None or not compiles(x.dtype):
            return found
        xp = backend.xp
        n, c, h, w = x.shape
        planes = xp.ascontiguousarray(x).reshape(n * c, h, w)
        values = xp.empty((n * c, *out_size), dtype=x.dtype)
        indices = xp.empty((n * c, *out_size), dtype=xp.int64)
        _compiled().max_pool(planes, values, indices, *kernel_size, *stride, *dilation)
        return values.reshape(n, c, *out_size), indices.reshape(n, c, *out_size)

    def scatter_to_winners(self, backend, grad, indices, input_size, kernel_size, stride, padding, dilation):
        if not compiles(grad.dtype):
            return super().scatter_to_winners(backend, grad, indices, input_size, kernel_size, stride, padding,
                                              dilation)
        xp = backend.xp
        n, c, ho, wo = grad.shape
        h, w = input_size
        out = xp.zeros((n * c, h * w), dtype=grad.dtype)
        _compiled().scatter(
            xp.ascontiguousarray(grad).reshape(n * c, ho * wo),
            xp.ascontiguousarray(indices).reshape(n * c, ho * wo),
            out,
        )
        return out.reshape(n, c, h, w)

    def gather_winners(self, backend, x, indices, kernel_size, stride, padding, dilation):
        if not compiles(x.dtype):
            return super().gather_winners(backend, x, indices, kernel_size, stride, padding, dilation)
        xp = backend.xp
        n, c, h, w = x.shape
        out = xp.empty(indices.shape, dtype=x.dtype)
        _compiled().gather(
            xp.ascontiguousarray(x).reshape(n * c, h * w),
            xp.ascontiguousarray(indices).reshape(n * c, -1),
            out.reshape(n * c, -1),
        )
        return out


#: The vector kernel's domain (``vector_conv``): LeNet's channel counts, where the GEMM's
#: im2col copy is shared by too few kernels to pay for itself (larger layers are unmeasured and
#: keep the GEMM), and enough arithmetic to pay for compiling each geometry once (~0.1-0.5 s).
DIRECT_MAX_OUTPUT_CHANNELS = 16
DIRECT_MAX_TAPS = 400  # input channels * kernel height * width
DIRECT_MIN_PRODUCTS = 2**20  # multiply-adds of one call


def is_direct(x, weight, stride, groups: int, out_size) -> bool:
    """Whether the vector kernel takes this convolution: its domain (``vector_conv.fits``), a
    kernel no larger than the output (a weight gradient's "kernel" is an image: the GEMM), and
    a layer of LeNet's size."""
    o, c, kh, kw = weight.shape
    ho, wo = out_size
    return (vector_conv.available() and vector_conv.fits(x, weight, stride, groups, out_size)
            and kh <= ho and kw <= wo and o <= DIRECT_MAX_OUTPUT_CHANNELS and c * kh * kw <= DIRECT_MAX_TAPS
            and x.shape[0] * o * ho * wo * c * kh * kw >= DIRECT_MIN_PRODUCTS)


def is_direct_weight_gradient(x, weight, stride, dilation, groups: int, out_size) -> bool:
    """Whether the vector weight gradient takes this correlation: one that ``ops/conv.py``'s
    ``weight_gradient`` asks for (``vector_weight_gradient.fits``: x (C, N, H, W), the upstream
    gradient (O, N, Ho, Wo) as the kernel), of a layer in ``is_direct``'s domain."""
    c, o, (kh, kw) = x.shape[0], weight.shape[0], out_size
    return (vector_weight_gradient.available()
            and vector_weight_gradient.fits(x, weight, stride, dilation, groups, out_size)
            and o <= DIRECT_MAX_OUTPUT_CHANNELS and c * kh * kw <= DIRECT_MAX_TAPS
            and c * o * kh * kw * weight.shape[1] * weight.shape[2] * weight.shape[3] >= DIRECT_MIN_PRODUCTS)


#: The direct loop's domain: up to this many output channels (beyond, the GEMM's im2col copy is
#: shared by enough kernels to pay for itself).
ONE_CHANNEL_MAX_OUTPUTS = 8


def is_one_channel(x, weight, stride, groups: int) -> bool:
    """A stride-1 correlation of one input channel into a few output channels, in float32/64."""
    return (groups == 1 and weight.shape[1] == 1 and weight.shape[0] <= ONE_CHANNEL_MAX_OUTPUTS
            and tuple(stride) == (1, 1) and x.dtype.char in "fd" and weight.dtype == x.dtype)


def correlate_one_channel(backend: Any, x, weight, bias, padding, dilation, out_size):
    """The cross-correlation of one input channel, with no im2col copy: every output channel is
    the sum over kernel taps of a tap weight times a shifted run of the zero-padded image.

    The image is flattened with "wide rows" (see ``array_kernels.wide_windows``): tap ``(i, j)``
    of the output's wide rows is the one contiguous run from ``i*dh*Wp + j*dw`` on, so each tap
    is one multiply-add over ``Ho * Wp`` numbers; the ``Wp - Wo`` extra values of each wide row
    are dropped at the end. Returns (N, O, Ho, Wo), plus ``bias`` unless it is None.
    """
    xp = backend.xp
    n, width = x.shape[0], x.shape[3] + 2 * padding[1]
    out_channels, _, kh, kw = weight.shape
    (dh, dw), (ho, wo) = dilation, out_size
    # Room after the last row for the last tap's run to read on into (zeros, never kept).
    planes = flat_planes(xp, x, padding, dw * (kw - 1))[:, 0]
    offsets = xp.array([i * dh * width + j * dw for i in range(kh) for j in range(kw)], dtype=xp.int64)
    start = xp.zeros(out_channels, dtype=x.dtype) if bias is None else bias.astype(x.dtype, copy=False)
    wide = xp.empty((n, out_channels, ho * width), dtype=x.dtype)
    _compiled().correlate_one_channel(planes, weight.reshape(out_channels, kh * kw), start, offsets, wide)
    return xp.ascontiguousarray(wide.reshape(n, out_channels, ho, width)[..., :wo])


def is_one_channel_weight_gradient(x, weight, stride, dilation, groups: int, out_size) -> bool:
    """The weight gradient of a stride-1 :func:`is_one_channel` convolution, as ``ops/conv.py``
    asks for it: one "image" (the input channel) correlated, over the batch as channels, with a
    kernel larger than its output (the upstream gradient of up to 8 channels)."""
    return (groups == 1 and x.shape[0] == 1 and weight.shape[0] <= ONE_CHANNEL_MAX_OUTPUTS
            and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1) and weight.shape[3] > out_size[1]
            and x.dtype.char in "fd" and weight.dtype == x.dtype)


def correlate_with_large_kernel(backend: Any, x, weight, bias, padding, out_size):
    """A stride-1, undilated cross-correlation whose kernel is larger than its output, as dot
    products: ``out[b, o, i, j]`` is the dot of the kernel ``weight[o]`` with the window of the
    padded ``x[b]`` at ``(i, j)``, over every channel.

    With the kernel's rows widened by zeros to the padded image's width ``Wp``, a window is one
    contiguous run of the flattened image from ``i * Wp + j`` on (the zeros cancel what a row
    reads past its end). Returns (B, O, Ho, Wo), plus ``bias`` unless it is None.
    """
    xp = backend.xp
    b, c, width = x.shape[0], x.shape[1], x.shape[3] + 2 * padding[1]
    out_channels, _, kh, kw = weight.shape
    ho, wo = out_size
    planes = flat_planes(xp, x, padding)
    kernels = xp.zeros((out_channels, c, kh * width), dtype=x.dtype)
    kernels.reshape(out_channels, c, kh, width)[..., :kw] = weight
    run = (kh - 1) * width + kw  # past the last kernel row's own kw numbers, only zeros
    offsets = xp.array([i * width + j for i in range(ho) for j in range(wo)], dtype=xp.int64)
    out = xp.zeros((b, out_channels, ho * wo), dtype=x.dtype)  # the loop starts its sums from these
    _compiled().dot_windows(planes, kernels, run, offsets, out)  # contiguous: the loop vectorises
    out = out.reshape(b, out_channels, ho, wo)
    if bias is not None:
        out += bias.reshape(-1, 1, 1)
    return out


@cache
def _compiled() -> Any:
    """The loops, compiled by numba on first use (and cached on disk between runs)."""
    import numba

    jit = numba.njit(cache=True, nogil=True)  # serial: see the module docstring

    # Each loop takes one-dimensional views of its plane first: numba then compiles the inner
    # loops to plain (vectorisable) runs over memory.
    @jit
    def max_pool(planes, values, indices, kh, kw, sh, sw, dh, dw):
        w = planes.shape[2]
        ho, wo = values.shape[1], values.shape[2]
        for p in range(planes.shape[0]):
            plane = planes[p]
            for y in range(ho):
                best_row, where_row = values[p, y], indices[p, y]
                for v in range(wo):
                    top, left = y * sh, v * sw
                    best = plane[top, left]
                    where = top * w + left
                    for i in range(kh):
                        row = plane[top + i * dh]
                        for j in range(kw):
                            value = row[left + j * dw]
                            # PyTorch's rule: the first maximum, but a NaN (value != value)
                            # always takes over; never true for integers.
                            if value > best or value != value:
                                best = value
                                where = (top + i * dh) * w + left + j * dw
                    best_row[v] = best
                    where_row[v] = where

    @jit
    def scatter(grad, indices, out):
        for p in range(grad.shape[0]):  # overlapping windows add in order
            source, where, target = grad[p], indices[p], out[p]
            for k in range(source.shape[0]):
                target[where[k]] += source[k]

    @jit
    def gather(x, indices, out):
        for p in range(x.shape[0]):
            source, where, target = x[p], indices[p], out[p]
            for k in range(where.shape[0]):
                target[k] = source[where[k]]

    @jit
    def correlate_one_channel(planes, taps, start, offsets, out):
        # Two output channels per pass over the image: each shifted run is read once for both.
        out_channels, run = taps.shape[0], out.shape[2]
        for p in range(planes.shape[0]):
            plane = planes[p]
            for o in range(0, out_channels - 1, 2):
                first_row, second_row = out[p, o], out[p, o + 1]
                for k in range(run):
                    first_row[k] = start[o]
                    second_row[k] = start[o + 1]
                for t in range(offsets.shape[0]):
                    shifted = plane[offsets[t] : offsets[t] + run]  # a slice: vectorisable run
                    first_tap, second_tap = taps[o, t], taps[o + 1, t]
                    for k in range(run):
                        value = shifted[k]
                        first_row[k] += first_tap * value
                        second_row[k] += second_tap * value
            if out_channels % 2:  # the odd last channel on its own
                last, row = out_channels - 1, out[p, out_channels - 1]
                for k in range(run):
                    row[k] = start[last]
                for t in range(offsets.shape[0]):
                    shifted = plane[offsets[t] : offsets[t] + run]
                    tap = taps[last, t]
                    for k in range(run):
                        row[k] += tap * shifted[k]

    # Sums in any order (reassociated, so that the dot products vectorise); no other fast-math
    # licence: NaN and inf propagate as in the reference.
    @numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
    def dot_windows(planes, kernels, run, offsets, out):
        out_channels, channels = kernels.shape[0], kernels.shape[1]
        for p in range(planes.shape[0]):
            for o in range(0, out_channels, 2):
                second = min(o + 1, out_channels - 1)  # an odd last channel: computed twice
                for t in range(offsets.shape[0]):
                    first_sum = second_sum = out[p, o, t]  # zeros, in the arrays' dtype
                    for c in range(channels):
                        window = planes[p, c, offsets[t] : offsets[t] + run]
                        first, other = kernels[o, c, :run], kernels[second, c, :run]
                        for k in range(run):
                            value = window[k]
                            first_sum += first[k] * value
                            second_sum += other[k] * value
                    out[p, o, t] = first_sum
                    out[p, second, t] = second_sum

    @jit
    def threshold_backward(grad, out, result):
        # One pass, a select (compiled to a vector blend): NumPy needs a mask, a product and a
        # NaN check for the same.
        for k in range(grad.shape[0]):
            result[k] = 0 if out[k] <= 0 else grad[k]

    @jit
    def momentum_step(param, grad, buffer, lr, momentum):
        # One pass for optim.SGD's four: the same operations in the same order, each rounded
        # (no fast-math, so no fused multiply-add): the reference's bits.
        for k in range(param.shape[0]):
            value = buffer[k] * momentum + grad[k]
            buffer[k] = value
            param[k] -= lr * value

    @jit
    def relu(x, result):
        for k in range(x.shape[0]):
            value = x[k]
            result[k] = 0 if value <= 0 else value  # NaN passes, -0 gives +0: maximum(x, 0)'s bits

    return _Loops(max_pool, scatter, gather, correlate_one_channel, dot_windows, threshold_backward, relu,
                  momentum_step)


class _Loops:
    def __init__(self, max_pool, scatter, gather, correlate_one_channel, dot_windows, threshold_backward,
                 relu, momentum_step) -> None:
        self.max_pool, self.scatter, self.gather = max_pool, scatter, gather
        self.correlate_one_channel, self.dot_windows = correlate_one_channel, dot_windows
        self.threshold_backward, self.relu, self.momentum_step = threshold_backward, relu, momentum_step
