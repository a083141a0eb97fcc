"""Every fast realisation a backend owns computes what the primitive's reference computes.

``minigrad/ops`` keeps one reference realisation per primitive (conv2d: im2col + one GEMM;
max pooling: windows + max, a scatter-add and a gather for its gradient); ``backends/kernels``
holds the fast ones, chosen by shape. Each fast realisation, with each of its internal paths
(one block or many, whole kernel rows or pieces of a row), is pinned here to the reference on
hypothesis-drawn shapes, on the CPU and on the CUDA backend (its fake, on any machine).
"""

from __future__ import annotations

from typing import Any

import fake_cupy
import numpy
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from minigrad.backends.kernels import Kernels, array_kernels, cpu_kernels, numba_kernels
from minigrad.backends.kernels.array_kernels import ArrayKernels

import minigrad
import minigrad.nn.functional as F
from minigrad import backends
from minigrad.ops import conv as conv_ops
from minigrad.ops import pool as pool_ops

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(params=["cpu", "fake_cuda"])
def backend(request: Any, monkeypatch: Any) -> Any:
    """The backend under test (``fake_cuda``: the real CupyBackend on the NumPy-based fake)."""
    if request.param == "fake_cuda":
        fake_cupy.install(monkeypatch)
        request.addfinalizer(fake_cupy.uninstall)
        return backends.get("cuda")
    return backends.get("cpu")


# The fast kernels each device may own: NumPy's everywhere, numba's on the CPU where installed
# (numba is the ``fast`` extra; without it the NumPy kernels are the CPU's, and are tested).
KERNELS = [
    pytest.param(lambda: ArrayKernels(), id="array"),
    pytest.param(
        lambda: numba_kernels.NumbaKernels(),
        id="numba",
        marks=pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed (the fast extra)"),
    ),
]


@pytest.fixture(params=KERNELS)
def kernels(request: Any, backend: Any) -> Any:
    made = request.param()
    if made.name == "numba" and backend.type != "cpu":
        pytest.skip("numba's kernels are the CPU's only")
    return made


def on(backend: Any, array: numpy.ndarray) -> Any:
    return backend.asarray(array)


def host(backend: Any, array: Any) -> numpy.ndarray:
    return backend.to_numpy(array)


