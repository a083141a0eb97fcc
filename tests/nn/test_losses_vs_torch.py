"""The course's losses (issue 11) against PyTorch: values and gradients in every differentiable
argument over hypothesis shapes, each reduction; float64 gradcheck; layers' reprs and buffers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
REDUCTIONS = ["mean", "sum", "none"]
seeds = st.integers(0, 2**31)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


def labels(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


# name -> draw(rng, shape) -> (differentiable arrays, constant arrays, keyword arguments).
# The constants (integer targets, labels) are passed after the differentiable ones.
CASES = {
    "binary_cross_entropy": lambda r, s: ([r.uniform(0.05, 0.95, s), r.uniform(0, 1, s)], [], {}),
    "binary_cross_entropy_weighted": lambda r, s: ([r.uniform(0.05, 0.95, s), r.uniform(0, 1, s)], [],
                                                   {"weight": r.uniform(0.5, 2, s[-1:])}),
    "binary_cross_entropy_with_logits": lambda r, s: ([r.standard_normal(s) * 4, r.uniform(0, 1, s)], [], {}),
    "binary_cross_entropy_with_logits_weighted": lambda r, s: (
        [r.standard_normal(s) * 4, r.uniform(0, 1, s)], [],
        {"weight": r.uniform(0.5, 2, s), "pos_weight": r.uniform(0.5, 3, s[-1:])}),
    "l1_loss": lambda r, s: ([r.standard_normal(s), r.standard_normal(s)], [], {}),
    "mse_loss": lambda r, s: ([r.standard_normal(s), r.standard_normal(s)], [], {}),
    "smooth_l1_loss": lambda r, s: ([r.standard_normal(s) * 2, r.standard_normal(s)], [], {}),
    "smooth_l1_loss_beta": lambda r, s: ([r.standard_normal(s) * 2, r.standard_normal(s)], [], {"beta": 0.3}),
    "smooth_l1_loss_beta0": lambda r, s: ([r.standard_normal(s) * 2, r.standard_normal(s)], [], {"beta": 0.0}),
    "huber_loss": lambda r, s: ([r.standard_normal(s) * 2, r.standard_normal(s)], [], {"delta": 0.7}),
    # Targets > 0: at t = 0 the target's gradient log(t) + 1 is -inf (PyTorch: NaN), see below.
    "kl_div": lambda r, s: ([np.log(r.uniform(0.05, 1, s)), r.uniform(0.01, 1, s)], [], {}),
    "kl_div_log_target": lambda r, s: ([np.log(r.uniform(0.05, 1, s)), np.log(r.uniform(0.05, 1, s))], [],
                                       {"log_target": True}),
    "poisson_nll_loss": lambda r, s: ([r.standard_normal(s), r.poisson(2.0, s).astype(float)], [], {}),
    # Counts >= 1: at t = 0 PyTorch's target gradient is NaN (0 * log 0 leaks through its mask).
    "poisson_nll_loss_full": lambda r, s: ([r.uniform(0.2, 3, s), r.poisson(3.0, s) + 1.0], [],
                                           {"log_input": False, "full": True}),
    "gaussian_nll_loss": lambda r, s: ([r.standard_normal(s), r.standard_normal(s), r.uniform(0.1, 2, s)], [], {}),
    "gaussian_nll_loss_full": lambda r, s: ([r.standard_normal(s), r.standard_normal(s), r.uniform(0.1, 2, s[:-1])],
                                            [], {"full": True}),
    "soft_margin_loss": lambda r, s: ([r.standard_normal(s) * 3], [labels(r, s)], {}),
    "hinge_embedding_loss": lambda r, s: ([r.standard_normal(s) * 2], [labels(r, s)], {"margin": 0.5}),
    "margin_ranking_loss": lambda r, s: ([r.standard_normal(s[:1]), r.standard_normal(s[:1])], [labels(r, s[:1])],
                                         {"margin": 0.2}),
    "cosine_embedding_loss": lambda r, s: ([r.standard_normal((s[0], 3)), r.standard_normal((s[0], 3))],
                                           [labels(r, s[:1])], {"margin": 0.1}),
    "triplet_margin_loss": lambda r, s: ([r.standard_normal((s[0], 4)) for _ in range(3)], [], {}),
    "triplet_margin_loss_p1_swap": lambda r, s: ([r.standard_normal((s[0], 4)) for _ in range(3)], [],
                                                 {"p": 1.0, "swap": True, "margin": 2.0}),
    "multi_margin_loss": lambda r, s: ([r.standard_normal((s[0], 4))], [r.integers(0, 4, s[:1])], {}),
    "multi_margin_loss_p2_weighted": lambda r, s: ([r.standard_normal((s[0], 4))], [r.integers(0, 4, s[:1])],
                                                   {"p": 2, "margin": 0.5, "weight": r.uniform(0.5, 2, 4)}),
}


def function_name(case):
    for suffix in ("_weighted", "_beta0", "_beta", "_log_target", "_full", "_p1_swap", "_p2_weighted"):
        if case.endswith(suffix) and case[: -len(suffix)] in CASES:
            return case[: -len(suffix)]
    return case


def run(library, case, differentiable, constants, kwargs, reduction):
    """The loss, and its gradient in each differentiable argument (one backward of sum)."""
    make = minigrad.tensor if library == "minigrad" else __import__("torch").tensor
    functional = F if library == "minigrad" else __import__("torch").nn.functional
    leaves = [make(a, requires_grad=True) for a in differentiable]
    fixed = [make(a) for a in constants]
    options = {k: make(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's "mean" warning, in both libraries
        out = getattr(functional, function_name(case))(*leaves, *fixed, reduction=reduction, **options)
    upstream = np.random.default_rng(0).uniform(0.5, 1.5, tuple(out.shape))
    out.backward(make(upstream))
    return out, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(CASES))
@SETTINGS
@given(seed=seeds, shape=shapes)
def test_loss_matches_pytorch_in_value_and_every_gradient(torch, case, reduction, seed, shape):
    if case.startswith("kl_div") and reduction == "mean":
        reduction = "batchmean"  # kl_div's own reduction; "mean" is tested in the layer test
    differentiable, constants, kwargs = CASES[case](np.random.default_rng(seed), shape)
    out, grads = run("minigrad", case, differentiable, constants, kwargs, reduction)
    out_ref, grads_ref = run("torch", case, differentiable, constants, kwargs, reduction)
    assert out.shape == tuple(out_ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-11, atol=1e-13)
    for position, (grad, grad_ref) in enumerate(zip(grads, grads_ref)):
        assert grad is not None and grad_ref is not None, f"no gradient for argument {position}"
        np.testing.assert_allclose(grad.numpy(), grad_ref.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case} gradient {position}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_loss_passes_gradcheck_and_keeps_float32(torch, case):
    differentiable, constants, kwargs = CASES[case](np.random.default_rng(1), (3, 2))
    fixed = [minigrad.tensor(a) for a in constants]
    options = {k: minigrad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    function = getattr(F, function_name(case))
    leaves = [minigrad.tensor(a, requires_grad=True) for a in differentiable]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda *xs: function(*xs, *fixed, reduction="none", **options), leaves)
        single = [minigrad.tensor(a, dtype=minigrad.float32) for a in differentiable]
        options32 = {k: v.float() if isinstance(v, minigrad.Tensor) else v for k, v in options.items()}
        fixed32 = [t.float() if t.dtype == minigrad.float64 else t for t in fixed]
        assert function(*single, *fixed32, **options32).dtype == minigrad.float32


# --- cross_entropy / nll_loss on N-d inputs with every option --------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(seed=seeds, spatial=st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple),
       smoothing=st.sampled_from([0.0, 0.25]), weighted=st.booleans())
def test_cross_entropy_and_nll_on_nd_inputs_with_weight_and_ignore_index(torch, reduction, seed, spatial, smoothing,
                                                                         weighted):
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    logits = rng.standard_normal((n, c, *spatial)) * 2
    target = rng.integers(0, c, (n, *spatial))
    target[rng.uniform(size=target.shape) < 0.3] = 1 if c > 2 else 0
    target.reshape(-1)[0] = 1  # ignored below, so at least one target is ignored
    weight = rng.uniform(0.5, 2.0, c) if weighted else None
    for name, kwargs in (("cross_entropy", {"label_smoothing": smoothing}), ("nll_loss", {})):
        x, x_ref = minigrad.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
        extra = {"weight": weight} if weighted else {}
        out = getattr(F, name)(x, minigrad.tensor(target), ignore_index=1, reduction=reduction,
                               **{k: minigrad.tensor(v) for k, v in extra.items()}, **kwargs)
        out_ref = getattr(torch.nn.functional, name)(x_ref, torch.tensor(target), ignore_index=1,
                                                     reduction=reduction,
                                                     **{k: torch.tensor(v) for k, v in extra.items()}, **kwargs)
        if out_ref.numel() == 1 and math.isnan(out_ref.item()):
            assert math.isnan(out.item())  # every target ignored: 0 / 0, as PyTorch
            continue
        np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-11, atol=1e-13)
        upstream = rng.uniform(0.5, 1.5, tuple(out.shape))
        out.backward(minigrad.tensor(upstream))
        out_ref.backward(torch.tensor(upstream))
        np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_nd_probability_targets_and_weights(torch, reduction):
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((2, 3, 2, 2))
    probabilities = rng.dirichlet(np.ones(3), (2, 2, 2)).transpose(0, 3, 1, 2)
    weight = rng.uniform(0.5, 2, 3)
    x, x_ref = minigrad.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    t, t_ref = minigrad.tensor(probabilities, requires_grad=True), torch.tensor(probabilities, requires_grad=True)
    out = F.cross_entropy(x, t, weight=minigrad.tensor(weight), reduction=reduction, label_smoothing=0.1)
    out_ref = torch.nn.functional.cross_entropy(x_ref, t_ref, weight=torch.tensor(weight), reduction=reduction,
                                                label_smoothing=0.1)
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    out_ref.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(t.grad.numpy(), t_ref.grad.numpy(), rtol=1e-10, atol=1e-14)


# --- stability and errors ----------------------------------------------------------------------
def test_bce_with_logits_is_finite_for_huge_logits_and_bce_clamps_its_logs(torch):
    logits = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    target = np.array([1.0, 0.0, 0.5, 1.0, 0.0])
    x = minigrad.tensor(logits, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, minigrad.tensor(target), reduction="none")
    reference = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(logits), torch.tensor(target),
                                                                     reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), reference.numpy(), rtol=1e-12)
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    probabilities = minigrad.tensor([0.0, 1.0, 0.5], requires_grad=True)
    F.binary_cross_entropy(probabilities, minigrad.tensor([1.0, 0.0, 1.0])).backward()
    assert np.isfinite(probabilities.grad.numpy()).all()
    expected = torch.nn.functional.binary_cross_entropy(torch.tensor([0.0, 1.0, 0.5]), torch.tensor([1.0, 0.0, 1.0]),
                                                        reduction="none")
    ours = F.binary_cross_entropy(probabilities, minigrad.tensor([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(ours.detach().numpy(), expected.numpy(), rtol=1e-6)


def test_kl_div_counts_zero_targets_as_zero_and_their_input_gradient_as_zero(torch):
    log_probs, target = np.log([[0.2, 0.3, 0.5]]), np.array([[0.0, 0.4, 0.6]])
    x, x_ref = minigrad.tensor(log_probs, requires_grad=True), torch.tensor(log_probs, requires_grad=True)
    loss = F.kl_div(x, minigrad.tensor(target), reduction="batchmean")
    loss_ref = torch.nn.functional.kl_div(x_ref, torch.tensor(target), reduction="batchmean")
    assert loss.item() == pytest.approx(loss_ref.item(), rel=1e-12)
    loss.backward()
    loss_ref.backward()
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-12)


def test_losses_name_their_bad_arguments():
    with pytest.raises(ValueError, match="same as input size"):
        F.binary_cross_entropy_with_logits(minigrad.randn(3), minigrad.rand(3, 1))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(minigrad.rand(3), minigrad.rand(2))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(minigrad.tensor([1.5]), minigrad.tensor([1.0]))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(minigrad.randn(3, 4), minigrad.randn(3, 4), minigrad.ones(2))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(minigrad.randn(3), minigrad.randn(3), -minigrad.ones(3))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(minigrad.randn(2, 3), minigrad.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match="margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(minigrad.randn(2, 3), minigrad.rand(2, 3))
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(minigrad.randn(2), minigrad.randn(2), beta=-1.0)


def test_weighted_l1_and_huber_divide_the_mean_by_the_total_weight(torch):
    rng = np.random.default_rng(4)
    a, b, w = rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.uniform(0.5, 2, (3, 2))
    for name, kwargs in (("l1_loss", {}), ("huber_loss", {"delta": 0.5})):
        for reduction in REDUCTIONS:
            ours = getattr(F, name)(minigrad.tensor(a), minigrad.tensor(b), reduction=reduction,
                                    weight=minigrad.tensor(w), **kwargs)
            theirs = getattr(torch.nn.functional, name)(torch.tensor(a), torch.tensor(b), reduction=reduction,
                                                        weight=torch.tensor(w), **kwargs)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


# --- layers ---------------------------------------------------------------------------------
LAYERS = [
    ("BCELoss", {}), ("BCEWithLogitsLoss", {}), ("L1Loss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}),
    ("HuberLoss", {"delta": 2.0}), ("KLDivLoss", {"reduction": "batchmean"}), ("KLDivLoss", {"log_target": True}),
    ("PoissonNLLLoss", {}), ("GaussianNLLLoss", {"full": True}), ("SoftMarginLoss", {}),
    ("HingeEmbeddingLoss", {}), ("MarginRankingLoss", {"margin": 0.5}), ("CosineEmbeddingLoss", {}),
    ("TripletMarginLoss", {"p": 1.0}), ("MultiMarginLoss", {}),
]


@pytest.mark.parametrize("name,kwargs", LAYERS, ids=[f"{n}{k}" for n, k in LAYERS])
def test_loss_layers_have_pytorchs_attributes_and_repr(torch, name, kwargs):
    layer, layer_ref = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(layer) == repr(layer_ref)
    assert layer.reduction == layer_ref.reduction
    for key in kwargs:
        assert getattr(layer, key) == getattr(layer_ref, key)


def test_loss_layers_keep_weights_as_buffers_with_pytorchs_keys(torch):
    weight, pos_weight = [1.0, 2.0, 3.0], [0.5, 1.0, 4.0]
    layer = nn.BCEWithLogitsLoss(weight=minigrad.tensor(weight), pos_weight=minigrad.tensor(pos_weight))
    layer_ref = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(weight), pos_weight=torch.tensor(pos_weight))
    assert list(layer.state_dict()) == list(layer_ref.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=minigrad.ones(2)).state_dict()) == ["pos_weight"]
    rng = np.random.default_rng(5)
    x, t = rng.standard_normal((4, 3)).astype(np.float32), rng.uniform(size=(4, 3)).astype(np.float32)
    assert layer(minigrad.tensor(x), minigrad.tensor(t)).item() == pytest.approx(
        layer_ref(torch.tensor(x), torch.tensor(t)).item(), rel=1e-6)
    multi = nn.MultiMarginLoss(weight=minigrad.ones(3))
    assert list(multi.state_dict()) == list(torch.nn.MultiMarginLoss(weight=torch.ones(3)).state_dict())
    assert multi.double().weight.dtype == minigrad.float64


# --- one_hot, normalize, cosine_similarity, pairwise_distance --------------------------------
def test_one_hot_matches_pytorch(torch):
    indices = np.array([[0, 3], [2, 1]])
    for classes in (-1, 5):
        ours = F.one_hot(minigrad.tensor(indices), classes)
        theirs = torch.nn.functional.one_hot(torch.tensor(indices), classes)
        assert ours.dtype == minigrad.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert F.one_hot(minigrad.tensor([], dtype=minigrad.int64), 3).shape == (0, 3)
    with pytest.raises(TypeError, match="LongTensor"):
        F.one_hot(minigrad.tensor([1.0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(minigrad.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(minigrad.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match="empty tensor"):
        F.one_hot(minigrad.tensor([], dtype=minigrad.int64))


DISTANCES = [
    ("normalize", 1, {}), ("normalize", 1, {"p": 1.0, "dim": 0}), ("normalize", 1, {"p": 3.0, "dim": -1}),
    ("cosine_similarity", 2, {}), ("cosine_similarity", 2, {"dim": 0}), ("cosine_similarity", 2, {"dim": -1}),
    ("pairwise_distance", 2, {}), ("pairwise_distance", 2, {"p": 1.0, "keepdim": True}),
    ("pairwise_distance", 2, {"p": 3.0}), ("pairwise_distance", 2, {"p": math.inf}),
]


@pytest.mark.parametrize("name,arity,kwargs", DISTANCES, ids=[f"{n}{k}" for n, _, k in DISTANCES])
@SETTINGS
@given(seed=seeds, shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple))
def test_distance_matches_pytorch_and_passes_gradcheck(torch, name, arity, kwargs, seed, shape):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for _ in range(arity)]
    leaves = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    leaves_ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = getattr(F, name)(*leaves, **kwargs)
    out_ref = getattr(torch.nn.functional, name)(*leaves_ref, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-11, atol=1e-13)
    upstream = rng.uniform(0.5, 1.5, tuple(out.shape))
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    for leaf, leaf_ref in zip(leaves, leaves_ref):
        np.testing.assert_allclose(leaf.grad.numpy(), leaf_ref.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert gradcheck(lambda *xs: getattr(F, name)(*xs, **kwargs),
                     [minigrad.tensor(a[:2, :3], requires_grad=True) for a in arrays])


def test_cosine_similarity_broadcasts_and_clamps_tiny_norms(torch):
    a, b = np.array([[1e-12, 0.0], [3.0, 4.0]]), np.array([[1.0, 2.0]])
    ours = F.cosine_similarity(minigrad.tensor(a), minigrad.tensor(b))
    np.testing.assert_allclose(ours.numpy(), torch.nn.functional.cosine_similarity(torch.tensor(a),
                                                                                   torch.tensor(b)).numpy())
