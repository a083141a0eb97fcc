"""NumPy 1.x computes a 0-d float32 array times a Python number in float64 (value-based casting,
before NEP 50); minigrad then gives the number the result dtype first. CI runs the core tests
under NumPy 1.26 too; here the same path is forced under NumPy 2 and must change nothing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import minigrad

tensor_module = sys.modules["minigrad.tensor"]  # `minigrad.tensor` is also the factory function


@pytest.fixture
def widening_path(monkeypatch):
    backend = minigrad.tensor(1.0).backend
    monkeypatch.setitem(tensor_module._WIDENS_PYTHON_SCALARS, backend.xp, True)


def test_the_probe_matches_this_numpy():
    backend = minigrad.tensor(1.0).backend
    assert tensor_module._widens_python_scalars(backend) is (np.lib.NumpyVersion(np.__version__) < "2.0.0")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_scalar_ops_on_0d_tensors_keep_pytorchs_dtypes_on_the_numpy_1_path(widening_path, torch, dtype):
    for value in (2, 2.5, True):
        for op in ("__add__", "__radd__", "__mul__", "__truediv__", "__rtruediv__", "__sub__"):
            if op == "__sub__" and (dtype == "bool" or value is True):
                continue  # PyTorch refuses bool subtraction
            x = minigrad.tensor(3).to(getattr(minigrad, dtype))
            expected = getattr(torch.tensor(3).to(getattr(torch, dtype)), op)(value)
            result = getattr(x, op)(value)
            assert result.dtype == getattr(minigrad, str(expected.dtype).removeprefix("torch.")), (op, value)
            np.testing.assert_allclose(result.numpy(), expected.numpy())


def test_the_mean_of_float32_is_float32_with_its_gradient(widening_path):
    x = minigrad.ones(4, requires_grad=True)
    loss = x.mean() * 2
    loss.backward()
    assert loss.dtype == minigrad.float32 and x.grad.dtype == minigrad.float32
    np.testing.assert_allclose(x.grad.numpy(), [0.5] * 4)
