"""Layers: Linear, activations, containers, shape layers, Dropout, and nn.init, against PyTorch."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import nn
from minigrad.nn import init

# The torch fixture only returns the module: reusing it across examples is safe.
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=atol)


def copy_linear(torch, layer):
    reference = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
    reference = reference.double() if layer.weight.dtype == minigrad.float64 else reference
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(layer.weight.detach().numpy()))
        if layer.bias is not None:
            reference.bias.copy_(torch.from_numpy(layer.bias.detach().numpy()))
    return reference


# --- Linear ------------------------------------------------------------------------------


@SETTINGS
@given(
    batch=st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple),
    in_features=st.integers(1, 6),
    out_features=st.integers(1, 6),
    bias=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_linear_forward_and_gradients_match_pytorch(torch, batch, in_features, out_features, bias, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Linear(in_features, out_features, bias=bias, dtype=minigrad.float64)
    reference = copy_linear(torch, layer)
    data = rng.standard_normal(batch + (in_features,))
    upstream = rng.standard_normal(batch + (out_features,))
    x = minigrad.tensor(data, requires_grad=True)
    x_ref = torch.tensor(data, requires_grad=True)
    out, out_ref = layer(x), reference(x_ref)
    assert_close(out, out_ref, rtol=1e-12)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    assert_close(x.grad, x_ref.grad)
    assert_close(layer.weight.grad, reference.weight.grad)
    if bias:
        assert_close(layer.bias.grad, reference.bias.grad)


def test_linear_default_init_follows_pytorchs_bounds():
    minigrad.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives exactly 1/sqrt(fan_in)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert weight.shape == (300, 400) and bias.shape == (300,)
    assert weight.dtype == np.float32 and bias.dtype == np.float32
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    assert np.abs(weight).max() > 0.99 * bound
    assert abs(weight.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert abs(weight.mean()) < 0.01 * bound


def test_linear_options_repr_and_errors(torch):
    layer = nn.Linear(3, 2, bias=False, dtype=minigrad.float64, device="cpu")
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    assert layer.weight.dtype == minigrad.float64
    assert repr(layer) == repr(torch.nn.Linear(3, 2, bias=False))
    with pytest.raises(RuntimeError, match="expects 3"):
        layer(minigrad.randn(4, 5, dtype=minigrad.float64))


def test_linear_initialisation_is_reproducible_with_manual_seed():
    minigrad.manual_seed(3)
    first = nn.Linear(5, 4).weight.detach().numpy().copy()
    minigrad.manual_seed(3)
    np.testing.assert_array_equal(first, nn.Linear(5, 4).weight.detach().numpy())


# --- activation layers -------------------------------------------------------------------

ACTIVATIONS = [
    (lambda: nn.ReLU(), lambda t: t.nn.ReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
    (lambda: nn.Tanh(), lambda t: t.nn.Tanh()),
    (lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid()),
    (lambda: nn.Softmax(dim=1), lambda t: t.nn.Softmax(dim=1)),
    (lambda: nn.LogSoftmax(dim=-1), lambda t: t.nn.LogSoftmax(dim=-1)),
    (lambda: nn.Identity(), lambda t: t.nn.Identity()),
]


@pytest.mark.parametrize("make, make_reference", ACTIVATIONS)
def test_activation_layers_match_pytorch_values_gradients_and_repr(torch, make, make_reference):
    rng = np.random.default_rng(0)
    data, upstream = rng.standard_normal((4, 5)) * 3, rng.standard_normal((4, 5))
    layer, reference = make(), make_reference(torch)
    x, x_ref = minigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, out_ref = layer(x), reference(x_ref)
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert repr(layer) == repr(reference)


def test_inplace_relu_repr_and_float32_is_kept(torch):
    assert repr(nn.ReLU(inplace=True)) == repr(torch.nn.ReLU(inplace=True))
    assert repr(nn.LeakyReLU(0.1, inplace=True)) == repr(torch.nn.LeakyReLU(0.1, inplace=True))
    x = minigrad.randn(3, 4)
    for layer in (nn.ReLU(), nn.LeakyReLU(), nn.Tanh(), nn.Sigmoid(), nn.Softmax(1), nn.LogSoftmax(1)):
        assert layer(x).dtype == minigrad.float32


# --- containers --------------------------------------------------------------------------


def test_sequential_indexing_slicing_len_iteration_append_and_delete():
    first, second, third = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    model = nn.Sequential(first, second)
    assert len(model) == 2 and model[0] is first and model[-1] is second
    assert list(model) == [first, second]
    assert model.append(third) is model and model[2] is third
    head = model[1:]
    assert isinstance(head, nn.Sequential) and list(head) == [second, third]
    assert list(dict(head.named_children())) == ["1", "2"]  # slices keep PyTorch's names
    x = minigrad.randn(4, 2)
    np.testing.assert_array_equal(model(x).detach().numpy(), third(second(first(x))).detach().numpy())
    del model[0]
    assert list(dict(model.named_children())) == ["0", "1"] and model[0] is second
    model[1] = nn.Identity()
    assert isinstance(model[1], nn.Identity)
    model.insert(0, first)
    assert model[0] is first and len(model) == 3
    with pytest.raises(IndexError, match="out of range"):
        model[3]


def test_sequential_from_an_ordered_dict_uses_its_names(torch):
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert model.fc is model[0]
    assert list(model.state_dict()) == ["fc.weight", "fc.bias"]
    reference = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 2)), ("act", torch.nn.ReLU())]))
    assert repr(model) == repr(reference)


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers += [nn.Tanh()]
    assert [type(m).__name__ for m in layers] == ["Linear", "Linear", "Linear", "ReLU", "Tanh"]
    assert isinstance(layers[1:3], nn.ModuleList) and layers[-1] is layers[4]
    del layers[0]
    assert list(dict(layers.named_children())) == ["0", "1", "2", "3"]
    assert list(layers.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(NotImplementedError):
        layers(minigrad.zeros(1))


def test_module_dict_registers_its_modules_in_insertion_order():
    heads = nn.ModuleDict({"b": nn.Linear(2, 1), "a": nn.Linear(2, 3)})
    assert list(heads) == ["b", "a"] and "a" in heads and len(heads) == 2
    heads["c"] = nn.ReLU()
    assert list(heads.keys()) == ["b", "a", "c"]
    assert list(heads.state_dict()) == ["b.weight", "b.bias", "a.weight", "a.bias"]
    assert isinstance(heads.pop("c"), nn.ReLU) and "c" not in heads
    heads.update([("d", nn.Tanh())])
    assert [k for k, _ in heads.items()] == ["b", "a", "d"]


# --- shape layers ------------------------------------------------------------------------


def test_flatten_unflatten_identity_match_pytorch(torch):
    data = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    cases = [
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Flatten(0, 2), torch.nn.Flatten(0, 2)),
        (nn.Flatten(2), torch.nn.Flatten(2)),
        (nn.Unflatten(1, (3, 1)), torch.nn.Unflatten(1, (3, 1))),
        (nn.Identity(54, unused=True), torch.nn.Identity(54, unused=True)),
    ]
    for layer, reference in cases:
        out = layer(minigrad.tensor(data))
        expected = reference(torch.from_numpy(data))
        assert out.shape == tuple(expected.shape)
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
        assert repr(layer) == repr(reference)


# --- Dropout -----------------------------------------------------------------------------


def test_dropout_zeroes_a_fraction_p_and_scales_the_survivors():
    minigrad.manual_seed(0)
    layer = nn.Dropout(p=0.3)
    x = minigrad.ones(200, 500)
    out = layer(x).numpy()
    zero_fraction = (out == 0).mean()
    assert abs(zero_fraction - 0.3) < 0.01
    np.testing.assert_allclose(out[out != 0], np.float32(1 / 0.7))
    assert out.dtype == np.float32
    assert abs(out.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_gradient_is_the_same_mask():
    minigrad.manual_seed(1)
    x = minigrad.randn(50, 40, requires_grad=True)
    out = nn.Dropout(0.5)(x)
    out.sum().backward()
    mask = out.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-6)
    assert set(np.unique(np.round(mask, 5))) == {0.0, 2.0}


def test_dropout_is_the_identity_in_eval_mode_and_for_p_zero():
    x = minigrad.randn(4, 4)
    layer = nn.Dropout(0.9).eval()
    assert layer(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert np.all(nn.Dropout(1.0)(x).numpy() == 0)


def test_dropout_is_reproducible_with_manual_seed():
    x = minigrad.ones(10, 10)
    minigrad.manual_seed(42)
    first = nn.Dropout()(x).numpy()
    minigrad.manual_seed(42)
    np.testing.assert_array_equal(first, nn.Dropout()(x).numpy())
    assert not np.array_equal(first, nn.Dropout()(x).numpy())


def test_dropout_rejects_bad_probabilities_and_has_pytorchs_repr(torch):
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))


# --- init --------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(30, 20), (16, 8, 3, 3), (5, 7, 2)])
def test_fan_in_and_fan_out_match_pytorch(torch, shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(minigrad.empty(*shape)) == expected


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(minigrad.empty(5))


@pytest.mark.parametrize(
    "nonlinearity, param",
    [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
     ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)],
)
def test_calculate_gain_matches_pytorch(torch, nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15
    )


def test_calculate_gain_rejects_unknown_nonlinearities():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_uniform_bound_matches_the_formula(mode):
    minigrad.manual_seed(0)
    weight = minigrad.empty(64, 32, 3, 3)
    fan = 32 * 9 if mode == "fan_in" else 64 * 9
    bound = init.calculate_gain("relu") * math.sqrt(3.0 / fan)
    assert init.kaiming_uniform_(weight, mode=mode, nonlinearity="relu") is weight
    values = weight.numpy()
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound


def test_kaiming_and_xavier_normal_have_the_formula_std():
    minigrad.manual_seed(0)
    weight = minigrad.empty(200, 300)
    init.kaiming_normal_(weight, nonlinearity="relu")
    assert abs(weight.numpy().std() - math.sqrt(2.0 / 300)) < 0.01 * math.sqrt(2.0 / 300)
    init.xavier_normal_(weight, gain=2.0)
    expected = 2.0 * math.sqrt(2.0 / (300 + 200))
    assert abs(weight.numpy().std() - expected) < 0.01 * expected
    assert abs(weight.numpy().mean()) < 0.01 * expected


def test_xavier_uniform_bound_and_plain_fills():
    minigrad.manual_seed(0)
    weight = minigrad.empty(100, 50, dtype=minigrad.float64)
    init.xavier_uniform_(weight, gain=init.calculate_gain("tanh"))
    bound = 5 / 3 * math.sqrt(6.0 / 150)
    assert np.abs(weight.numpy()).max() <= bound and np.abs(weight.numpy()).max() > 0.98 * bound
    assert weight.dtype == minigrad.float64
    init.uniform_(weight, -2.0, 3.0)
    assert weight.numpy().min() >= -2.0 and weight.numpy().max() < 3.0
    assert abs(weight.numpy().mean() - 0.5) < 0.05
    init.normal_(weight, mean=1.0, std=0.5)
    assert abs(weight.numpy().mean() - 1.0) < 0.02 and abs(weight.numpy().std() - 0.5) < 0.02
    assert np.all(init.constant_(weight, 0.25).numpy() == 0.25)
    assert np.all(init.zeros_(weight).numpy() == 0) and np.all(init.ones_(weight).numpy() == 1)
    np.testing.assert_array_equal(init.eye_(minigrad.empty(2, 3)).numpy(), np.eye(2, 3))


def test_init_fills_parameters_in_place_without_recording_a_graph():
    layer = nn.Linear(4, 3)
    weight, array = layer.weight, layer.weight._array
    init.kaiming_normal_(layer.weight)
    assert layer.weight is weight and layer.weight._array is array
    assert layer.weight.is_leaf and layer.weight.requires_grad
    assert layer.weight.dtype == minigrad.float32


def test_init_is_reproducible_with_manual_seed():
    weight = minigrad.empty(5, 5)
    minigrad.manual_seed(9)
    first = init.xavier_uniform_(weight).numpy().copy()
    minigrad.manual_seed(9)
    np.testing.assert_array_equal(first, init.xavier_uniform_(weight).numpy())


def test_init_errors_are_clear():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(minigrad.empty(3, 3), mode="fan_avg")
    with pytest.raises(TypeError, match="floating-point"):
        init.normal_(minigrad.zeros(3, dtype="int64"))
