"""The JIT-compiled vector convolution (``backends/kernels/vector_conv``) computes the reference's
cross-correlation, on every path of its generated code: one or several passes over the output
channels, one to four vectors per output row (the last one partly masked), shifted runs cut by
the padding on either side, rows of the padding skipped, dilation, bias or none, float32/64."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from minigrad.backends.kernels import Kernels, numba_kernels, vector_conv, vector_plane_conv

import minigrad
import minigrad.nn.functional as F
from minigrad import backends
from minigrad.ops import conv as conv_ops

pytestmark = pytest.mark.skipif(not vector_conv.available(), reason="llvmlite is not installed (the fast extra)")

# Each example compiles a function (~0.1-0.5 s).
SETTINGS = settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def problems(draw):
    dtype = draw(st.sampled_from(["float32", "float64"]))
    lanes = vector_conv.lanes(numpy.dtype(dtype).char)
    c, o = draw(st.integers(1, 4)), draw(st.integers(1, 12))  # 12 > a pass's channels: several passes
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 6)), draw(st.integers(0, 6)))  # beyond the kernel's reach too
    h = draw(st.integers(1, 12))
    wo = draw(st.integers(1, vector_conv.MAX_VECTORS_PER_ROW * lanes))
    w = wo - 2 * padding[1] + dilation[1] * (kw - 1)
    assume(w >= 1)
    out_size = (conv_ops.output_size(h, kh, 1, padding[0], dilation[0]), wo)
    assume(out_size[0] >= 1)
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 3)), c, h, w)).astype(dtype)
    weight = rng.standard_normal((o, c, kh, kw)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype) if draw(st.booleans()) else None
    return x, weight, bias, padding, dilation, out_size


def reference(x, weight, bias, padding, dilation, out_size):
    out = conv_ops.correlate(backends.get("cpu"), x, weight, (1, 1), padding, dilation, 1, out_size)
    return out if bias is None else out + bias.reshape(-1, 1, 1)


@SETTINGS
@given(problem=problems())
def test_the_vector_convolution_equals_the_reference(problem):
    x, weight, bias, padding, dilation, out_size = problem
    assert vector_conv.fits(x, weight, (1, 1), 1, out_size)
    before = (x.copy(), weight.copy())
    out = vector_conv.correlate(numpy, x, weight, bias, padding, dilation, out_size)
    expected = reference(x, weight, bias, padding, dilation, out_size)
    assert out.dtype == x.dtype and out.shape == expected.shape and out.flags.c_contiguous
    tolerance = 1e-10 if x.dtype == numpy.float64 else 2e-5
    numpy.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
    numpy.testing.assert_array_equal(x, before[0])  # read, never written
    numpy.testing.assert_array_equal(weight, before[1])


def test_strided_views_and_a_part_of_the_batch_are_read_right():
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((3, 4, 9, 16))[:, ::2, :, ::2]  # (3, 2, 9, 8), no unit strides
    weight = rng.standard_normal((5, 2, 3, 3))[:, :, ::-1, ::-1]  # flipped, as dL/dX's
    out = vector_conv.correlate(numpy, x, weight, None, (2, 2), (1, 1), (11, 10))
    numpy.testing.assert_allclose(out, reference(x, weight, None, (2, 2), (1, 1), (11, 10)), rtol=1e-10, atol=1e-10)


def test_nan_and_inf_reach_the_outputs_that_read_them_and_no_others():
    x, weight = numpy.ones((1, 2, 6, 6)), numpy.ones((3, 2, 3, 3))
    x[0, 1, 0, 0], x[0, 0, 5, 5], weight[2, 0, 1, 1] = numpy.nan, numpy.inf, 0.5
    out = vector_conv.correlate(numpy, x, weight, None, (1, 1), (1, 1), (6, 6))
    numpy.testing.assert_array_equal(out, reference(x, weight, None, (1, 1), (1, 1), (6, 6)))  # exact small sums


def test_the_domain():
    x, weight = numpy.zeros((2, 6, 14, 14), "float32"), numpy.zeros((16, 6, 5, 5), "float32")
    assert vector_conv.fits(x, weight, (1, 1), 1, (10, 10))
    assert not vector_conv.fits(x, weight, (2, 2), 1, (5, 5))  # strided
    assert not vector_conv.fits(x, weight.astype("float64"), (1, 1), 1, (10, 10))  # mixed dtypes
    assert not vector_conv.fits(x.astype("float16"), weight.astype("float16"), (1, 1), 1, (10, 10))
    assert not vector_conv.fits(x, numpy.zeros((16, 3, 5, 5), "float32"), (1, 1), 2, (10, 10))  # groups
    wide = vector_conv.MAX_VECTORS_PER_ROW * vector_conv.lanes("f") + 1
    assert not vector_conv.fits(x, weight, (1, 1), 1, (10, wide))


def test_numba_kernels_take_the_vector_convolution_for_lenets_layers_only():
    def direct(x_shape, weight_shape, out_size, stride=(1, 1)):
        return numba_kernels.is_direct(numpy.zeros(x_shape, "float32"), numpy.zeros(weight_shape, "float32"),
                                       stride, 1, out_size)

    assert direct((64, 1, 28, 28), (6, 1, 5, 5), (28, 28))  # conv1, padded
    assert direct((64, 6, 14, 14), (16, 6, 5, 5), (10, 10))  # conv2
    assert direct((64, 16, 10, 10), (6, 16, 5, 5), (14, 14))  # conv2's dL/dX: a full correlation
    assert not direct((6, 64, 14, 14), (16, 64, 10, 10), (5, 5))  # its dL/dW: the kernel is an image
    assert not direct((2, 6, 14, 14), (16, 6, 5, 5), (10, 10))  # too little work to compile for
    assert not direct((64, 64, 14, 14), (64, 64, 3, 3), (12, 12))  # wide layers: the GEMM
    assert not direct((64, 6, 14, 14), (16, 6, 5, 5), (5, 5), stride=(2, 2))


def test_a_lenet_step_takes_it_and_equals_the_reference_kernels(monkeypatch):
    """conv2's forward and dL/dX (a flipped, transposed weight view, padded by 4) through the
    row kernel (the plane kernel, which NumbaKernels prefers for the forward, turned off);
    gradients equal the reference kernels' in float64."""
    backend = backends.get("cpu")
    monkeypatch.setattr(vector_plane_conv, "fits", lambda *a: False)
    calls = []
    original = vector_conv.correlate
    monkeypatch.setattr(vector_conv, "correlate", lambda *a: calls.append(a[1].shape) or original(*a))
    rng = numpy.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in ((16, 6, 14, 14), (16, 6, 5, 5), (16,))]

    def step():
        x, weight, bias = (minigrad.tensor(a, requires_grad=True) for a in arrays)
        out = F.max_pool2d(F.relu(F.conv2d(x, weight, bias)), 2)
        (out * out).sum().backward()
        return [t.numpy() for t in (out.detach(), x.grad, weight.grad, bias.grad)]

    monkeypatch.setattr(backend, "kernels", numba_kernels.NumbaKernels())
    fast = step()
    assert calls == [(16, 6, 14, 14), (16, 16, 10, 10)]  # the forward, then dL/dX
    monkeypatch.setattr(backend, "kernels", Kernels())
    for got, expected in zip(fast, step()):
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_an_inf_weight_over_the_padding_gives_nan_as_in_the_reference(monkeypatch):
    """The vector kernel skips kernel rows over padding rows (weight * 0 is 0 only for finite
    weights), so NumbaKernels leaves non-finite weights with padding to the reference."""
    backend = backends.get("cpu")
    monkeypatch.setattr(backend, "kernels", numba_kernels.NumbaKernels())
    monkeypatch.setattr(vector_plane_conv, "fits", lambda *a: False)  # the row kernel's case
    x, weight = numpy.ones((8, 2, 28, 28), "float32"), numpy.ones((4, 2, 5, 5), "float32")
    assert numba_kernels.is_direct(x, weight, (1, 1), 1, (28, 28))
    weight[1, 0, 0, 2] = numpy.inf
    with numpy.errstate(invalid="ignore"):
        got = F.conv2d(minigrad.tensor(x), minigrad.tensor(weight), padding=2).numpy()
        expected = reference(x, weight, None, (2, 2), (1, 1), (28, 28))
    assert numpy.isnan(expected[:, 1, :2]).all()  # the top rows meet the padding
    numpy.testing.assert_array_equal(got, expected)
