"""Containers (issue 11) against PyTorch: ModuleList, ModuleDict, ParameterList, ParameterDict
(methods, registration, state_dict keys, reprs), Identity's arguments, Unflatten, Bilinear."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def names(module):
    return list(module.state_dict())


def torch_repr(text):
    return text.replace("torch.", "minigrad.")


def test_module_list_methods_and_repr_match_pytorch(torch):
    def build(lib):
        layers = lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)])
        layers.append(lib.nn.ReLU())
        layers.extend([lib.nn.Tanh(), lib.nn.Linear(2, 3)])
        layers.insert(1, lib.nn.Sigmoid())
        layers.insert(5, lib.nn.Identity())  # (PyTorch 2.13 raises KeyError for a negative index)
        del layers[0]
        popped = layers.pop(2)
        layers += [lib.nn.Linear(2, 2)]
        return layers, popped

    ours, popped = build(minigrad)
    theirs, popped_ref = build(torch)
    assert repr(ours) == repr(theirs)
    assert repr(popped) == repr(popped_ref)
    assert names(ours) == names(theirs)
    assert repr(ours[1:3]) == repr(theirs[1:3]) and repr(ours[-1]) == repr(theirs[-1])
    assert len(ours + ours[:2]) == len(theirs + theirs[:2])
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    nested = [nn.Sequential(nn.Linear(1, 1), nn.ReLU()) for _ in range(2)]
    nested_ref = [torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU()) for _ in range(2)]
    assert repr(nn.ModuleList(nested)) == repr(torch.nn.ModuleList(nested_ref))


def test_replacing_a_parameter_or_child_keeps_its_place_in_the_state_dict(torch):
    def keys(lib):
        model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))
        model[0] = lib.nn.Linear(2, 3)
        model[0].weight = lib.nn.Parameter(lib.zeros(3, 2))
        layers = lib.nn.ModuleList([lib.nn.Linear(1, 1), lib.nn.Linear(1, 1)])
        layers[0] = lib.nn.Linear(1, 2)
        return list(model.state_dict()), list(layers.state_dict())

    assert keys(minigrad) == keys(torch)
    assert keys(minigrad)[1] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_module_dict_methods_match_pytorch(torch):
    def build(lib):
        layers = lib.nn.ModuleDict({"b": lib.nn.ReLU(), "a": lib.nn.Linear(2, 2)})
        layers.update([("c", lib.nn.Tanh())])
        layers["d"] = lib.nn.Linear(2, 1)
        popped = layers.pop("b")
        return layers, popped

    ours, popped = build(minigrad)
    theirs, popped_ref = build(torch)
    assert repr(ours) == repr(theirs) and repr(popped) == repr(popped_ref)
    assert list(ours.keys()) == list(theirs.keys()) and names(ours) == names(theirs)
    assert "a" in ours and "b" not in ours and len(ours) == len(theirs)
    ours.clear()
    assert len(ours) == 0 and names(ours) == []


def test_parameter_list_registers_wraps_and_prints_as_pytorch(torch):
    def build(lib):
        params = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)), lib.zeros(4, dtype=lib.float64)])
        params.append(lib.ones(1))
        params.extend([lib.nn.Parameter(lib.zeros(2, 2))])
        params += [lib.ones(3)]
        params[0] = lib.zeros(5)
        return params

    ours, theirs = build(minigrad), build(torch)
    assert torch_repr(repr(theirs)) == repr(ours)
    assert names(ours) == names(theirs) == ["0", "1", "2", "3", "4"]
    assert all(isinstance(p, nn.Parameter) for p in ours) and len(ours) == 5
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert [tuple(p.shape) for p in ours[1:4]] == [tuple(p.shape) for p in theirs[1:4]]
    assert ours[-1].shape == (3,)
    with pytest.raises(IndexError):
        ours[5]
    model = nn.Module()
    model.params = ours
    assert [n for n, _ in model.named_parameters()] == ["params.0", "params.1", "params.2", "params.3", "params.4"]


def test_parameter_dict_methods_and_sorted_plain_dict_update_match_pytorch(torch):
    def build(lib):
        params = lib.nn.ParameterDict({"b": lib.nn.Parameter(lib.ones(2)), "a": lib.zeros(3)})
        params.update(OrderedDict([("z", lib.ones(1)), ("c", lib.ones(2, 2))]))
        params["y"] = lib.ones(4, dtype=lib.float64)
        popped = params.pop("a")
        params.setdefault("e", lib.zeros(1))
        return params, popped

    ours, popped = build(minigrad)
    theirs, popped_ref = build(torch)
    assert torch_repr(repr(theirs)) == repr(ours)
    assert list(ours.keys()) == list(theirs.keys()) and names(ours) == names(theirs)
    assert tuple(popped.shape) == tuple(popped_ref.shape) and isinstance(popped, nn.Parameter)
    assert "b" in ours and "a" not in ours and ours.get("a") is None and len(ours) == len(theirs)
    key, value = ours.popitem()
    key_ref, _ = theirs.popitem()
    assert key == key_ref and isinstance(value, nn.Parameter)
    copied = ours.copy()
    assert list(copied.keys()) == list(ours.keys()) and copied["b"] is ours["b"]
    ours.clear()
    assert len(ours) == 0 and names(ours) == []
    with pytest.raises(KeyError):
        ours["b"]


def test_identity_accepts_any_arguments_and_unflatten_matches_pytorch(torch):
    layer = nn.Identity(54, unused_argument1=0.1, unused_argument2=False)
    x = minigrad.randn(2, 12)
    assert layer(x) is x and repr(layer) == repr(torch.nn.Identity(54, unused=1))
    unflatten, unflatten_ref = nn.Unflatten(1, (3, 4)), torch.nn.Unflatten(1, (3, 4))
    assert repr(unflatten) == repr(unflatten_ref)
    assert unflatten(x).shape == tuple(unflatten_ref(torch.tensor(x.numpy())).shape) == (2, 3, 4)
    assert nn.Unflatten(-1, (2, -1))(x).shape == (2, 2, 6)


@SETTINGS
@given(seed=st.integers(0, 2**31), lead=st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple),
       sizes=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)), bias=st.booleans())
def test_bilinear_matches_pytorch_in_output_and_every_gradient(torch, seed, lead, sizes, bias):
    in1, in2, out_features = sizes
    layer = nn.Bilinear(in1, in2, out_features, bias=bias, dtype=minigrad.float64)
    layer_ref = torch.nn.Bilinear(in1, in2, out_features, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        for (_, p), (_, p_ref) in zip(layer.named_parameters(), layer_ref.named_parameters()):
            p_ref.copy_(torch.tensor(p.detach().numpy()))
    assert names(layer) == names(layer_ref) and repr(layer) == repr(layer_ref)
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(lead + (in1,)), rng.standard_normal(lead + (in2,))
    x1, x2 = minigrad.tensor(a, requires_grad=True), minigrad.tensor(b, requires_grad=True)
    x1_ref, x2_ref = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, out_ref = layer(x1, x2), layer_ref(x1_ref, x2_ref)
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-11, atol=1e-13)
    upstream = rng.standard_normal(out.shape)
    out.backward(minigrad.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    for ours, theirs in [(x1, x1_ref), (x2, x2_ref)] + list(zip(layer.parameters(), layer_ref.parameters())):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bilinear_initialisation_statistics_and_gradcheck(torch):
    layer = nn.Bilinear(25, 3, 400)
    weight = layer.weight.detach().numpy()
    assert weight.shape == (400, 25, 3) and layer.bias.shape == (400,)
    assert np.abs(weight).max() <= 0.2 and abs(weight.std() - 0.2 / np.sqrt(3)) < 0.005  # U(-1/5, 1/5)
    rng = np.random.default_rng(2)
    inputs = [minigrad.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (2, 2), (4, 3, 2), (4,))]
    assert gradcheck(F.bilinear, inputs)
    with pytest.raises(RuntimeError, match="leading dims"):
        F.bilinear(minigrad.randn(2, 3), minigrad.randn(3, 2), minigrad.randn(4, 3, 2))
