"""numba's one-pass momentum step (``NumbaKernels.momentum_step``) writes the bits of
``optim.SGD``'s NumPy sequence, and SGD takes it only where its rule is that sequence."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from minigrad.backends.kernels import Kernels, numba_kernels

import minigrad
from minigrad import backends, optim

pytestmark = pytest.mark.skipif(not numba_kernels.available(), reason="numba is not installed (the fast extra)")


@settings(max_examples=30, deadline=None)
@given(size=st.integers(0, 300), dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2**16),
       lr=st.floats(1e-4, 1.0), momentum=st.floats(0.01, 0.99))
def test_the_one_pass_step_writes_the_numpy_sequences_bits(size, dtype, seed, lr, momentum):
    rng = numpy.random.default_rng(seed)
    param, grad, buffer = (rng.standard_normal(size).astype(dtype) for _ in range(3))
    grad[rng.random(size) < 0.2] = 0  # dead units: their buffers decay
    expected_param, expected_buffer = param.copy(), buffer.copy()
    expected_buffer *= momentum
    expected_buffer += grad
    expected_param -= lr * expected_buffer
    before = grad.copy()
    assert numba_kernels.NumbaKernels().momentum_step(backends.get("cpu"), param, grad, buffer, lr, momentum)
    numpy.testing.assert_array_equal(buffer.view(f"u{buffer.itemsize}"), expected_buffer.view(f"u{buffer.itemsize}"))
    numpy.testing.assert_array_equal(param.view(f"u{param.itemsize}"), expected_param.view(f"u{param.itemsize}"))
    numpy.testing.assert_array_equal(grad, before)


def test_it_declines_what_it_does_not_take():
    kernels, backend = numba_kernels.NumbaKernels(), backends.get("cpu")
    a = numpy.zeros((4, 6), "float32")
    assert kernels.momentum_step(backend, a, a.T.copy().T, a.copy(), 0.1, 0.9) is None  # a strided gradient
    assert kernels.momentum_step(backend, a, a.astype("float64"), a.copy(), 0.1, 0.9) is None
    assert kernels.momentum_step(backend, a.astype("int32"), a.astype("int32"), a.astype("int32"), 0.1, 0.9) is None


@pytest.mark.parametrize("options", [{}, {"nesterov": True}, {"dampening": 0.5}, {"weight_decay": 0.1}])
def test_sgd_steps_the_same_with_and_without_it(monkeypatch, options):
    backend = backends.get("cpu")
    calls = []
    original = numba_kernels.NumbaKernels.momentum_step
    monkeypatch.setattr(numba_kernels.NumbaKernels, "momentum_step",
                        lambda self, *a: calls.append(1) or original(self, *a))

    def train(kernels) -> list:
        monkeypatch.setattr(backend, "kernels", kernels)
        rng = numpy.random.default_rng(0)
        weight = minigrad.tensor(rng.standard_normal((5, 3)).astype("float32"), requires_grad=True)
        optimizer = optim.SGD([weight], lr=0.1, momentum=0.9, **options)
        for _ in range(4):
            optimizer.zero_grad()
            x = minigrad.tensor(rng.standard_normal((7, 3)).astype("float32"))
            (x @ weight.T).relu().square().sum().backward()
            optimizer.step()
        return weight.detach().numpy()

    fast = train(numba_kernels.NumbaKernels())
    assert len(calls) == (3 if options.get("weight_decay") or not options else 0)  # steps 2-4 (step 1 fills the buffer)
    numpy.testing.assert_array_equal(fast, train(Kernels()))