@st.composite
def conv_problems(draw, full: bool = False):
    """A float64 cross-correlation problem: arrays and the primitive's normalised arguments."""
    groups = draw(st.sampled_from([1, 2]))
    c, o = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if full:  # the scatter's domain: stride 1, padding at most the kernel's reach
        stride = (1, 1)
        padding = (draw(st.integers(0, dilation[0] * (kh - 1))), draw(st.integers(0, dilation[1] * (kw - 1))))
    else:
        stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    out_size = tuple(conv_ops.output_size(*args) for args in zip((h, w), (kh, kw), stride, padding, dilation))
    assume(min(out_size) >= 1)
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    n = draw(st.integers(1, 4))
    x = rng.standard_normal((n, c, h, w))
    weight = rng.standard_normal((o, c // groups, kh, kw))
    bias = rng.standard_normal(o)
    return x, weight, bias, stride, padding, dilation, groups, out_size


def reference_conv(backend, x, weight, bias, stride, padding, dilation, groups, out_size):
    out = conv_ops.correlate(backend, x, weight, stride, padding, dilation, groups, out_size)
    return host(backend, out) + host(backend, bias).reshape(-1, 1, 1)


def device_problem(backend, problem):
    x, weight, bias, *rest = problem
    return (on(backend, x), on(backend, weight), on(backend, bias), *rest)


# Block sizes that take every path: everything at once, one item per block, a few items.
BLOCKS = [None, 8, 2048]


@SETTINGS
@given(problem=conv_problems(), block_bytes=st.sampled_from(BLOCKS))
def test_gather_in_blocks_equals_the_reference(backend, problem, block_bytes):
    x, weight, bias, stride, padding, dilation, groups, out_size = device_problem(backend, problem)
    out = array_kernels.correlate_in_blocks(backend, x, weight, bias, stride, padding, dilation, groups,
                                            out_size, block_bytes)
    expected = reference_conv(backend, x, weight, bias, stride, padding, dilation, groups, out_size)
    numpy.testing.assert_allclose(host(backend, out), expected, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(problem=conv_problems(), block_bytes=st.sampled_from(BLOCKS))
def test_channels_last_gather_equals_the_reference(backend, problem, block_bytes):
    x, weight, bias, stride, padding, dilation, groups, out_size = device_problem(backend, problem)
    out = array_kernels.correlate_channels_last(backend, x, weight, stride, padding, dilation, groups,
                                                out_size, block_bytes)
    expected = reference_conv(backend, x, weight, bias, stride, padding, dilation, groups, out_size)
    out = host(backend, out) + host(backend, bias).reshape(-1, 1, 1)
    numpy.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(problem=conv_problems(full=True), block_bytes=st.sampled_from(BLOCKS))
def test_scatter_equals_the_reference(backend, problem, block_bytes):
    x, weight, bias, stride, padding, dilation, groups, out_size = device_problem(backend, problem)
    out = array_kernels.correlate_by_scatter(backend, x, weight, padding, dilation, groups, out_size, block_bytes)
    expected = reference_conv(backend, x, weight, bias, stride, padding, dilation, groups, out_size)
    out = host(backend, out) + host(backend, bias).reshape(-1, 1, 1)
    numpy.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(problem=st.one_of(conv_problems(), conv_problems(full=True)), block_bytes=st.sampled_from(BLOCKS))
def test_the_kernels_choice_equals_the_reference(backend, kernels, problem, block_bytes):
    """Whatever layout ``conv2d`` picks for the shapes (or none), the result is the reference's."""
    x, weight, bias, stride, padding, dilation, groups, out_size = device_problem(backend, problem)
    kernels.block_bytes = block_bytes
    out = kernels.conv2d(backend, x, weight, bias, stride, padding, dilation, groups, out_size)
    assume(out is not None)
    expected = reference_conv(backend, x, weight, bias, stride, padding, dilation, groups, out_size)
    numpy.testing.assert_allclose(host(backend, out), expected, rtol=1e-10, atol=1e-10)


@st.composite
def one_channel_problems(draw):
    """The numba direct loop's domain: one input channel, stride 1, up to 8 output channels."""
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    out_size = tuple(conv_ops.output_size(*args) for args in zip((h, w), (kh, kw), (1, 1), padding, dilation))
    assume(min(out_size) >= 1)
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 4)), 1, h, w))
    out_channels = draw(st.integers(1, numba_kernels.ONE_CHANNEL_MAX_OUTPUTS))  # odd counts too
    weight = rng.standard_normal((out_channels, 1, kh, kw))
    bias = rng.standard_normal(out_channels) if draw(st.booleans()) else None
    return x, weight, bias, (1, 1), padding, dilation, 1, out_size


@pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed (the fast extra)")
@SETTINGS
@given(problem=one_channel_problems(), dtype=st.sampled_from(["float64", "float32"]))
def test_numbas_one_channel_correlation_equals_the_reference(problem, dtype):
    backend, kernels = backends.get("cpu"), numba_kernels.NumbaKernels()
    x, weight, bias, stride, padding, dilation, groups, out_size = problem
    x, weight = x.astype(dtype), weight.astype(dtype)
    bias = None if bias is None else bias.astype(dtype)
    assert numba_kernels.is_one_channel(x, weight, stride, groups)
    before = x.copy()
    out = kernels.conv2d(backend, x, weight, bias, stride, padding, dilation, groups, out_size)
    expected = conv_ops.correlate(backend, x, weight, stride, padding, dilation, groups, out_size)
    if bias is not None:
        expected = expected + bias.reshape(-1, 1, 1)
    assert out.dtype == x.dtype and out.shape == expected.shape and out.flags.c_contiguous
    tolerance = 1e-10 if dtype == "float64" else 1e-5
    numpy.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
    numpy.testing.assert_array_equal(x, before)  # the input is read, never written


