"""nn.functional: linear, activations, softmax family and dropout, against PyTorch and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=atol)


def leaf(data):
    return minigrad.tensor(data, requires_grad=True)


# --- linear ------------------------------------------------------------------------------


@SETTINGS
@given(batch=st.lists(st.integers(1, 3), max_size=2).map(tuple), n_in=st.integers(1, 5),
       n_out=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_linear_matches_pytorch(torch, batch, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in (batch + (n_in,), (n_out, n_in), (n_out,))]
    ours = [leaf(v) for v in arrays]
    theirs = [torch.tensor(v, requires_grad=True) for v in arrays]
    out, out_ref = F.linear(*ours), torch.nn.functional.linear(*theirs)
    assert_close(out, out_ref)
    upstream = rng.standard_normal(out.shape)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    for a, e in zip(ours, theirs):
        assert_close(a.grad, e.grad)


def test_linear_gradcheck():
    rng = np.random.default_rng(0)
    x, w, b = (leaf(rng.standard_normal(s)) for s in ((3, 4), (2, 4), (2,)))
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (x, w))


def test_linear_rejects_mismatched_features():
    with pytest.raises(RuntimeError, match="has 5 features.*expects 4"):
        F.linear(minigrad.randn(2, 5), minigrad.randn(3, 4))


# --- activations -------------------------------------------------------------------------

ELEMENTWISE = [
    ("relu", lambda functional, x: functional.relu(x)),
    ("leaky_relu", lambda functional, x: functional.leaky_relu(x, 0.1)),
    ("tanh", lambda functional, x: functional.tanh(x)),
    ("sigmoid", lambda functional, x: functional.sigmoid(x)),
]


@pytest.mark.parametrize("name, apply", ELEMENTWISE)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**31))
def test_elementwise_activations_match_pytorch(torch, name, apply, shape, seed):
    rng = np.random.default_rng(seed)
    data, upstream = rng.standard_normal(shape) * 4, rng.standard_normal(shape)
    x, x_ref = leaf(data), torch.tensor(data, requires_grad=True)
    out, out_ref = apply(F, x), apply(torch.nn.functional, x_ref)
    assert_close(out, out_ref, rtol=1e-12, atol=1e-14)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    assert_close(x.grad, x_ref.grad, atol=1e-14)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**31), data=st.data())
def test_softmax_family_matches_pytorch_along_any_dim(torch, name, shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    values, upstream = rng.standard_normal(shape) * 5, rng.standard_normal(shape)
    x, x_ref = leaf(values), torch.tensor(values, requires_grad=True)
    out, out_ref = getattr(F, name)(x, dim), getattr(torch.nn.functional, name)(x_ref, dim)
    assert_close(out, out_ref)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    assert_close(x.grad, x_ref.grad)


def test_softmax_family_gradcheck():
    x = leaf(np.random.default_rng(1).standard_normal((3, 4)))
    assert gradcheck(lambda t: F.log_softmax(t, dim=1), (x,))
    assert gradcheck(lambda t: F.log_softmax(t, dim=0), (x,))
    assert gradcheck(lambda t: F.softmax(t, dim=-1), (x,))


def test_softmax_family_is_stable_for_huge_inputs(torch):
    data = np.array([[1e4, 0.0, -1e4], [1000.0, 1000.0, 999.0]], dtype=np.float32)
    for name in ("softmax", "log_softmax"):
        out = getattr(F, name)(minigrad.tensor(data), dim=1)
        expected = getattr(torch.nn.functional, name)(torch.tensor(data), dim=1)
        assert np.all(np.isfinite(out.numpy()))
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
        assert out.dtype == minigrad.float32


def test_softmax_dtype_argument_and_implicit_dim_warning(torch):
    x = minigrad.randn(2, 3)
    assert F.softmax(x, dim=1, dtype=minigrad.float64).dtype == minigrad.float64
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.numpy().sum(1), 1.0, rtol=1e-6)
    with pytest.raises(IndexError, match="out of range"):
        F.log_softmax(x, dim=2)


def test_inplace_activations_overwrite_and_are_recorded_as_pytorch():
    x = minigrad.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    y = minigrad.tensor([-1.0, 2.0])
    assert F.relu_(y) is y and y.tolist() == [0.0, 2.0]
    z = minigrad.tensor([-2.0, 3.0])
    assert F.leaky_relu(z, 0.5, inplace=True) is z and z.tolist() == [-1.0, 3.0]
    w = leaf([-1.0, 2.0])
    h = w * 3
    out = F.relu(h, inplace=True)  # a non-leaf: written in place and recorded, as in PyTorch
    assert out is h and h.tolist() == [0.0, 6.0] and h.grad_fn.name == "relu"
    out.sum().backward()
    assert w.grad.tolist() == [0.0, 3.0]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu(w, inplace=True)  # PyTorch refuses in-place ops on such a leaf too


# --- dropout -----------------------------------------------------------------------------


def test_dropout_function_training_flag_and_validation():
    x = minigrad.ones(100, 100)
    assert F.dropout(x, 0.5, training=False) is x
    minigrad.manual_seed(0)
    out = F.dropout(x, p=0.25)
    assert abs((out.numpy() == 0).mean() - 0.25) < 0.02
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, p=-0.1)
    y = minigrad.ones(10, 10, dtype=minigrad.float64)
    assert F.dropout(y, 0.5, inplace=True) is y and y.dtype == minigrad.float64
    assert set(np.unique(y.numpy())) <= {0.0, 2.0}
