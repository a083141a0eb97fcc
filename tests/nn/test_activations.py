"""The course's activations (issue 11) against PyTorch: values, gradients, dtypes, layers'
parameters and reprs; float64 gradcheck of each functional form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck, gradgradcheck

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
seeds = st.integers(0, 2**31)

# (functional name, keyword arguments): each is compared with torch.nn.functional's.
FUNCTIONAL = [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}), ("softsign", {}), ("logsigmoid", {}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("relu6", {}), ("hardswish", {}),
    ("hardsigmoid", {}), ("leaky_relu", {"negative_slope": 0.2}), ("threshold", {"threshold": 0.3, "value": -2.0}),
    ("tanhshrink", {}), ("softshrink", {}), ("softshrink", {"lambd": 1.0}), ("hardshrink", {}),
    ("hardshrink", {"lambd": 1.2}), ("rrelu", {"training": False}),
]
# PyTorch's CPU kernels for these compute the gradient with float32 constants (1/6 as a float)
# even in float64, so they differ from the exact derivative by ~3e-8 relative; we keep exact.
GRADIENT_RTOL = {"hardsigmoid": 1e-7, "hardswish": 1e-7}
INPLACE = ["silu", "mish", "elu", "selu", "celu", "hardtanh", "relu6", "hardswish", "hardsigmoid", "threshold"]


def values(seed, shape, scale=3.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def ids(case):
    return case[0] + "".join(f"-{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("case", FUNCTIONAL, ids=[ids(c) for c in FUNCTIONAL])
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_functional_matches_pytorch_in_value_and_gradient(torch, case, shape, seed):
    name, kwargs = case
    data = values(seed, shape)
    x, x_ref = minigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, out_ref = getattr(F, name)(x, **kwargs), getattr(torch.nn.functional, name)(x_ref, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    upstream = values(seed + 1, shape, 1.0)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    rtol = GRADIENT_RTOL.get(name, 1e-10)
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("case", FUNCTIONAL, ids=[ids(c) for c in FUNCTIONAL])
def test_functional_keeps_float32_and_passes_gradcheck(torch, case):
    name, kwargs = case
    data = values(7, (3, 4))
    out32 = getattr(F, name)(minigrad.tensor(data, dtype=minigrad.float32), **kwargs)
    ref32 = getattr(torch.nn.functional, name)(torch.tensor(data, dtype=torch.float32), **kwargs)
    assert out32.dtype == minigrad.float32
    np.testing.assert_allclose(out32.numpy(), ref32.numpy(), rtol=2e-6, atol=2e-6)
    x = minigrad.tensor(values(8, (2, 3), 2.0), requires_grad=True)
    assert gradcheck(lambda t: getattr(F, name)(t, **kwargs), [x])


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "elu", "softplus", "logsigmoid", "selu"])
def test_smooth_activations_have_second_derivatives(name):
    x = minigrad.tensor(values(9, (5,), 2.0), requires_grad=True)
    assert gradgradcheck(lambda t: getattr(F, name)(t), [x])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_writes_into_the_input_and_gradients_still_flow(torch, name):
    data = values(3, (4, 3))
    leaf, leaf_ref = minigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    kwargs = {"threshold": 0.1, "value": 5.0} if name == "threshold" else {}
    hidden, hidden_ref = leaf * 2, leaf_ref * 2
    out = getattr(F, name)(hidden, inplace=True, **kwargs)
    out_ref = getattr(torch.nn.functional, name)(hidden_ref, inplace=True, **kwargs)
    assert out is hidden
    np.testing.assert_allclose(hidden.detach().numpy(), hidden_ref.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    out_ref.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), leaf_ref.grad.numpy(), rtol=GRADIENT_RTOL.get(name, 1e-10))


@pytest.mark.parametrize("name,args", [("elu_", ()), ("celu_", (0.5,)), ("selu_", ()), ("leaky_relu_", (0.2,)),
                                       ("hardtanh_", (-0.5, 0.5)), ("rrelu_", ()), ("threshold_", (0.1, -1.0))])
def test_underscore_spellings_write_in_place_as_pytorch(torch, name, args):
    data = values(14, (3, 4))
    x, x_ref = minigrad.tensor(data), torch.tensor(data)
    assert getattr(F, name)(x, *args) is x
    getattr(torch.nn.functional, name)(x_ref, *args)
    np.testing.assert_allclose(x.numpy(), x_ref.numpy(), rtol=1e-12)


def test_softplus_and_logsigmoid_are_stable_for_large_inputs(torch):
    data = np.array([-800.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 800.0])
    for name in ("softplus", "logsigmoid", "elu", "selu", "celu", "mish", "silu"):
        x, x_ref = minigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        out, out_ref = getattr(F, name)(x), getattr(torch.nn.functional, name)(x_ref)
        out.sum().backward()
        out_ref.sum().backward()
        assert np.isfinite(x.grad.numpy()).all(), name
        np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-10, atol=1e-15, err_msg=name)
        # At -40 the derivatives are ~1e-16 or less, yet not 0: compare them relatively.
        np.testing.assert_allclose(x.grad.numpy()[1], x_ref.grad.numpy()[1], rtol=1e-8, err_msg=name)


@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "softplus", "mish", "logsigmoid", "glu", "hardswish"])
def test_integer_inputs_are_refused_where_pytorch_refuses_them(torch, name):
    with pytest.raises(NotImplementedError):
        getattr(torch.nn.functional, name)(torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match=name.replace("logsigmoid", "log_sigmoid")):
        getattr(F, name)(minigrad.tensor([1, 2]))


@pytest.mark.parametrize("name", ["hardtanh", "relu6", "softsign", "tanhshrink", "threshold"])
def test_integer_inputs_work_where_pytorch_takes_them_with_its_result_dtype(torch, name):
    data = np.array([-4, -1, 0, 3, 8])
    extra = (2, -7) if name == "threshold" else ()
    ours = getattr(F, name)(minigrad.tensor(data), *extra)
    theirs = getattr(torch.nn.functional, name)(torch.tensor(data), *extra)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="none or tanh"):
        F.gelu(minigrad.randn(3), approximate="fast")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin_and_glu_along_a_dim(torch, dim):
    data = values(4, (4, 6))
    for name in ("softmin", "glu"):
        x, x_ref = minigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        out, out_ref = getattr(F, name)(x, dim), getattr(torch.nn.functional, name)(x_ref, dim)
        np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-12)
        out.backward(minigrad.tensor(values(5, out.shape)))
        out_ref.backward(torch.tensor(values(5, out.shape)))
        np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-10, atol=1e-14)
        small = minigrad.tensor(values(6, (2, 4)), requires_grad=True)
        assert gradcheck(lambda t, name=name: getattr(F, name)(t, dim), [small])


def test_glu_refuses_an_odd_dimension():
    with pytest.raises(RuntimeError, match="even"):
        F.glu(minigrad.randn(2, 3))


@pytest.mark.parametrize("num_parameters,shape", [(1, (5,)), (1, (2, 3, 4)), (3, (2, 3)), (3, (2, 3, 4, 2)), (1, ())])
def test_prelu_matches_pytorch_in_its_input_and_weight_gradients(torch, num_parameters, shape):
    layer = nn.PReLU(num_parameters, dtype=minigrad.float64)
    layer_ref = torch.nn.PReLU(num_parameters, dtype=torch.float64)
    assert [n for n, _ in layer.named_parameters()] == [n for n, _ in layer_ref.named_parameters()] == ["weight"]
    np.testing.assert_array_equal(layer.weight.detach().numpy(), layer_ref.weight.detach().numpy())
    data = values(11, shape)
    x, x_ref = minigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    layer(x).sum().backward()
    layer_ref(x_ref).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), layer_ref.weight.grad.numpy(), rtol=1e-12)
    weight = minigrad.tensor(values(12, (num_parameters,)), requires_grad=True)
    assert gradcheck(F.prelu, [minigrad.tensor(values(13, shape), requires_grad=True), weight])


def test_prelu_refuses_a_weight_that_does_not_match_the_channels():
    with pytest.raises(RuntimeError, match="channel size"):
        F.prelu(minigrad.randn(2, 4), minigrad.ones(3))


def test_rrelu_draws_slopes_between_lower_and_upper_while_training_only():
    x = -minigrad.ones(2000, dtype=minigrad.float64)
    minigrad.manual_seed(0)
    slopes = -F.rrelu(x, 0.1, 0.3, training=True).numpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.01 and slopes.std() > 0.05  # U(0.1, 0.3): std 0.058
    leaf = minigrad.full((500,), -1.0, dtype=minigrad.float64, requires_grad=True)
    hidden = leaf * 1
    out = F.rrelu(hidden, 0.1, 0.3, training=True)
    out.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), -out.detach().numpy())  # the gradient is each drawn slope
    layer = nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(layer(x).numpy(), -0.2)
    positive = minigrad.ones(5)
    assert (nn.RReLU()(positive).numpy() == 1).all()


# --- layers: PyTorch's constructor defaults and reprs ----------------------------------------
LAYERS = [
    ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("SiLU", (), {"inplace": True}),
    ("Mish", (), {}), ("ELU", (), {}), ("ELU", (0.5, True), {}), ("SELU", (), {}), ("CELU", (), {"alpha": 2.0}),
    ("Softplus", (), {}), ("Softplus", (2, 5), {}), ("Softsign", (), {}), ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 3.0, True), {}), ("ReLU6", (), {}), ("ReLU6", (True,), {}), ("Hardswish", (), {}),
    ("Hardsigmoid", (), {}), ("LogSigmoid", (), {}), ("Softmin", (), {"dim": 1}), ("Softmax2d", (), {}),
    ("PReLU", (), {}), ("PReLU", (4,), {"init": 0.1}), ("RReLU", (), {}), ("RReLU", (0.2, 0.4, True), {}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("Threshold", (0.1, 20.0), {}), ("GLU", (), {}),
    ("GLU", (1,), {}), ("Tanhshrink", (), {}), ("Softshrink", (), {}), ("Softshrink", (1.5,), {}),
    ("Hardshrink", (), {}), ("Hardshrink", (0.3,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", LAYERS, ids=[f"{c[0]}{c[1]}{c[2]}" for c in LAYERS])
def test_layer_has_pytorchs_repr_and_output(torch, name, args, kwargs):
    layer, layer_ref = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(layer) == repr(layer_ref)
    assert list(layer.state_dict()) == list(layer_ref.state_dict())
    layer.eval()
    layer_ref.eval()
    data = values(21, (2, 4, 3, 2)).astype(np.float32)
    out = layer(minigrad.tensor(data))
    out_ref = layer_ref(torch.tensor(data))
    assert out.dtype == minigrad.float32
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=2e-6, atol=2e-6)


def test_softmax2d_needs_a_3d_or_4d_input():
    with pytest.raises(ValueError, match="3D or 4D"):
        nn.Softmax2d()(minigrad.randn(2, 3))


def test_erf_matches_pytorch_and_the_array_fallback_matches_too(torch):
    from minigrad.backends.special import erf

    data = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 2.5, -2.5, 1e-12, 30.0]])
    np.testing.assert_allclose(minigrad.tensor(data).erf().numpy(), torch.erf(torch.tensor(data)).numpy(),
                               rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(erf(np, data), torch.erf(torch.tensor(data)).numpy(), rtol=4e-15, atol=1e-16)
    assert erf(np, data.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(minigrad.log1p(minigrad.tensor([1e-18, 3.0])).numpy(), np.log1p([1e-18, 3.0]))
    np.testing.assert_allclose(minigrad.expm1(minigrad.tensor([1e-18, 3.0])).numpy(), np.expm1([1e-18, 3.0]))
