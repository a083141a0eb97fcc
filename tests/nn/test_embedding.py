"""Embedding and EmbeddingBag (issue 11) against PyTorch: lookups, weight gradients,
padding_idx (zero row, no gradient), max_norm's in-place renormalisation, scale_grad_by_freq,
bags (sum, mean, max; offsets, include_last_offset, per_sample_weights), from_pretrained,
default initialisation, reprs; gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
seeds = st.integers(0, 2**31)


def tables(torch, rows, dim, seed):
    data = np.random.default_rng(seed).standard_normal((rows, dim))
    return minigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def assert_same(ours, theirs, rtol=1e-12):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-13)


@SETTINGS
@given(seed=seeds, rows=st.integers(1, 6), dim=st.integers(1, 4),
       index_shape=st.lists(st.integers(0, 4), min_size=0, max_size=2).map(tuple),
       padding=st.sampled_from([None, 0, -1]), scale=st.booleans())
def test_embedding_matches_pytorch_in_value_and_weight_gradient(torch, seed, rows, dim, index_shape, padding, scale):
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, rows, index_shape)
    weight, weight_ref = tables(torch, rows, dim, seed)
    out = F.embedding(minigrad.tensor(indices), weight, padding_idx=padding, scale_grad_by_freq=scale)
    out_ref = torch.nn.functional.embedding(torch.tensor(indices), weight_ref, padding_idx=padding,
                                            scale_grad_by_freq=scale)
    assert out.shape == tuple(out_ref.shape)
    assert_same(out, out_ref)
    upstream = rng.standard_normal(out.shape)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    assert_same(weight.grad, weight_ref.grad)


def test_embedding_layer_initialises_like_pytorch_and_zeroes_the_padding_row(torch):
    minigrad.manual_seed(0)
    layer, layer_ref = nn.Embedding(400, 50, padding_idx=3), torch.nn.Embedding(400, 50, padding_idx=3)
    assert repr(layer) == repr(layer_ref)
    assert list(layer.state_dict()) == list(layer_ref.state_dict()) == ["weight"]
    weight = layer.weight.detach().numpy()
    assert (weight[3] == 0).all()
    others = np.delete(weight, 3, axis=0)
    # N(0, 1), 19,950 draws: the mean's standard error is 0.007 and the std's 0.005 (5 sigma bounds).
    assert abs(others.mean()) < 0.035 and abs(others.std() - 1) < 0.025
    assert layer.weight.dtype == minigrad.float32
    out = layer(minigrad.tensor([[3, 1], [3, 3]]))
    out.sum().backward()
    assert (layer.weight.grad.numpy()[3] == 0).all() and (layer.weight.grad.numpy()[1] == 1).all()
    assert layer.padding_idx == layer_ref.padding_idx == 3
    assert nn.Embedding(5, 2, padding_idx=-2).padding_idx == torch.nn.Embedding(5, 2, padding_idx=-2).padding_idx


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"max_norm": 1.5}, {"max_norm": 1.0, "norm_type": 1.0},
                                    {"scale_grad_by_freq": True}, {"sparse": True}])
def test_embedding_repr_is_pytorchs(torch, kwargs):
    assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_max_norm_renormalises_the_looked_up_rows_in_place_as_pytorch(torch, norm_type):
    weight, weight_ref = tables(torch, 6, 4, 5)
    with minigrad.no_grad():
        weight *= 3
    with torch.no_grad():
        weight_ref *= 3
    indices = np.array([[0, 2, 2], [5, 0, 1]])
    out = F.embedding(minigrad.tensor(indices), weight, max_norm=1.2, norm_type=norm_type)
    out_ref = torch.nn.functional.embedding(torch.tensor(indices), weight_ref, max_norm=1.2, norm_type=norm_type)
    assert_same(out, out_ref, rtol=1e-10)
    assert_same(weight, weight_ref, rtol=1e-10)  # rows 0, 1, 2, 5 rescaled; 3 and 4 untouched
    np.testing.assert_array_equal(weight.detach().numpy()[3], weight_ref.detach().numpy()[3])
    (out * out).sum().backward()
    (out_ref * out_ref).sum().backward()
    assert_same(weight.grad, weight_ref.grad, rtol=1e-10)


def test_from_pretrained_shares_the_weight_and_freezes_it_by_default(torch):
    data = np.arange(12.0).reshape(4, 3)
    layer = nn.Embedding.from_pretrained(minigrad.tensor(data))
    layer_ref = torch.nn.Embedding.from_pretrained(torch.tensor(data))
    assert layer.weight.requires_grad is layer_ref.weight.requires_grad is False
    assert repr(layer) == repr(layer_ref)
    np.testing.assert_array_equal(layer(minigrad.tensor([2, 0])).numpy(), layer_ref(torch.tensor([2, 0])).numpy())
    trainable = nn.Embedding.from_pretrained(minigrad.tensor(data), freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and trainable.padding_idx == 1
    assert (trainable.weight.detach().numpy()[1] == data[1]).all()  # the given row is kept, as PyTorch
    bag = nn.EmbeddingBag.from_pretrained(minigrad.tensor(data), mode="sum")
    bag_ref = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(data), mode="sum")
    assert repr(bag) == repr(bag_ref) and bag.weight.requires_grad is False
    np.testing.assert_array_equal(bag(minigrad.tensor([[1, 2]])).numpy(), bag_ref(torch.tensor([[1, 2]])).numpy())


def test_embedding_errors_name_the_problem():
    weight = minigrad.randn(4, 2)
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(minigrad.tensor([4]), weight)
    with pytest.raises(RuntimeError, match="Long, Int"):
        F.embedding(minigrad.tensor([1.0]), weight)
    with pytest.raises(RuntimeError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(minigrad.randn(3))


@st.composite
def bags(draw):
    """1-D indices with sorted offsets (empty bags included), or a 2-D batch of bags."""
    rows = draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    if draw(st.booleans()):
        return rows, rng.integers(0, rows, (draw(st.integers(1, 3)), draw(st.integers(1, 4)))), None, rng
    length = draw(st.integers(0, 8))
    cuts = sorted(rng.integers(0, length + 1, draw(st.integers(0, 3))).tolist())
    return rows, rng.integers(0, rows, length), np.array([0] + cuts), rng


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@SETTINGS
@given(case=bags(), last=st.booleans(), padding=st.sampled_from([None, 1]), weighted=st.booleans())
def test_embedding_bag_matches_pytorch_in_every_mode(torch, mode, case, last, padding, weighted):
    rows, indices, offsets, rng = case
    if last and offsets is not None:
        offsets = np.append(offsets, len(indices))
    else:
        last = False
    weight, weight_ref = tables(torch, rows, 3, int(rng.integers(0, 1000)))
    options = {"mode": mode, "include_last_offset": last, "padding_idx": padding}
    ours_extra, theirs_extra = {}, {}
    if weighted and mode == "sum":
        samples = rng.uniform(0.5, 2, indices.shape)
        ours_extra["per_sample_weights"] = sample = minigrad.tensor(samples, requires_grad=True)
        theirs_extra["per_sample_weights"] = sample_ref = torch.tensor(samples, requires_grad=True)
    given_offsets = None if offsets is None else minigrad.tensor(offsets)
    out = F.embedding_bag(minigrad.tensor(indices), weight, given_offsets, **options, **ours_extra)
    out_ref = torch.nn.functional.embedding_bag(torch.tensor(indices), weight_ref,
                                                None if offsets is None else torch.tensor(offsets),
                                                **options, **theirs_extra)
    assert out.shape == tuple(out_ref.shape)
    assert_same(out, out_ref)
    upstream = rng.standard_normal(out.shape)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    assert_same(weight.grad, weight_ref.grad)
    if ours_extra:
        assert_same(sample.grad, sample_ref.grad)


def test_embedding_bag_layer_repr_init_and_state_dict(torch):
    for kwargs in ({}, {"mode": "max", "padding_idx": 0}, {"max_norm": 2.0, "mode": "sum"}):
        layer, layer_ref = nn.EmbeddingBag(7, 3, **kwargs), torch.nn.EmbeddingBag(7, 3, **kwargs)
        assert repr(layer) == repr(layer_ref)
        assert list(layer.state_dict()) == list(layer_ref.state_dict())
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(minigrad.tensor([[0, 1]]), minigrad.randn(3, 2), minigrad.tensor([0]))
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        F.embedding_bag(minigrad.tensor([[0, 1]]), minigrad.randn(3, 2), per_sample_weights=minigrad.ones(1, 2))
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(minigrad.tensor([0, 1]), minigrad.randn(3, 2), minigrad.tensor([1]))


def test_embedding_and_bags_pass_gradcheck():
    rng = np.random.default_rng(6)
    weight = minigrad.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    indices = minigrad.tensor([[0, 2, 2], [4, 0, 1]])
    # Not with padding_idx nor scale_grad_by_freq: both change the gradient on purpose.
    assert gradcheck(lambda w: F.embedding(indices, w), [weight])
    for mode in ("sum", "mean", "max"):
        assert gradcheck(lambda w, mode=mode: F.embedding_bag(minigrad.tensor([0, 2, 2, 4, 1]), w,
                                                              minigrad.tensor([0, 2, 2]), mode=mode), [weight])
