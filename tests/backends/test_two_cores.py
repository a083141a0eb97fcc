"""A large convolution's two half-batches on two threads (``backends/kernels/two_cores``):
the same result as the whole batch, OpenBLAS's thread count held at one meanwhile and restored,
no deadlock when called from inside a split, a forked child gets its own worker."""

from __future__ import annotations

import sys
import threading

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from minigrad.backends.kernels import array_kernels, numba_kernels, two_cores
from minigrad.backends.kernels.two_cores import BatchSplit

import minigrad
import minigrad.nn.functional as F
from minigrad import backends
from minigrad.ops import conv as conv_ops

threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl is the fast extra")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class CountingBlas:
    """OpenBLAS's controller as threadpoolctl gives it, with every count set recorded."""

    def __init__(self, threads: int = 2) -> None:
        self.threads, self.seen = threads, []

    def get_num_threads(self) -> int:
        return self.threads

    def set_num_threads(self, threads: int) -> None:
        self.threads = threads
        self.seen.append(threads)


def counted(method, calls: list):
    def wrapper(self, compute, x):
        calls.append(x.shape)
        return method(self, compute, x)
    return wrapper


def real_split(min_numbers: int = 0) -> BatchSplit:
    split = two_cores.batch_split()
    if split is None:
        pytest.fail("threadpoolctl is installed but found no OpenBLAS under NumPy")
    split.min_numbers = min_numbers
    return split


@st.composite
def problems(draw):
    n, c, o = draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1)))
    h, w = draw(st.integers(kh, 8)), draw(st.integers(kw, 8))
    out_size = tuple(conv_ops.output_size(*a) for a in zip((h, w), (kh, kw), stride, padding, (1, 1)))
    rng = numpy.random.default_rng(draw(st.integers(0, 2**16)))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((o, c, kh, kw)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype) if draw(st.booleans()) else None
    return x, weight, bias, stride, padding, (1, 1), 1, out_size


KERNEL_CLASSES = [array_kernels.ArrayKernels] + ([numba_kernels.NumbaKernels] if numba_kernels.available() else [])


@pytest.mark.parametrize("kernel_class", KERNEL_CLASSES)
@SETTINGS
@given(problem=problems(), block_bytes=st.sampled_from([None, 64, 4096]))
def test_the_split_convolution_equals_the_reference(kernel_class, problem, block_bytes):
    backend = backends.get("cpu")
    x, weight, bias, stride, padding, dilation, groups, out_size = problem
    kernels = kernel_class(block_bytes=block_bytes, split=real_split())
    before = x.copy()
    out = kernels.conv2d(backend, x, weight, bias, stride, padding, dilation, groups, out_size)
    if out is None:  # no fast layout for these shapes: the primitive runs its reference
        return
    expected = conv_ops.correlate(backend, x, weight, stride, padding, dilation, groups, out_size)
    if bias is not None:
        expected = expected + bias.reshape(-1, 1, 1)
    tolerance = 1e-10 if x.dtype == numpy.float64 else 1e-5
    assert out.dtype == x.dtype and out.shape == expected.shape and out.flags.c_contiguous
    numpy.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)
    numpy.testing.assert_array_equal(x, before)


def test_each_half_runs_with_one_blas_thread_on_its_own_thread_and_the_count_comes_back():
    blas = CountingBlas(threads=2)
    split = BatchSplit(blas, min_numbers=0)
    seen = []

    def compute(part):
        seen.append((part.shape[0], blas.threads, threading.current_thread().name))
        return part * 2

    x = numpy.arange(5 * 3, dtype=numpy.float64).reshape(5, 3)
    numpy.testing.assert_array_equal(split(compute, x), x * 2)
    assert sorted(s[0] for s in seen) == [2, 3]  # both halves, each once
    assert all(s[1] == 1 for s in seen)  # OpenBLAS at one thread while they ran
    assert len({s[2] for s in seen}) == 2  # on two threads
    assert blas.threads == 2 and blas.seen == [1, 2]


def test_the_count_comes_back_when_a_half_raises():
    blas = CountingBlas(threads=3)
    split = BatchSplit(blas, min_numbers=0)

    def compute(part):
        raise MemoryError("no room")

    with pytest.raises(MemoryError):
        split(compute, numpy.zeros((4, 2)))
    assert blas.threads == 3


def test_a_split_inside_a_split_runs_whole_instead_of_waiting_for_itself():
    blas = CountingBlas()
    split = BatchSplit(blas, min_numbers=0)
    x = numpy.arange(8.0).reshape(4, 2)
    inner = split(lambda part: split(lambda p: p + 1, part), x)
    numpy.testing.assert_array_equal(inner, x + 1)
    assert blas.threads == 2


def test_small_inputs_and_single_images_do_not_split():
    split = BatchSplit(CountingBlas(), min_numbers=100)
    assert not split.pays(numpy.zeros((4, 24)))  # 96 numbers
    assert split.pays(numpy.zeros((4, 25)))
    assert not BatchSplit(CountingBlas(), min_numbers=0).pays(numpy.zeros((1, 1000)))


def test_a_forked_child_gets_a_worker_of_its_own(monkeypatch):
    split = BatchSplit(CountingBlas(), min_numbers=0)
    parent_pool = split._worker()
    monkeypatch.setattr(two_cores.os, "getpid", lambda: -12345)  # as if in a forked child
    assert split._worker() is not parent_pool
    numpy.testing.assert_array_equal(split(lambda p: p * 3, numpy.ones((2, 2))), 3 * numpy.ones((2, 2)))


def test_without_threadpoolctl_nothing_splits(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import raises ImportError
    assert two_cores.batch_split() is None


def test_the_cpu_kernels_split_large_convolutions():
    assert isinstance(backends.get("cpu").kernels.split, BatchSplit)
    assert backends.get("cpu").kernels.split.min_numbers == two_cores.SPLIT_MIN_NUMBERS


def test_a_training_step_split_is_the_step_whole(monkeypatch):
    """A LeNet-like step whose convolutions all split gives the whole-batch step's numbers."""
    kernels = backends.get("cpu").kernels
    monkeypatch.setattr(kernels, "block_bytes", 64)  # every convolution takes a layout of its own
    calls = []
    monkeypatch.setattr(BatchSplit, "__call__", counted(BatchSplit.__call__, calls))
    rng = numpy.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype("float32") for s in ((6, 3, 12, 12), (5, 3, 3, 3), (5,))]

    def step():
        x, weight, bias = (minigrad.tensor(a, requires_grad=True) for a in arrays)
        out = F.max_pool2d(F.relu(F.conv2d(x, weight, bias, padding=1)), 2)
        (out * out).sum().backward()
        return [t.numpy() for t in (out.detach(), x.grad, weight.grad, bias.grad)]

    monkeypatch.setattr(kernels, "split", None)
    whole = step()
    assert not calls
    monkeypatch.setattr(kernels, "split", real_split())
    for got, expected in zip(step(), whole):
        numpy.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert len(calls) == 3  # the forward, and both duality correlations of the backward
