"""The JIT-compiled vector weight gradient (``backends/kernels/vector_weight_gradient``) computes
the reference's dL/dW correlation on every path of its generated code: blocks of output channels
in the loop and the rest after it, several blocks of kernel columns, one to eight vectors per
gradient row (the last one partly masked), shifted runs cut by the padding on either side, rows
whose input row is padding skipped, float32/64; the inputs are read, never written."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from minigrad.backends.kernels import Kernels, numba_kernels, vector_weight_gradient

import minigrad
import minigrad.nn.functional as F
from minigrad import backends
from minigrad.ops import conv as conv_ops

pytestmark = pytest.mark.skipif(not vector_weight_gradient.available(),
                                reason="llvmlite is not installed (the fast extra)")

SETTINGS = settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def problems(draw):
    """The arrays ``ops/conv.py``'s weight_gradient hands the kernels: the input as (C, N, H, W)
    and the upstream gradient as (O, N, Ho, Wo), transposed views of C-ordered arrays."""
    dtype = draw(st.sampled_from(["float32", "float64"]))
    lanes = vector_weight_gradient.lanes(numpy.dtype(dtype).char)
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 13))  # 13: blocks and a rest
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, vector_weight_gradient.MAX_KERNEL_WIDTH))
    padding = (draw(st.integers(0, 6)), draw(st.integers(0, 6)))  # beyond the kernel's reach too
    ho = draw(st.integers(kh, 9))
    wo = draw(st.integers(kw, 3 * lanes))
    h, w = ho + kh - 1 - 2 * padding[0], wo + kw - 1 - 2 * padding[1]
    assume(h >= 1 and w >= 1)
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    grad = rng.standard_normal((n, o, ho, wo)).astype(dtype)
    return x.transpose(1, 0, 2, 3), grad.transpose(1, 0, 2, 3), padding, (kh, kw)


def reference(x, grad, padding, kernel_size):
    return conv_ops.correlate(backends.get("cpu"), x, grad, (1, 1), padding, (1, 1), 1, kernel_size)


@SETTINGS
@given(problem=problems())
def test_the_vector_weight_gradient_equals_the_reference(problem):
    x, grad, padding, kernel_size = problem
    assert vector_weight_gradient.fits(x, grad, (1, 1), (1, 1), 1, kernel_size)
    before = (x.copy(), grad.copy())
    out = vector_weight_gradient.correlate_over_batch(numpy, x, grad, padding, kernel_size)
    expected = reference(x, grad, padding, kernel_size)
    assert out.dtype == x.dtype and out.shape == expected.shape
    tolerance = 1e-10 if x.dtype == numpy.float64 else 2e-5
    numpy.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
    numpy.testing.assert_array_equal(x, before[0])
    numpy.testing.assert_array_equal(grad, before[1])


def test_copies_of_strided_inputs_and_a_large_batch_are_summed_right():
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((40, 4, 9, 20))[:, ::2, :, ::2].transpose(1, 0, 2, 3)  # (2, 40, 9, 10), no unit strides
    grad = rng.standard_normal((40, 5, 9, 10)).transpose(1, 0, 2, 3)
    out = vector_weight_gradient.correlate_over_batch(numpy, x, grad, (1, 1), (3, 3))
    numpy.testing.assert_allclose(out, reference(x, grad, (1, 1), (3, 3)), rtol=1e-10, atol=1e-10)


def test_nan_and_inf_reach_the_gradients_that_read_them_and_no_others():
    x, grad = numpy.ones((1, 2, 6, 6)), numpy.ones((1, 3, 6, 6))
    x[0, 1, 0, 0], grad[0, 2, 5, 5] = numpy.nan, numpy.inf  # inf meets the padding's zeros too: nan
    xd, gd = x.transpose(1, 0, 2, 3), grad.transpose(1, 0, 2, 3)
    out = vector_weight_gradient.correlate_over_batch(numpy, xd, gd, (1, 1), (3, 3))
    numpy.testing.assert_array_equal(out, reference(xd, gd, (1, 1), (3, 3)))  # exact small sums


def test_the_domain():
    x, grad = numpy.zeros((6, 64, 14, 14), "float32"), numpy.zeros((16, 64, 10, 10), "float32")
    fits = vector_weight_gradient.fits
    assert fits(x, grad, (1, 1), (1, 1), 1, (5, 5))
    assert not fits(x, grad, (2, 2), (1, 1), 1, (5, 5))  # the forward's dilation
    assert not fits(x, grad, (1, 1), (2, 2), 1, (3, 3))  # the forward's stride
    assert not fits(x, grad.astype("float64"), (1, 1), (1, 1), 1, (5, 5))
    assert not fits(x, grad[:, :, :4, :4], (1, 1), (1, 1), 1, (5, 5))  # a kernel smaller than the output: a forward
    assert not fits(x, numpy.zeros((16, 32, 10, 10), "float32"), (1, 1), (1, 1), 2, (5, 5))


def test_numba_kernels_take_it_for_lenets_weight_gradients_only():
    def direct(x_shape, grad_shape, kernel_size):
        return numba_kernels.is_direct_weight_gradient(numpy.zeros(x_shape, "float32"),
                                                       numpy.zeros(grad_shape, "float32"),
                                                       (1, 1), (1, 1), 1, kernel_size)

    assert direct((1, 64, 28, 28), (6, 64, 28, 28), (5, 5))  # conv1's, padded by 2
    assert direct((6, 64, 14, 14), (16, 64, 10, 10), (5, 5))  # conv2's
    assert not direct((6, 2, 14, 14), (16, 2, 10, 10), (5, 5))  # too little work to compile for
    assert not direct((64, 64, 14, 14), (64, 64, 12, 12), (3, 3))  # wide layers: the GEMM


def test_a_lenet_step_takes_it_and_equals_the_reference_kernels(monkeypatch):
    """conv1's (one padded input channel) and conv2's weight gradients through the vector
    kernel; every gradient equals the reference kernels' in float64."""
    backend = backends.get("cpu")
    calls = []
    original = vector_weight_gradient.correlate_over_batch
    monkeypatch.setattr(vector_weight_gradient, "correlate_over_batch",
                        lambda *a: calls.append(a[1].shape) or original(*a))
    rng = numpy.random.default_rng(1)
    shapes = ((16, 1, 28, 28), (6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,))
    arrays = [rng.standard_normal(s) for s in shapes]

    def step():
        x, w1, b1, w2, b2 = (minigrad.tensor(a, requires_grad=True) for a in arrays)
        hidden = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
        out = F.relu(F.conv2d(hidden, w2, b2))
        (out * out).sum().backward()
        return [t.numpy() for t in (out.detach(), x.grad, w1.grad, b1.grad, w2.grad, b2.grad)]

    monkeypatch.setattr(backend, "kernels", numba_kernels.NumbaKernels())
    fast = step()
    assert sorted(calls) == [(1, 16, 28, 28), (6, 16, 14, 14)]  # conv1's and conv2's dL/dW
    monkeypatch.setattr(backend, "kernels", Kernels())
    for got, expected in zip(fast, step()):
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