@st.composite
def large_kernel_problems(draw):
    """Correlations with a kernel larger than the output (weight gradients), stride 1."""
    b, c, out_channels = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 8))
    h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    kh, kw = draw(st.integers(1, h + 2 * padding[0])), draw(st.integers(1, w + 2 * padding[1]))
    out_size = (h + 2 * padding[0] - kh + 1, w + 2 * padding[1] - kw + 1)
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    bias = rng.standard_normal(out_channels) if draw(st.booleans()) else None
    return (rng.standard_normal((b, c, h, w)), rng.standard_normal((out_channels, c, kh, kw)), bias,
            (1, 1), padding, (1, 1), 1, out_size)


@pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed (the fast extra)")
@SETTINGS
@given(problem=large_kernel_problems(), dtype=st.sampled_from(["float64", "float32"]))
def test_numbas_large_kernel_correlation_equals_the_reference(problem, dtype):
    backend = backends.get("cpu")
    x, weight, bias, stride, padding, dilation, groups, out_size = problem
    x, weight = x.astype(dtype), weight.astype(dtype)
    bias = None if bias is None else bias.astype(dtype)
    before = (x.copy(), weight.copy())
    out = numba_kernels.correlate_with_large_kernel(backend, x, weight, bias, padding, out_size)
    expected = conv_ops.correlate(backend, x, weight, stride, padding, dilation, groups, out_size)
    if bias is not None:
        expected = expected + bias.reshape(-1, 1, 1)
    assert out.dtype == x.dtype and out.shape == expected.shape
    tolerance = 1e-10 if dtype == "float64" else 1e-4
    numpy.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
    numpy.testing.assert_array_equal(x, before[0])
    numpy.testing.assert_array_equal(weight, before[1])


@pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed (the fast extra)")
def test_numbas_large_kernel_loop_propagates_nan_and_inf():
    backend = backends.get("cpu")
    x, weight = numpy.ones((1, 2, 4, 4)), numpy.ones((3, 2, 3, 3))
    x[0, 1, 0, 0], weight[2, 0, 2, 2] = numpy.nan, numpy.inf
    out = numba_kernels.correlate_with_large_kernel(backend, x, weight, None, (0, 0), (2, 2))
    expected = conv_ops.correlate(backend, x, weight, (1, 1), (0, 0), (1, 1), 1, (2, 2))
    numpy.testing.assert_array_equal(out, expected)  # same NaN and inf places (small exact sums)


def test_numbas_one_channel_weight_gradient_takes_only_its_domain():
    images, grads = numpy.zeros((1, 8, 12, 12)), numpy.zeros((6, 8, 10, 10))  # x^T, dy^T
    assert numba_kernels.is_one_channel_weight_gradient(images, grads, (1, 1), (1, 1), 1, (3, 3))
    assert not numba_kernels.is_one_channel_weight_gradient(numpy.zeros((2, 8, 12, 12)), grads, (1, 1), (1, 1), 1,
                                                            (3, 3))  # two input channels: the gather's
    assert not numba_kernels.is_one_channel_weight_gradient(images, grads, (1, 1), (2, 2), 1, (2, 2))
    assert not numba_kernels.is_one_channel_weight_gradient(images, numpy.zeros((6, 8, 2, 2)), (1, 1), (1, 1), 1,
                                                            (11, 11))  # a small kernel: a forward


def test_numbas_one_channel_loop_takes_only_its_domain():
    x, weight = numpy.zeros((2, 1, 5, 5)), numpy.zeros((4, 1, 3, 3))
    assert numba_kernels.is_one_channel(x, weight, (1, 1), 1)
    assert not numba_kernels.is_one_channel(x, weight, (2, 1), 1)  # strided: the gather's
    assert not numba_kernels.is_one_channel(numpy.zeros((2, 2, 5, 5)), numpy.zeros((4, 2, 3, 3)), (1, 1), 1)
    assert not numba_kernels.is_one_channel(x, numpy.zeros((16, 1, 3, 3)), (1, 1), 1)  # many outputs
    assert not numba_kernels.is_one_channel(x.astype("float16"), weight.astype("float16"), (1, 1), 1)


@pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed (the fast extra)")
def test_a_one_image_weight_gradient_takes_the_large_kernel_loop(monkeypatch):
    """With one image, dL/dW's "kernel" (the upstream gradient) has one channel as well, so both
    loops' domains hold it; the direct loop would take each of its Ho * Wo pixels as a tap."""
    rng = numpy.random.default_rng(3)
    images, grads = rng.standard_normal((1, 1, 28, 28)), rng.standard_normal((6, 1, 28, 28))
    arguments = ((1, 1), (2, 2), (1, 1), 1, (5, 5))
    assert numba_kernels.is_one_channel(images, grads, (1, 1), 1)
    assert numba_kernels.is_one_channel_weight_gradient(images, grads, (1, 1), (1, 1), 1, (5, 5))
    monkeypatch.setattr(numba_kernels, "correlate_one_channel", None)  # calling it would raise
    out = numba_kernels.NumbaKernels().conv2d(backends.get("cpu"), images, grads, None, *arguments)
    expected = conv_ops.correlate(backends.get("cpu"), images, grads, *arguments)
    numpy.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


def test_tap_blocks_cover_the_kernel_once_by_whole_rows_or_row_pieces():
    for kh, kw, taps in [(5, 5, 25), (5, 5, 10), (5, 5, 5), (5, 5, 3), (5, 5, 1), (3, 7, 4)]:
        cells = []
        for rows, columns in array_kernels.tap_blocks(kh, kw, taps):
            block = [(i, j) for i in range(kh)[rows] for j in range(kw)[columns]]
            assert 0 < len(block) <= taps
            cells += block
        assert sorted(cells) == [(i, j) for i in range(kh) for j in range(kw)]
    # 3 taps on a 5-wide kernel: pieces of a row; 10 taps: two whole rows per block.
    assert list(array_kernels.tap_blocks(5, 5, 3))[:2] == [(slice(0, 1), slice(0, 3)), (slice(0, 1), slice(3, 5))]
    assert list(array_kernels.tap_blocks(5, 5, 10))[0] == (slice(0, 2), slice(0, 5))


def test_the_layouts_are_chosen_by_shape():
    kernels = ArrayKernels(block_bytes=512 * 1024)
    layout = kernels.conv2d_layout
    # LeNet's second convolution, batch 64: columns of 3.8 MB, copied a block at a time.
    assert layout((64, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0), (1, 1), (10, 10), 4) == "blocks"
    # Its weight gradient (the batch contracted, a 10x10 "kernel" over a 5x5 output) ...
    assert layout((6, 64, 14, 14), (16, 64, 10, 10), (1, 1), (0, 0), (1, 1), (5, 5), 4) == "channels_last"
    # ... and its input gradient, a full convolution.
    assert layout((64, 16, 10, 10), (6, 16, 5, 5), (1, 1), (4, 4), (1, 1), (14, 14), 4) == "scatter"
    # Columns that fit one block: the blocked copy is the reference's one GEMM, so none.
    assert layout((2, 3, 8, 8), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), (6, 6), 4) is None
    assert ArrayKernels(block_bytes=None).conv2d_layout(
        (64, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0), (1, 1), (10, 10), 4) is None


