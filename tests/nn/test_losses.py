"""Losses: cross_entropy, nll_loss, mse_loss and their layers, against PyTorch and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
REDUCTIONS = ["mean", "sum", "none"]


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=atol)


def compare(torch, name, logits, target, upstream_seed=0, **kwargs):
    """Run ``F.<name>`` in minigrad and PyTorch on the same float64 data; compare value and grad."""
    x, x_ref = minigrad.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    ours_kwargs = {k: minigrad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    theirs_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out = getattr(F, name)(x, minigrad.tensor(target), **ours_kwargs)
    out_ref = getattr(torch.nn.functional, name)(x_ref, torch.tensor(target), **theirs_kwargs)
    assert out.shape == tuple(out_ref.shape)
    assert_close(out, out_ref)
    upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    assert_close(x.grad, x_ref.grad)
    return out


@st.composite
def classification(draw):
    """Logits (N, C), int64 targets (N,) with some set to ignore_index, and class weights."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    target = rng.integers(0, c, n)
    if draw(st.booleans()) and n > 1:
        target[rng.integers(0, n)] = -100
    return rng.standard_normal((n, c)) * 3, target, rng.uniform(0.1, 2.0, c)


# --- cross_entropy -----------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(
    case=classification(),
    label_smoothing=st.sampled_from([0.0, 0.1, 0.5]),
    weighted=st.booleans(),
)
def test_cross_entropy_matches_pytorch(torch, reduction, case, label_smoothing, weighted):
    logits, target, weight = case
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    if weighted:
        kwargs["weight"] = weight
    compare(torch, "cross_entropy", logits, target, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_a_custom_ignore_index(torch, reduction):
    rng = np.random.default_rng(3)
    logits, target = rng.standard_normal((6, 4)), np.array([0, 1, 2, 3, 1, 1])
    compare(torch, "cross_entropy", logits, target, ignore_index=1, reduction=reduction, label_smoothing=0.2)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probability_targets(torch, reduction):
    rng = np.random.default_rng(4)
    logits, probabilities = rng.standard_normal((5, 3)), rng.dirichlet(np.ones(3), 5)
    compare(torch, "cross_entropy", logits, probabilities, reduction=reduction)
    compare(torch, "cross_entropy", logits, probabilities, reduction=reduction, label_smoothing=0.3,
            weight=rng.uniform(0.5, 1.5, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_spatial_dims_and_unbatched_input(torch, reduction):
    rng = np.random.default_rng(5)
    compare(torch, "cross_entropy", rng.standard_normal((2, 4, 3, 2)), rng.integers(0, 4, (2, 3, 2)),
            reduction=reduction, label_smoothing=0.1)
    compare(torch, "cross_entropy", rng.standard_normal(4), np.array(2), reduction=reduction)


def test_cross_entropy_is_stable_for_huge_logits_and_keeps_float32(torch):
    logits = np.array([[1e4, -1e4, 0.0], [500.0, 500.0, -500.0]], dtype=np.float32)
    target = np.array([1, 2])
    x = minigrad.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, minigrad.tensor(target))
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target))
    assert loss.dtype == minigrad.float32 and np.isfinite(loss.item())
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    loss.backward()
    assert x.grad.dtype == minigrad.float32 and np.all(np.isfinite(x.grad.numpy()))


def test_cross_entropy_gradcheck():
    rng = np.random.default_rng(6)
    x = minigrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    target = minigrad.tensor([0, 3, -100])
    weight = minigrad.tensor(rng.uniform(0.5, 2.0, 4))
    assert gradcheck(lambda t: F.cross_entropy(t, target), (x,))
    assert gradcheck(lambda t: F.cross_entropy(t, target, weight=weight, label_smoothing=0.2), (x,))
    assert gradcheck(lambda t: F.cross_entropy(t, target, reduction="none"), (x,))
    probabilities = minigrad.tensor(rng.dirichlet(np.ones(4), 3), requires_grad=True)
    assert gradcheck(F.cross_entropy, (x, probabilities))  # differentiable in the target too


