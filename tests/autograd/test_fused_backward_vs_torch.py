"""The fused backward ops (tanh's and ReLU's) against PyTorch's own ``aten`` ops of the same
names: values, dtypes, NaN and infinities; and the same bits whichever way tanh's backward runs."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad.ops.elementwise import TanhBackward, ThresholdBackward

EDGES = [0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 1e-30]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_tanh_and_threshold_backward_match_aten(torch, dtype):
    rng = np.random.default_rng(0)
    grad = np.concatenate([rng.standard_normal(8), EDGES]).astype(dtype)
    out = np.concatenate([rng.uniform(-1, 1, 8), EDGES]).astype(dtype)
    g, o = minigrad.tensor(grad), minigrad.tensor(out)
    tg, to = torch.from_numpy(grad), torch.from_numpy(out)
    for ours, theirs in [
        (TanhBackward.apply(g, o), torch.ops.aten.tanh_backward(tg, to)),
        (ThresholdBackward.apply(g, o), torch.ops.aten.threshold_backward(tg, to, 0)),
    ]:
        assert ours.dtype == theirs.numpy().dtype
        # 1 - out * out cancels near |out| = 1, and PyTorch computes float16 in float32: rounding.
        tolerance = {"float64": 1e-12, "float32": 1e-6, "float16": 1e-2}[dtype]
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=tolerance, atol=tolerance)


def test_tanh_backward_gives_the_same_bits_with_and_without_create_graph():
    x = minigrad.randn(64, requires_grad=True)
    (plain,) = minigrad.autograd.grad((x.tanh() * 3).sum(), x)
    (recorded,) = minigrad.autograd.grad((x.tanh() * 3).sum(), x, create_graph=True)
    assert recorded.grad_fn is not None
    np.testing.assert_array_equal(plain.numpy(), recorded.detach().numpy())


def test_second_and_third_derivatives_through_the_fused_ops_match_pytorch(torch):
    values = np.random.default_rng(1).standard_normal(6)
    for lib in (minigrad, torch):
        x = lib.tensor(values, requires_grad=True)
        y = (x.tanh() * x.relu() + x).sum()
        (d1,) = lib.autograd.grad(y, x, create_graph=True)
        (d2,) = lib.autograd.grad(d1.sum(), x, create_graph=True)
        (d3,) = lib.autograd.grad(d2.sum(), x)
        if lib is minigrad:
            ours = [d.detach().numpy() for d in (d1, d2, d3)]
        else:
            theirs = [d.detach().numpy() for d in (d1, d2, d3)]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_fused_ops_differentiate_again():
    g = minigrad.tensor(np.random.default_rng(2).standard_normal(5), requires_grad=True)
    o = minigrad.tensor(np.random.default_rng(3).uniform(-1, 1, 5), requires_grad=True)
    assert minigrad.autograd.gradcheck(lambda a, b: TanhBackward.apply(a, b), (g, o))
    assert minigrad.autograd.gradcheck(lambda a, b: ThresholdBackward.apply(a, b), (g, o))
