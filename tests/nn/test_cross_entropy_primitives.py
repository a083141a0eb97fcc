"""log_softmax and the negative log-likelihood as primitives (``ops/classification.py``).

They replace a composition of nine recorded ops, so these tests pin them three ways: the
forward gives the very bits of that composition (written out here from the primitives it was
made of); values, gradients, second derivatives, dtypes and graph node names match PyTorch over
hypothesis shapes; and float64 gradcheck / gradgradcheck of each new primitive, including the
fused backward op. The cases that keep the composed ops (class weights, ignored targets,
``reduction="none"``, an empty batch, complex inputs) are checked to take that path.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.ops.classification import LogSoftmax, LogSoftmaxBackward, NllLoss

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
DTYPES = ["float32", "float64", "float16"]
seeds = st.integers(0, 2**31)
logit_shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


def composed_log_softmax(x, dim):
    """What log_softmax was made of before it became a primitive."""
    shifted = x - x.detach().amax(dim, keepdim=True)
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def composed_nll(log_probs, target, reduction):
    picked = log_probs[(np.arange(target.shape[0]), target)]
    losses = -picked
    return losses.mean() if reduction == "mean" else losses.sum()


def _logits(rng, shape, dtype, scale=3.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _tolerance(dtype):
    return {"float64": 1e-12, "float32": 1e-5, "float16": 2e-2}[dtype]


@SETTINGS
@given(seed=seeds, shape=logit_shapes, dtype=st.sampled_from(DTYPES), data=st.data())
def test_log_softmax_forward_is_the_composed_forward_bit_for_bit(seed, shape, dtype, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = minigrad.tensor(_logits(rng, shape, dtype), requires_grad=True)
    ours = x.log_softmax(dim)
    assert ours.grad_fn.name == "log_softmax"
    np.testing.assert_array_equal(ours.detach().numpy(), composed_log_softmax(x, dim).detach().numpy())
    assert ours.dtype == x.dtype


@SETTINGS
@given(seed=seeds, rows=st.integers(1, 6), classes=st.integers(1, 6), dtype=st.sampled_from(DTYPES),
       reduction=st.sampled_from(["mean", "sum"]))
def test_nll_loss_forward_is_the_composed_forward_bit_for_bit(seed, rows, classes, dtype, reduction):
    rng = np.random.default_rng(seed)
    log_probs = minigrad.tensor(_logits(rng, (rows, classes), dtype), requires_grad=True)
    target = rng.integers(0, classes, rows)
    ours = F.nll_loss(log_probs, minigrad.tensor(target), reduction=reduction)
    assert ours.grad_fn.name == "nll_loss"
    np.testing.assert_array_equal(ours.detach().numpy(), composed_nll(log_probs, target, reduction).detach().numpy())
    assert ours.dtype == log_probs.dtype and ours.shape == ()


@SETTINGS
@given(seed=seeds, shape=logit_shapes, dtype=st.sampled_from(DTYPES), data=st.data())
def test_log_softmax_values_gradients_and_dtypes_match_pytorch(torch, seed, shape, dtype, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    values, weights = _logits(rng, shape, dtype), rng.standard_normal(shape).astype(dtype)
    x, tx = minigrad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, tout = x.log_softmax(dim), tx.log_softmax(dim)
    (out * minigrad.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    assert out.dtype == tout.detach().numpy().dtype and x.grad.dtype == tx.grad.numpy().dtype
    tol = _tolerance(dtype)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol * 4)


@SETTINGS
@given(seed=seeds, rows=st.integers(1, 6), classes=st.integers(1, 6), extra=st.sampled_from([(), (3,), (2, 2)]),
       dtype=st.sampled_from(["float32", "float64"]), reduction=st.sampled_from(["mean", "sum"]),
       smoothing=st.sampled_from([0.0, 0.2]))
def test_cross_entropy_values_gradients_and_node_names_match_pytorch(torch, seed, rows, classes, extra, dtype,
                                                                      reduction, smoothing):
    rng = np.random.default_rng(seed)
    values = _logits(rng, (rows, classes, *extra), dtype)
    target = rng.integers(0, classes, (rows, *extra))
    x, tx = minigrad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    loss = F.cross_entropy(x, minigrad.tensor(target), reduction=reduction, label_smoothing=smoothing)
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(target), reduction=reduction,
                                              label_smoothing=smoothing)
    loss.backward()
    tloss.backward()
    tol = _tolerance(dtype)
    assert loss.dtype == tloss.detach().numpy().dtype
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
    if smoothing == 0.0 and not extra:  # PyTorch's own graph: NllLoss over LogSoftmax
        assert loss.grad_fn.display_name == tloss.grad_fn.name() == "NllLossBackward0"
        ours, theirs = loss.grad_fn.next_functions[0][0], tloss.grad_fn.next_functions[0][0]
        assert ours.display_name == theirs.name() == "LogSoftmaxBackward0"
        assert ours.next_functions[0][0] is x and theirs.next_functions[0][0].name().endswith("AccumulateGrad")


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_second_and_third_derivatives_of_cross_entropy_match_pytorch(torch, reduction):
    rng = np.random.default_rng(4)
    values, target = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    direction = rng.standard_normal((4, 5))
    results = {}
    for lib in (minigrad, torch):
        x = lib.tensor(values, requires_grad=True)
        loss = (lib.nn.functional.cross_entropy(x, lib.tensor(target), reduction=reduction) * 3
                + (x.log_softmax(1) ** 2).sum())
        (d1,) = lib.autograd.grad(loss, x, create_graph=True)
        (d2,) = lib.autograd.grad((d1 * lib.tensor(direction)).sum(), x, create_graph=True)
        (d3,) = lib.autograd.grad((d2 ** 2).sum(), x)
        results[lib.__name__] = [d.detach().numpy() for d in (d1, d2, d3)]
    for ours, theirs in zip(results["minigrad"], results["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


def test_plain_and_recorded_backward_agree():
    rng = np.random.default_rng(5)
    x = minigrad.tensor(rng.standard_normal((6, 7)).astype("float32"), requires_grad=True)
    target = minigrad.tensor(rng.integers(0, 7, 6))
    (plain,) = minigrad.autograd.grad(F.cross_entropy(x, target), x)
    (recorded,) = minigrad.autograd.grad(F.cross_entropy(x, target), x, create_graph=True)
    assert plain.grad_fn is None and recorded.grad_fn is not None
    np.testing.assert_allclose(plain.numpy(), recorded.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_the_new_primitives_pass_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(6)
    x = minigrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for dim in (0, 1):
        assert gradcheck(lambda a, d=dim: LogSoftmax.apply(a, dim=d), (x,))
        assert gradgradcheck(lambda a, d=dim: LogSoftmax.apply(a, dim=d), (x,))
    grad = minigrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    out = minigrad.tensor(np.log(rng.dirichlet(np.ones(4), 3)), requires_grad=True)
    assert gradcheck(lambda g, o: LogSoftmaxBackward.apply(g, o, dim=1), (grad, out))
    assert gradgradcheck(lambda g, o: LogSoftmaxBackward.apply(g, o, dim=1), (grad, out))
    target = rng.integers(0, 4, 3)
    for reduction in ("mean", "sum"):
        assert gradcheck(lambda a, r=reduction: NllLoss.apply(a, target=target, reduction=r), (x,))
        assert gradgradcheck(lambda a, r=reduction: NllLoss.apply(a, target=target, reduction=r), (x,))


def test_a_zero_upstream_gradient_gives_positive_zeros_as_the_composed_ops_did():
    x = minigrad.tensor(np.zeros((2, 3), dtype="float32"), requires_grad=True)
    (grad,) = minigrad.autograd.grad(F.nll_loss(x, minigrad.tensor([0, 2])) * 0.0, x)
    assert not np.signbit(grad.numpy()).any()


def test_inputs_are_left_alone_and_outputs_are_fresh():
    rng = np.random.default_rng(7)
    values = rng.standard_normal((3, 4)).astype("float32")
    x = minigrad.tensor(values.copy(), requires_grad=True)
    out = x.log_softmax(1)
    loss = F.nll_loss(out, minigrad.tensor([1, 0, 3]))
    loss.backward()
    np.testing.assert_array_equal(x.detach().numpy(), values)
    assert not np.shares_memory(out.detach().numpy(), x.detach().numpy())
    assert not np.shares_memory(x.grad.numpy(), x.detach().numpy())


@pytest.mark.parametrize("case", ["weight", "ignore_index", "none", "empty", "complex"])
def test_other_cases_keep_the_composed_ops(case):
    rng = np.random.default_rng(8)
    x = minigrad.tensor(rng.standard_normal((4, 3)).astype("float32"), requires_grad=True)
    target = minigrad.tensor([0, 2, 1, 2])
    if case == "weight":
        out = F.cross_entropy(x, target, weight=minigrad.tensor([1.0, 2.0, 0.5]))
    elif case == "ignore_index":
        out = F.cross_entropy(x, minigrad.tensor([0, -100, 1, 2]))
    elif case == "none":
        out = F.cross_entropy(x, target, reduction="none")
    elif case == "empty":
        out = F.cross_entropy(x[:0], target[:0], reduction="sum")
    else:
        # Complex tensors never record (autograd is real-valued here): the composed values.
        z = minigrad.tensor(rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3)))
        np.testing.assert_array_equal(z.log_softmax(1).numpy(), composed_log_softmax(z, 1).numpy())
        return
    assert out.grad_fn.name != "nll_loss"


def test_a_bad_dim_is_refused_with_pytorchs_error():
    x = minigrad.randn(2, 3, requires_grad=True)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.log_softmax(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        minigrad.tensor(1.0, requires_grad=True).log_softmax(1)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_nll_backward_gives_the_same_bits_with_and_without_create_graph(reduction, dtype):
    rng = np.random.default_rng(9)
    log_probs = minigrad.tensor(rng.standard_normal((7, 4)).astype(dtype), requires_grad=True)
    target = minigrad.tensor(rng.integers(0, 4, 7))
    (plain,) = minigrad.autograd.grad(F.nll_loss(log_probs, target, reduction=reduction) * 1.7, log_probs)
    (recorded,) = minigrad.autograd.grad(F.nll_loss(log_probs, target, reduction=reduction) * 1.7, log_probs,
                                         create_graph=True)
    assert plain.dtype == recorded.dtype == log_probs.dtype
    np.testing.assert_array_equal(plain.numpy(), recorded.detach().numpy())
