"""The JIT-compiled plane convolution (``backends/kernels/vector_plane_conv``) computes the
reference's cross-correlation on every path of its generated code: one or several blocks of
output channels (and a rest), position blocks in the loop and the last one (its last vector cut,
or whole), padding beyond the kernel, bias or none, float32/64; strided inputs; nan and inf,
the padding's zeros included."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from minigrad.backends.kernels import Kernels, numba_kernels, vector_plane_conv

import minigrad
import minigrad.nn.functional as F
from minigrad import backends
from minigrad.ops import conv as conv_ops

pytestmark = pytest.mark.skipif(not vector_plane_conv.available(), reason="llvmlite is not installed (the fast extra)")

# Each example compiles a function.
SETTINGS = settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def problems(draw):
    dtype = draw(st.sampled_from(["float32", "float64"]))
    c, o = draw(st.integers(1, 4)), draw(st.integers(1, 13))  # 13: several channel blocks and a rest
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    padding = (draw(st.integers(0, 5)), draw(st.integers(0, 5)))  # beyond the kernel's reach too
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    out_size = (h + 2 * padding[0] - kh + 1, w + 2 * padding[1] - kw + 1)
    assume(min(out_size) >= 1)
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 3)), c, h, w)).astype(dtype)
    weight = rng.standard_normal((o, c, kh, kw)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype) if draw(st.booleans()) else None
    return x, weight, bias, padding, out_size


def reference(x, weight, bias, padding, out_size):
    out = conv_ops.correlate(backends.get("cpu"), x, weight, (1, 1), padding, (1, 1), 1, out_size)
    return out if bias is None else out + bias.reshape(-1, 1, 1)


@SETTINGS
@given(problem=problems())
def test_the_plane_convolution_equals_the_reference(problem):
    x, weight, bias, padding, out_size = problem
    assert vector_plane_conv.fits(x, weight, (1, 1), (1, 1), 1, out_size)
    before = (x.copy(), weight.copy())
    out = vector_plane_conv.correlate(numpy, x, weight, bias, padding, out_size)
    expected = reference(x, weight, bias, padding, out_size)
    assert out.dtype == x.dtype and out.shape == expected.shape and out.flags.c_contiguous
    tolerance = 1e-10 if x.dtype == numpy.float64 else 2e-5
    numpy.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
    numpy.testing.assert_array_equal(x, before[0])  # read, never written
    numpy.testing.assert_array_equal(weight, before[1])


@pytest.mark.parametrize("positions", [24, 25, 23])  # whole blocks, a rest of one vector, a cut last vector
def test_the_last_block_of_positions(positions):
    x = numpy.random.default_rng(positions).standard_normal((2, 3, positions + 2, 3))  # output (positions, 1)
    weight = numpy.random.default_rng(0).standard_normal((5, 3, 3, 3))
    out = vector_plane_conv.correlate(numpy, x, weight, None, (0, 0), (positions, 1))
    numpy.testing.assert_allclose(out, reference(x, weight, None, (0, 0), (positions, 1)), rtol=1e-10, atol=1e-10)


def test_strided_views_are_read_right():
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((3, 4, 9, 16))[:, ::2, :, ::2]  # (3, 2, 9, 8), no unit strides
    weight = rng.standard_normal((5, 2, 3, 3))[:, :, ::-1, ::-1]  # flipped, as dL/dX's
    out = vector_plane_conv.correlate(numpy, x, weight, None, (2, 2), (11, 10))
    numpy.testing.assert_allclose(out, reference(x, weight, None, (2, 2), (11, 10)), rtol=1e-10, atol=1e-10)


def test_nan_and_inf_match_the_reference_even_over_the_padding():
    x, weight = numpy.ones((1, 2, 6, 6)), numpy.ones((3, 2, 3, 3))
    x[0, 1, 0, 0], x[0, 0, 5, 5] = numpy.nan, numpy.inf
    weight[1, 0, 0, 2] = numpy.inf  # meets the padding's zeros: nan there, as weight * 0 in the reference
    with numpy.errstate(invalid="ignore"):
        out = vector_plane_conv.correlate(numpy, x, weight, None, (1, 1), (6, 6))
        expected = reference(x, weight, None, (1, 1), (6, 6))
    numpy.testing.assert_array_equal(out, expected)  # exact small sums, nan where the reference has nan


def test_the_domain():
    x, weight = numpy.zeros((2, 6, 14, 14), "float32"), numpy.zeros((16, 6, 5, 5), "float32")
    fits = vector_plane_conv.fits
    assert fits(x, weight, (1, 1), (1, 1), 1, (10, 10))
    assert not fits(x, weight, (2, 2), (1, 1), 1, (5, 5))  # strided
    assert not fits(x, weight, (1, 1), (2, 2), 1, (6, 6))  # dilated
    assert not fits(x, weight.astype("float64"), (1, 1), (1, 1), 1, (10, 10))
    assert not fits(x, numpy.zeros((16, 3, 5, 5), "float32"), (1, 1), (1, 1), 2, (10, 10))  # groups
    assert not fits(numpy.zeros((2, 64, 64, 64), "float32"), numpy.zeros((8, 64, 3, 3), "float32"), (1, 1), (1, 1),
                    1, (62, 62))  # planes too large for the cache


def test_a_lenet_step_takes_it_for_conv2s_forward(monkeypatch):
    """conv2's forward through the plane kernel; float64 gradients of the whole step equal the
    reference kernels'."""
    backend = backends.get("cpu")
    calls = []
    original = vector_plane_conv.correlate
    monkeypatch.setattr(vector_plane_conv, "correlate", lambda *a: calls.append(a[1].shape) or original(*a))
    rng = numpy.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in ((16, 1, 28, 28), (6, 1, 5, 5), (16, 6, 5, 5), (16,))]

    def step():
        x, w1, w2, b2 = (minigrad.tensor(a, requires_grad=True) for a in arrays)
        out = F.relu(F.conv2d(F.max_pool2d(F.relu(F.conv2d(x, w1, padding=2)), 2), w2, b2))
        (out * out).sum().backward()
        return [t.numpy() for t in (out.detach(), x.grad, w1.grad, w2.grad, b2.grad)]

    monkeypatch.setattr(backend, "kernels", numba_kernels.NumbaKernels())
    fast = step()
    # conv2's forward only: conv1's has one input channel, the input gradients are padded (the
    # row kernel's, see NumbaKernels.conv2d).
    assert calls == [(16, 6, 14, 14)]
    monkeypatch.setattr(backend, "kernels", Kernels())
    for got, expected in zip(fast, step()):
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