def test_cross_entropy_errors_name_the_problem_and_the_fix():
    logits = minigrad.randn(3, 5)
    with pytest.raises(TypeError, match=r"integer tensor \(int64\).*target.long\(\)"):
        F.cross_entropy(logits, minigrad.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"input batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(logits, minigrad.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"Target 5 is out of bounds.*\[0, 4\]"):
        F.cross_entropy(logits, minigrad.tensor([0, 5, 1]))
    with pytest.raises(ValueError, match="Target -3 is out of bounds"):
        F.cross_entropy(logits, minigrad.tensor([0, -3, 1]))
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match="one value per class"):
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2]), weight=minigrad.ones(4))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="must have shape"):
        F.cross_entropy(minigrad.randn(2, 3, 4), minigrad.tensor([[0, 1, 2], [0, 1, 2]]))


def test_deprecated_size_average_and_reduce_map_to_a_reduction(torch):
    rng = np.random.default_rng(7)
    logits, target = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        loss = F.cross_entropy(minigrad.tensor(logits), minigrad.tensor(target), size_average=False)
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target), reduction="sum")
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)


# --- nll_loss ----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(case=classification(), weighted=st.booleans())
def test_nll_loss_matches_pytorch(torch, reduction, case, weighted):
    logits, target, weight = case
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    kwargs = {"reduction": reduction, "weight": weight} if weighted else {"reduction": reduction}
    compare(torch, "nll_loss", log_probs, target, **kwargs)


def test_nll_loss_after_log_softmax_equals_cross_entropy():
    x = minigrad.randn(4, 6, dtype=minigrad.float64)
    target = minigrad.tensor([5, 0, 2, 2])
    expected = F.cross_entropy(x, target).item()
    assert F.nll_loss(F.log_softmax(x, 1), target).item() == pytest.approx(expected, rel=1e-14)


# --- mse_loss ----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 2**31))
def test_mse_loss_matches_pytorch_in_both_arguments(torch, reduction, shape, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    x, y = minigrad.tensor(a, requires_grad=True), minigrad.tensor(b, requires_grad=True)
    x_ref, y_ref = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = F.mse_loss(x, y, reduction=reduction)
    out_ref = torch.nn.functional.mse_loss(x_ref, y_ref, reduction=reduction)
    assert_close(out, out_ref)
    upstream = rng.standard_normal(out.shape)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    assert_close(x.grad, x_ref.grad)
    assert_close(y.grad, y_ref.grad)


def test_mse_loss_gradcheck_weight_and_broadcast_warning(torch):
    rng = np.random.default_rng(8)
    x, y = (minigrad.tensor(rng.standard_normal((3, 2)), requires_grad=True) for _ in range(2))
    assert gradcheck(F.mse_loss, (x, y))
    weight = rng.uniform(0.5, 2.0, (3, 2))
    out = F.mse_loss(x, y, weight=minigrad.tensor(weight))
    expected = torch.nn.functional.mse_loss(
        torch.tensor(x.detach().numpy()), torch.tensor(y.detach().numpy()), weight=torch.tensor(weight)
    )
    assert out.item() == pytest.approx(expected.item(), rel=1e-12)
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(x, minigrad.zeros(2, dtype=minigrad.float64))


# --- loss layers -------------------------------------------------------------------------


def test_loss_layers_match_the_functions_and_move_their_weight():
    rng = np.random.default_rng(9)
    x = minigrad.tensor(rng.standard_normal((4, 3)))
    target = minigrad.tensor([0, 2, 1, -100])
    weight = minigrad.tensor([1.0, 2.0, 0.5])
    layer = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1, reduction="sum")
    expected = F.cross_entropy(x, target, weight=weight, label_smoothing=0.1, reduction="sum")
    assert layer(x, target).item() == pytest.approx(expected.item(), rel=1e-12)
    assert repr(layer) == "CrossEntropyLoss()" and "weight" in dict(layer.named_buffers())
    assert layer.double().weight.dtype == minigrad.float64
    log_probs = F.log_softmax(x, 1)
    assert nn.NLLLoss()(log_probs, target).item() == pytest.approx(
        F.nll_loss(log_probs, target).item(), rel=1e-12
    )
    y = minigrad.tensor(rng.standard_normal((4, 3)))
    assert nn.MSELoss(reduction="none")(x, y).shape == (4, 3)
    assert nn.MSELoss()(x, y).item() == pytest.approx(F.mse_loss(x, y).item(), rel=1e-12)
    with pytest.raises(ValueError, match="reduction must be"):
        nn.MSELoss(reduction="average")
