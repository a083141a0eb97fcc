"""The JIT-compiled vector max pooling (``backends/kernels/vector_pool``) gives the reference's
maxima and PyTorch's flat indices on every path of its generated code: windows of 1-4 on a
side, rectangular ones, one or several vectors per output row (the last one partly masked),
rows and columns past the last whole window, ties (the first maximum wins), NaN (always takes
over), infinities, float32/64, strided inputs."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from minigrad.backends.kernels import numba_kernels, vector_pool

import minigrad
import minigrad.nn.functional as F
from minigrad import backends
from minigrad.ops import pool as pool_ops

pytestmark = pytest.mark.skipif(not vector_pool.available(), reason="llvmlite is not installed (the fast extra)")

# Each new geometry compiles a function.
SETTINGS = settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def problems(draw):
    dtype = draw(st.sampled_from(["float32", "float64"]))
    lanes = vector_pool.lanes(numpy.dtype(dtype).char)
    kh, kw = draw(st.integers(1, vector_pool.MAX_WINDOW)), draw(st.integers(1, vector_pool.MAX_WINDOW))
    ho, wo = draw(st.integers(1, 5)), draw(st.integers(1, 3 * lanes))  # several vectors, masked tails
    h, w = ho * kh + draw(st.integers(0, kh - 1)), wo * kw + draw(st.integers(0, kw - 1))  # leftovers
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.integers(-2, 3, size=(draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w)).astype(dtype)  # ties
    special = draw(st.sampled_from([None, numpy.nan, numpy.inf, -numpy.inf]))
    if special is not None:
        x[rng.random(x.shape) < 0.15] = special
    return x, (kh, kw), (ho, wo)


def reference(x, kernel, out_size):
    values, indices, unreachable = pool_ops.window_maxima(backends.get("cpu"), x, kernel, kernel, (0, 0), (1, 1),
                                                          out_size)
    assert unreachable is None
    return values, indices


@SETTINGS
@given(problem=problems())
def test_the_vector_pooling_equals_the_reference(problem):
    x, kernel, out_size = problem
    assert vector_pool.fits(x, kernel, kernel, (1, 1), out_size)
    before = x.copy()
    values, indices = vector_pool.max_pool(numpy, x, kernel, out_size)
    expected_values, expected_indices = reference(x, kernel, out_size)
    assert values.dtype == x.dtype and indices.dtype == numpy.int64 and values.shape == expected_values.shape
    numpy.testing.assert_array_equal(values, expected_values)
    numpy.testing.assert_array_equal(indices, expected_indices)
    numpy.testing.assert_array_equal(x, before)  # the input is only read


def test_strided_inputs_are_read_right():
    x = numpy.random.default_rng(0).standard_normal((3, 8, 12, 30))[:, ::2, :, ::2]  # (3, 4, 12, 15), strided
    values, indices = vector_pool.max_pool(numpy, x, (2, 2), (6, 7))
    expected_values, expected_indices = reference(x, (2, 2), (6, 7))
    numpy.testing.assert_array_equal(values, expected_values)
    numpy.testing.assert_array_equal(indices, expected_indices)


def test_a_nan_after_the_maximum_takes_over_and_the_first_of_equal_maxima_wins():
    x = numpy.array([[[[1.0, 5.0, 5.0, 2.0], [5.0, numpy.nan, 0.0, 5.0]]]], dtype="float32")
    values, indices = vector_pool.max_pool(numpy, x, (2, 2), (1, 2))
    assert numpy.isnan(values[0, 0, 0, 0]) and indices[0, 0, 0, 0] == 5  # the NaN at (1, 1)
    assert values[0, 0, 0, 1] == 5.0 and indices[0, 0, 0, 1] == 2  # the first 5, at (0, 2)


def test_the_domain():
    x = numpy.zeros((2, 3, 28, 28), "float32")
    fits = vector_pool.fits
    assert fits(x, (2, 2), (2, 2), (1, 1), (14, 14))
    assert fits(x, (2, 3), (2, 3), (1, 1), (14, 9))
    assert not fits(x, (3, 3), (2, 2), (1, 1), (13, 13))  # overlapping windows
    assert not fits(x, (2, 2), (2, 2), (2, 2), (13, 13))  # dilation
    assert not fits(x, (5, 5), (5, 5), (1, 1), (5, 5))  # beyond MAX_WINDOW
    assert not fits(x.astype("int32"), (2, 2), (2, 2), (1, 1), (14, 14))
    assert not fits(x.astype("float16"), (2, 2), (2, 2), (1, 1), (14, 14))


def test_a_lenet_step_pools_through_it_and_equals_the_reference_kernels(monkeypatch):
    backend = backends.get("cpu")
    calls = []
    original = vector_pool.max_pool
    monkeypatch.setattr(vector_pool, "max_pool", lambda xp, x, *a: calls.append(x.shape) or original(xp, x, *a))
    rng = numpy.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in ((4, 1, 28, 28), (6, 1, 5, 5), (16, 6, 5, 5))]

    def step():
        x, w1, w2 = (minigrad.tensor(a, requires_grad=True) for a in arrays)
        out = F.max_pool2d(F.relu(F.conv2d(F.max_pool2d(F.relu(F.conv2d(x, w1, padding=2)), 2), w2)), 2)
        (out * out).sum().backward()
        return [t.numpy() for t in (out.detach(), x.grad, w1.grad, w2.grad)]

    monkeypatch.setattr(backend, "kernels", numba_kernels.NumbaKernels())
    fast = step()
    assert calls == [(4, 6, 28, 28), (4, 16, 10, 10)]
    monkeypatch.setattr(backend, "kernels", minigrad.backends.kernels.Kernels())
    for got, expected in zip(fast, step()):
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
