"""The math ops that are not primitives (predicates, bitwise ops, scans, norms...) on every
device: the same values and gradients as on the CPU, and results that hold the device's own
arrays. ``fake_cuda`` runs the CUDA backend on the NumPy-based stand-in for CuPy (which refuses
host arrays in device ops), so the GPU code path is exercised on every machine. The primitives
themselves are in the conformance suite (tests/backends/test_conformance.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import backends

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
import fake_cupy  # noqa: E402  (tests/backends is not a package)


@pytest.fixture(params=["cpu", "fake_cuda", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request, monkeypatch):
    if request.param == "cuda":
        reason = backends.available().get("cuda")
        if reason is not None:
            pytest.skip(f"no CUDA GPU: {reason}")
    if request.param == "fake_cuda":
        fake_cupy.install(monkeypatch)
        request.addfinalizer(fake_cupy.uninstall)
        return "cuda"
    return request.param


X = np.array([[0.5, -1.5, 0.0, 2.0], [3.0, -0.25, 1.0, -2.0], [0.0, 0.75, -3.0, 1.5]])
INTS = np.array([[3, -4, 0, 7], [1, 2, -8, 5], [0, 6, 9, -1]])

FLOAT_CASES = {
    "predicates": lambda x: (x / 0).isinf() | x.isnan() | (x / 0).isposinf() | (x / 0).isneginf(),
    "isclose": lambda x: minigrad.isclose(x, x + 1e-9),
    "logical": lambda x: minigrad.logical_xor(x > 0, x.logical_not()) & minigrad.logical_and(x, x < 1),
    "prod": lambda x: x.prod(1) + x.prod(),
    "cumprod": lambda x: x.cumprod(1),
    "cummax": lambda x: x.cummax(0).values + x.cummin(1).values,
    "logcumsumexp": lambda x: x.logcumsumexp(1),
    "logsumexp": lambda x: x.logsumexp((0, 1)),
    "logaddexp_lerp": lambda x: minigrad.logaddexp(x, x * 2) + x.lerp(x * 3, 0.7),
    "nansum_nanmean": lambda x: (x / x).nansum(0) + (x / x).nanmean(1).sum(),
    "var_std_mean": lambda x: minigrad.var_mean(x, 1)[0] + minigrad.std_mean(x, 1)[0],
    "aminmax": lambda x: minigrad.aminmax(x, dim=0).max - minigrad.aminmax(x).min,
    "vector_norms": lambda x: sum(minigrad.linalg.vector_norm(x, p, 1) for p in (2, 1, 3, 0.5, 0, math.inf, -1)),
    "matrix_norms": lambda x: sum(minigrad.linalg.matrix_norm(x, p) for p in ("fro", 1, -1, math.inf, -math.inf)),
    "rounding": lambda x: x.frac() + x.round(decimals=1) + (x * 3).floor(),
    "all_any_count": lambda x: (x > 0).all(1, keepdim=True) | (x > 0).any(0, keepdim=True)
    | (minigrad.count_nonzero(x, 1) > 2)[:, None],
}
INT_CASES = {
    "bitwise": lambda i: (i & 6) | (3 ^ i) | ~i,
    "shifts": lambda i: (i << 2) + (i >> 1) + (1 << i.abs().clamp(max=3)) + (i << 70),
    "division": lambda i: i // 3 + i % 3 + minigrad.div(i, 3, rounding_mode="trunc") + i.fmod(-3),
    "scans": lambda i: i.cumsum(0) + i.cumprod(1) + i.cummax(1).indices,
    "reductions": lambda i: i.sum(1) + i.prod(0)[:3] + i.sum(axis=0, dtype=minigrad.int32)[:3],
}


def _run(fn, array, device, grad):
    x = minigrad.tensor(array, device=device, requires_grad=grad)
    out = fn(x)
    if grad and out.requires_grad:
        (out * minigrad.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape), dtype=out.dtype,
                               device=device)).sum().backward()
    return out, x.grad


def _assert_on(tensor, device):
    backend = backends.get(device)
    assert tensor.backend is backend
    assert backend.is_array(tensor._array) or (backend.type == "cpu" and np.isscalar(tensor._array))


@pytest.mark.parametrize("name", sorted(FLOAT_CASES))
def test_float_math_runs_on_the_device_as_on_the_cpu(device, name):
    expected, expected_grad = _run(FLOAT_CASES[name], X, "cpu", True)
    out, grad = _run(FLOAT_CASES[name], X, device, True)
    _assert_on(out, device)
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.detach().numpy(), rtol=1e-6, equal_nan=True)
    if expected_grad is not None:
        _assert_on(grad, device)
        np.testing.assert_allclose(grad.cpu().numpy(), expected_grad.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name", sorted(INT_CASES))
def test_integer_math_runs_on_the_device_as_on_the_cpu(device, name):
    expected, _ = _run(INT_CASES[name], INTS, "cpu", False)
    out, _ = _run(INT_CASES[name], INTS, device, False)
    _assert_on(out, device)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.cpu().numpy(), expected.numpy())


def test_cumprod_double_backward_with_zeros_on_the_device(device):
    x = minigrad.tensor(X, device=device, requires_grad=True)
    (g,) = minigrad.autograd.grad(x.cumprod(1).sum(), [x], create_graph=True)
    (gg,) = minigrad.autograd.grad(g.sum(), [x])
    cpu = minigrad.tensor(X, requires_grad=True)
    (g_cpu,) = minigrad.autograd.grad(cpu.cumprod(1).sum(), [cpu], create_graph=True)
    (gg_cpu,) = minigrad.autograd.grad(g_cpu.sum(), [cpu])
    _assert_on(gg, device)
    np.testing.assert_allclose(gg.cpu().numpy(), gg_cpu.numpy(), rtol=1e-6)
