"""``F.linear`` on a batch of vectors is one fused primitive, ``addmm`` (PyTorch's AddmmBackward0)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd.gradcheck import gradcheck, gradgradcheck
from minigrad.nn.functional.linear import Addmm

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def leaves(rng, *shapes, dtype="float64"):
    return [minigrad.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in shapes]


@pytest.mark.parametrize("with_bias", [True, False])
def test_gradients_and_gradients_of_gradients_are_exact(with_bias):
    rng = np.random.default_rng(0)
    x, weight, bias = leaves(rng, (3, 4), (2, 4), (2,))
    fn = (lambda x, w, b: F.linear(x, w, b)) if with_bias else (lambda x, w: F.linear(x, w))
    inputs = (x, weight, bias) if with_bias else (x, weight)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@SETTINGS
@given(n=st.integers(0, 5), features=st.integers(1, 6), out=st.integers(1, 5), with_bias=st.booleans(),
       seed=st.integers(0, 1000))
def test_values_gradients_and_dtypes_match_pytorch(torch, n, features, out, with_bias, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype("float32") for s in ((n, features), (out, features), (out,))]
    if not with_bias:
        arrays = arrays[:2]
    mine = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, expected = F.linear(*mine), torch.nn.functional.linear(*theirs)
    upstream = rng.standard_normal(expected.shape).astype("float32")
    (y * minigrad.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    assert y.grad_fn.name == "addmm"
    if with_bias:  # without a bias PyTorch records MmBackward0; minigrad's one primitive covers both
        assert type(expected.grad_fn).__name__ == y.grad_fn.display_name == "AddmmBackward0"
    assert y.dtype == minigrad.float32 and y.shape == tuple(expected.shape)
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    for got, want in zip(mine, theirs):
        assert got.grad.dtype == minigrad.float32
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_only_two_dimensional_operands_take_the_fused_primitive():
    rng = np.random.default_rng(1)
    x, weight, bias = leaves(rng, (3, 4), (2, 4), (2,))
    assert F.linear(x, weight, bias).grad_fn.display_name == "AddmmBackward0"
    batched = minigrad.randn(2, 3, 4, dtype=minigrad.float64)
    assert F.linear(batched, weight, bias).grad_fn.name != "addmm"  # the composite: same values
    np.testing.assert_allclose(F.linear(batched, weight, bias).detach().numpy(),
                               batched.numpy() @ weight.detach().numpy().T + bias.detach().numpy())


def test_an_input_edited_in_place_after_the_forward_is_refused():
    rng = np.random.default_rng(2)
    x = minigrad.tensor(rng.standard_normal((3, 4)))
    weight = minigrad.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    y = F.linear(x, weight)
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_the_output_is_fresh_memory():
    x, weight = minigrad.randn(3, 4), minigrad.randn(2, 4)
    bias = minigrad.zeros(2)
    y = Addmm.apply(x, weight, bias)
    y.add_(1.0)
    assert float(bias.abs().sum()) == 0.0 and not np.shares_memory(y.numpy(), x.numpy())