# --- max pooling ---------------------------------------------------------------------------
@st.composite
def pool_problems(draw):
    """Unpadded windows wholly inside the input, with ties and NaNs likely."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    tiling = draw(st.booleans())
    stride = kernel if tiling else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if tiling else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    out_size = tuple(pool_ops.pool_output_size(*a, False) for a in zip((h, w), kernel, stride, (0, 0), dilation))
    assume(min(out_size) >= 1)
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.integers(-2, 3, size=(draw(st.integers(1, 3)), draw(st.integers(1, 3)), h, w)).astype(float)
    if draw(st.booleans()):
        x[rng.random(x.shape) < 0.1] = numpy.nan
    return x, kernel, stride, dilation, out_size


@SETTINGS
@given(problem=pool_problems())
def test_max_pool_kernels_equal_windows_and_max(backend, kernels, problem):
    x, kernel, stride, dilation, out_size = problem
    x = on(backend, x)
    found = kernels.max_pool2d(backend, x, kernel, stride, dilation, out_size)
    assume(found is not None)
    values, indices, unreachable = pool_ops.window_maxima(backend, x, kernel, stride, (0, 0), dilation, out_size)
    assert unreachable is None
    numpy.testing.assert_array_equal(host(backend, found[0]), host(backend, values))
    numpy.testing.assert_array_equal(host(backend, found[1]), host(backend, indices))


@pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed (the fast extra)")
@SETTINGS
@given(problem=pool_problems())
def test_numbas_winner_scatter_and_gather_equal_the_reference(problem):
    """NumPy's scatter-add (``add.at``) and gather are the reference and the array kernels'."""
    backend, kernels = backends.get("cpu"), numba_kernels.NumbaKernels()
    x, kernel, stride, dilation, out_size = problem
    x = on(backend, x)
    _, indices, _ = pool_ops.window_maxima(backend, x, kernel, stride, (0, 0), dilation, out_size)
    grad = on(backend, numpy.random.default_rng(0).standard_normal(indices.shape))
    geometry = (kernel, stride, (0, 0), dilation)
    scattered = kernels.scatter_to_winners(backend, grad, indices, x.shape[2:], *geometry)
    expected = pool_ops.scatter_add_to_winners(backend, grad, indices, x.shape[2:])
    numpy.testing.assert_array_equal(scattered, expected)
    gathered = kernels.gather_winners(backend, x, indices, *geometry)
    numpy.testing.assert_array_equal(gathered, pool_ops.read_winners(backend, x, indices))


# --- the primitives end to end, with and without the backend's kernels -----------------------
def lenet_like_step(x, conv_weight, conv_bias):
    """A convolution, ReLU and max pooling, forward and backward; returns output and gradients."""
    out = F.max_pool2d(F.relu(F.conv2d(x, conv_weight, conv_bias, padding=1)), 2)
    (out * out).sum().backward()
    return [out.detach(), x.grad, conv_weight.grad, conv_bias.grad]


def test_a_training_step_is_the_same_with_the_reference_kernels(backend, kernels, monkeypatch):
    monkeypatch.setattr(backend, "kernels", kernels)
    rng = numpy.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((8, 3, 12, 12), (5, 3, 3, 3), (5,))]

    def run():
        tensors = [minigrad.tensor(a, device=backend.name, requires_grad=True) for a in arrays]
        return [host(backend, t._array) for t in lenet_like_step(*tensors)]

    fast = run()
    monkeypatch.setattr(backend, "kernels", Kernels())
    reference = run()
    for got, expected in zip(fast, reference):
        numpy.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_integer_max_pooling_on_the_kernels(backend, kernels):
    x = on(backend, numpy.arange(2 * 3 * 6 * 4).reshape(2, 3, 6, 4) % 7)
    found = kernels.max_pool2d(backend, x, (2, 2), (2, 2), (1, 1), (3, 2))
    values, indices, _ = pool_ops.window_maxima(backend, x, (2, 2), (2, 2), (0, 0), (1, 1), (3, 2))
    numpy.testing.assert_array_equal(host(backend, found[0]), host(backend, values))
    numpy.testing.assert_array_equal(host(backend, found[1]), host(backend, indices))


def test_cpu_kernels_can_be_chosen_and_the_reference_is_always_there(monkeypatch):
    assert type(cpu_kernels("reference")) is Kernels
    assert type(cpu_kernels("numpy")) is ArrayKernels
    assert cpu_kernels("numba").name == ("numba" if numba_kernels.available() else "array")
    monkeypatch.setattr(numba_kernels, "available", lambda: False)  # numba missing: NumPy's
    assert type(cpu_kernels("numba")) is ArrayKernels
    with pytest.raises(ValueError, match="MINIGRAD_KERNELS"):
        cpu_kernels("fortran")
    monkeypatch.setenv("MINIGRAD_KERNELS", "reference")
    assert type(cpu_kernels()) is Kernels


@pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed (the fast extra)")
def test_numbas_loops_start_no_thread_pool_of_their_own():
    # Run in parallel, numba's OpenMP pool and OpenBLAS's threads spun against each other: a
    # batch-16 LeNet step on 2 cores took 25 ms instead of 9 (benchmarks/lenet_mnist.py). The
    # loops stay serial; OpenBLAS keeps the cores for the GEMMs.
    loops = numba_kernels._compiled()
    for loop in (loops.max_pool, loops.scatter, loops.gather):
        assert not loop.targetoptions.get("parallel"), loop


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4, 5)])
def test_threshold_backward_equals_the_select(backend, kernels, shape, dtype, layout):
    """ReLU's backward: ``grad`` where NOT ``out <= 0``, else 0 — also for inf and NaN gradients
    (a product would turn them into NaN at dead units) and NaN outputs (which pass)."""
    rng = numpy.random.default_rng(0)
    size = int(numpy.prod(shape))
    grad = rng.standard_normal(size)
    grad[: min(size, 4)] = [numpy.inf, -numpy.inf, numpy.nan, 0.0][: min(size, 4)]
    out = numpy.maximum(rng.standard_normal(size), 0)
    out[-min(size, 3):] = [numpy.nan, -0.0, 0.0][-min(size, 3):]
    grad, out = grad.reshape(shape).astype(dtype), out.reshape(shape).astype(dtype)
    if shape == ():
        grad, out = numpy.array(numpy.inf, dtype=dtype), numpy.array(0.0, dtype=dtype)
    if layout == "strided" and grad.ndim:
        grad, out = numpy.repeat(grad, 2, axis=-1)[..., ::2], numpy.repeat(out, 2, axis=-1)[..., ::2]
    before = (grad.copy(), out.copy())
    expected = numpy.where(numpy.logical_not(out <= 0), grad, grad.dtype.type(0))
    result = kernels.threshold_backward(backend, on(backend, grad), on(backend, out))
    numpy.testing.assert_array_equal(grad, before[0])  # inputs unchanged
    numpy.testing.assert_array_equal(out, before[1])
    if result is None:  # no fast realisation: the op's reference (the select) runs. Only these:
        assert backend.type != "cpu" or shape == () or not isinstance(kernels, ArrayKernels)
        return
    result = host(backend, result)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    numpy.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shape", [(), (9,), (3, 4, 5)])
def test_relu_kernels_equal_maximum_bit_for_bit(backend, kernels, shape, dtype, layout):
    rng = numpy.random.default_rng(0)
    size = int(numpy.prod(shape))
    x = rng.standard_normal(size) * 3
    if dtype != "int64":
        x[: min(size, 5)] = [numpy.nan, -0.0, 0.0, -numpy.inf, numpy.inf][: min(size, 5)]
    x = x.reshape(shape).astype(dtype)
    if layout == "strided" and x.ndim:
        x = numpy.repeat(x, 2, axis=-1)[..., ::2]
    before = x.copy()
    expected = numpy.maximum(x, 0)
    result = kernels.relu(backend, on(backend, x))
    numpy.testing.assert_array_equal(x, before)
    if result is None:  # the op's reference, maximum, runs
        assert not isinstance(kernels, numba_kernels.NumbaKernels) or dtype == "int64" or not x.ndim \
            or layout == "strided"
        return
    result = host(backend, result)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    numpy.testing.assert_array_equal(result, expected)
    numpy.testing.assert_array_equal(numpy.signbit(result), numpy.signbit(expected))  # -0 as maximum's
