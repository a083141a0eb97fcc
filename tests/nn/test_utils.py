"""nn.utils: gradient clipping by norm and by value, parameters as one vector and back, and
rnn.pad_sequence, against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import nn
from minigrad.autograd.gradcheck import gradcheck
from minigrad.nn.utils.rnn import pad_sequence

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
shapes = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3)).map(lambda s: s[: 1 + s[0] % 2]), min_size=1,
                  max_size=4)
NORMS = [2.0, 1.0, 3.0, 0.5, math.inf, -math.inf, 0.0]


def parameters_with_grads(torch, shape_list, seed, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for shape in shape_list:
        value, grad = rng.standard_normal(shape).astype(dtype), (scale * rng.standard_normal(shape)).astype(dtype)
        p, q = minigrad.tensor(value, requires_grad=True), torch.tensor(value, requires_grad=True)
        p.grad, q.grad = minigrad.tensor(grad), torch.tensor(grad)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


def assert_grads_equal(ours, theirs, rtol=1e-12):
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=1e-14)


@SETTINGS
@given(shape_list=shapes, norm_type=st.sampled_from(NORMS), max_norm=st.floats(0.01, 10.0), seed=st.integers(0, 99))
def test_clip_grad_norm_matches_pytorch(torch, shape_list, norm_type, max_norm, seed):
    ours, theirs = parameters_with_grads(torch, shape_list, seed)
    grads_before = [p.grad for p in ours]
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, minigrad.Tensor) and total.shape == () and total.dtype == minigrad.float64
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    assert_grads_equal(ours, theirs)
    assert all(p.grad is g for p, g in zip(ours, grads_before))  # in place, as PyTorch


def test_clip_grad_norm_only_scales_down_and_skips_parameters_without_grads(torch):
    ours, theirs = parameters_with_grads(torch, [(3,), (2, 2)], seed=1, scale=0.01)
    ours.append(minigrad.zeros(2, requires_grad=True))
    theirs.append(torch.zeros(2, requires_grad=True))
    before = [p.grad.numpy().copy() for p in ours[:2]]
    total = nn.utils.clip_grad_norm_(iter(ours), max_norm=100.0)  # an iterator, like model.parameters()
    expected = torch.nn.utils.clip_grad_norm_(iter(theirs), max_norm=100.0)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for p, b in zip(ours, before):
        np.testing.assert_array_equal(p.grad.numpy(), b)
    assert ours[2].grad is None


def test_float32_gradients_keep_their_dtype_and_a_single_tensor_is_accepted(torch):
    ours, theirs = parameters_with_grads(torch, [(5,)], seed=2, dtype=np.float32)
    total = nn.utils.clip_grad_norm_(ours[0], 0.5)
    expected = torch.nn.utils.clip_grad_norm_(theirs[0], 0.5)
    assert total.dtype == minigrad.float32 and ours[0].grad.dtype == minigrad.float32
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert_grads_equal(ours, theirs, rtol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NumPy's, for inf * 0
def test_non_finite_norms_raise_only_when_asked(torch):
    scaled = []
    for library, make in [(nn.utils, minigrad.tensor), (torch.nn.utils, torch.tensor)]:
        p = make([1.0, 2.0], requires_grad=True)
        p.grad = make([math.inf, 1.0])
        with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
            library.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
        assert math.isinf(library.clip_grad_norm_([p], 1.0).item())
        scaled.append(p.grad.numpy())
    np.testing.assert_array_equal(scaled[0], scaled[1])  # scaled by 1 / inf anyway: [nan, 0]


def test_no_gradients_give_a_zero_norm_and_an_empty_generator_warns(torch):
    total = nn.utils.clip_grad_norm_([minigrad.zeros(2, requires_grad=True)], 1.0)
    expected = torch.nn.utils.clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0)
    assert total.item() == expected.item() == 0.0 and total.dtype == minigrad.float32
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)
    with pytest.warns(FutureWarning, match="deprecated"):
        nn.utils.clip_grad_norm([minigrad.zeros(2, requires_grad=True)], 1.0)


def test_get_total_norm_then_clip_grads_with_norm_equals_clip_grad_norm(torch):
    ours, theirs = parameters_with_grads(torch, [(3, 2), (4,)], seed=3)
    total = nn.utils.get_total_norm([p.grad for p in ours], norm_type=3.0)
    expected = torch.nn.utils.get_total_norm([q.grad for q in theirs], norm_type=3.0)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    nn.utils.clip_grads_with_norm_(ours, 0.7, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.7, expected)
    assert_grads_equal(ours, theirs)


@SETTINGS
@given(shape_list=shapes, clip_value=st.floats(0.0, 2.0), seed=st.integers(0, 99))
def test_clip_grad_value_matches_pytorch(torch, shape_list, clip_value, seed):
    ours, theirs = parameters_with_grads(torch, shape_list, seed)
    grads_before = [p.grad for p in ours]
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    assert_grads_equal(ours, theirs, rtol=0)
    assert all(p.grad is g for p, g in zip(ours, grads_before))


def test_clipping_records_no_graph():
    p = minigrad.ones(3, requires_grad=True)
    (p * p).sum().backward()
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert not total.requires_grad and p.grad.grad_fn is None


# --- parameters as one vector ----------------------------------------------------------------

def test_parameters_to_vector_and_back_match_pytorch(torch):
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)).double()
    reference = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1)).double()
    reference.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    vector = nn.utils.parameters_to_vector(model.parameters())
    expected = torch.nn.utils.parameters_to_vector(reference.parameters())
    assert vector.shape == (11,)
    np.testing.assert_array_equal(vector.detach().numpy(), expected.detach().numpy())
    # Gradients flow back through the flattening to every parameter.
    (vector * minigrad.arange(11, dtype=minigrad.float64)).sum().backward()
    (expected * torch.arange(11, dtype=torch.float64)).sum().backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())

    new = np.linspace(-1, 1, 11)
    nn.utils.vector_to_parameters(minigrad.tensor(new), model.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), reference.parameters())
    for p, q in zip(model.parameters(), reference.parameters()):
        assert p.shape == tuple(q.shape) and p.requires_grad and p.is_leaf
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_vector_to_parameters_refuses_a_non_tensor():
    with pytest.raises(TypeError, match="expected minigrad.Tensor"):
        nn.utils.vector_to_parameters([1.0, 2.0], [minigrad.zeros(2, requires_grad=True)])


def test_parameters_to_vector_is_differentiable():
    a = minigrad.randn(2, 2, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    assert gradcheck(lambda x, y: nn.utils.parameters_to_vector([x, y]) ** 2, (a, b))


# --- pad_sequence ----------------------------------------------------------------------------

@SETTINGS
@given(
    lengths=st.lists(st.integers(0, 5), min_size=1, max_size=4), trailing=st.sampled_from([(), (2,), (1, 3)]),
    batch_first=st.booleans(), padding_value=st.sampled_from([0.0, -1.5]), side=st.sampled_from(["right", "left"]),
    seed=st.integers(0, 99),
)
def test_pad_sequence_matches_pytorch(torch, lengths, trailing, batch_first, padding_value, side, seed):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal((length, *trailing)) for length in lengths]
    ours = [minigrad.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    result = pad_sequence(ours, batch_first=batch_first, padding_value=padding_value, padding_side=side)
    expected = torch.nn.utils.rnn.pad_sequence(theirs, batch_first=batch_first, padding_value=padding_value,
                                               padding_side=side)
    assert result.shape == tuple(expected.shape) and result.dtype == minigrad.float64
    np.testing.assert_array_equal(result.detach().numpy(), expected.detach().numpy())
    weights = rng.standard_normal(result.shape)
    (result * minigrad.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_pad_sequence_takes_the_first_dtype_and_passes_gradcheck(torch):
    mixed = pad_sequence([minigrad.zeros(2), minigrad.zeros(3, dtype=minigrad.float64)])
    expected = torch.nn.utils.rnn.pad_sequence([torch.zeros(2), torch.zeros(3, dtype=torch.float64)])
    assert str(mixed.dtype) == str(expected.dtype).replace("torch", "minigrad") == "minigrad.float32"
    a = minigrad.randn(3, 2, dtype=minigrad.float64, requires_grad=True)
    b = minigrad.randn(1, 2, dtype=minigrad.float64, requires_grad=True)
    assert gradcheck(lambda x, y: pad_sequence([x, y], batch_first=True, padding_side="left"), (a, b))


@pytest.mark.parametrize(
    "sequences, options, message",
    [
        ([], {}, "empty list of sequences"),
        ("sequences", {"padding_side": "middle"}, "padding_side to be one of left or right"),
        (5, {}, "Expected iterable for input sequences"),
    ],
)
def test_pad_sequence_errors_are_pytorchs(torch, sequences, options, message):
    theirs = [torch.zeros(2)] if sequences == "sequences" else sequences
    ours = [minigrad.zeros(2)] if sequences == "sequences" else sequences
    with pytest.raises(RuntimeError, match=message):
        torch.nn.utils.rnn.pad_sequence(theirs, **options)
    with pytest.raises(RuntimeError, match=message):
        pad_sequence(ours, **options)


def test_mismatched_trailing_shapes_are_refused():
    with pytest.raises(RuntimeError, match="trailing shape"):
        pad_sequence([minigrad.zeros(2, 3), minigrad.zeros(3, 2)])


def test_names_are_pytorchs(torch):
    assert set(nn.utils.__all__) <= set(torch.nn.utils.__all__)
    for name in ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn"]:
        assert name in nn.utils.__all__
    assert nn.utils.rnn.pad_sequence is pad_sequence
