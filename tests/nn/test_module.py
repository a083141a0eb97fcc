"""nn.Module: registration, iteration, modes, devices/dtypes, checkpoints, hooks, repr."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim
from minigrad.nn.module import register_module_forward_hook


class Block(nn.Module):
    """A small model with a parameter, a child, a persistent and a non-persistent buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(minigrad.ones(3))
        self.fc = nn.Linear(3, 2)
        self.register_buffer("steps", minigrad.zeros(1, dtype="int64"))
        self.register_buffer("cache", minigrad.zeros(2), persistent=False)
        self.head = nn.Sequential(nn.Linear(2, 2), nn.ReLU())

    def forward(self, x):
        return self.head(self.fc(x * self.scale))


def torch_block(torch):
    class TorchBlock(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.fc = torch.nn.Linear(3, 2)
            self.register_buffer("steps", torch.zeros(1, dtype=torch.int64))
            self.register_buffer("cache", torch.zeros(2), persistent=False)
            self.head = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())

    return TorchBlock()


# --- registration ------------------------------------------------------------------------


def test_parameters_buffers_and_children_are_registered_in_insertion_order(torch):
    model, reference = Block(), torch_block(torch)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in reference.named_parameters()]
    assert [n for n, _ in model.named_parameters()] == [
        "scale", "fc.weight", "fc.bias", "head.0.weight", "head.0.bias",
    ]
    assert [n for n, _ in model.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in model.named_children()] == ["fc", "head"]
    assert [n for n, _ in model.named_modules()] == [n for n, _ in reference.named_modules()]
    assert [n for n, _ in model.named_parameters(prefix="model", recurse=False)] == ["model.scale"]
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_reassigning_a_name_moves_it_between_registries():
    model = nn.Module()
    model.thing = nn.Linear(1, 1)
    model.thing = nn.Parameter(minigrad.zeros(2))
    assert "thing" in model._parameters and "thing" not in model._modules
    with pytest.raises(TypeError, match="as parameter 'thing'"):
        model.thing = nn.Linear(1, 1)  # as in PyTorch: a parameter name takes Parameter or None
    model.thing = None
    assert model.thing is None and list(model.parameters()) == []
    del model.thing
    model.thing = nn.Linear(1, 1)
    assert "thing" in model._modules and "thing" not in model._parameters
    model.thing = None
    assert model.thing is None and list(model.children()) == []
    del model.thing
    with pytest.raises(AttributeError, match="no attribute 'thing'"):
        _ = model.thing


def test_registration_errors_are_clear():
    class Early(nn.Module):
        def __init__(self) -> None:
            self.weight = nn.Parameter(minigrad.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter or None"):
        layer.weight = minigrad.zeros(2, 2)
    with pytest.raises(KeyError, match="already exists"):
        layer.register_buffer("weight", minigrad.zeros(1))
    with pytest.raises(KeyError, match=r'contain "\."'):
        layer.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="Tensor or None"):
        layer.register_buffer("stats", [1, 2])
    with pytest.raises(TypeError, match="Parameter or None required"):
        layer.register_parameter("p", nn.Parameter(minigrad.ones(1)) * 2)  # type: ignore[arg-type]


def test_parameter_is_a_leaf_tensor_sharing_data_with_a_pytorch_repr():
    data = minigrad.tensor([1.0, 2.0])
    param = nn.Parameter(data)
    assert isinstance(param, minigrad.Tensor) and param.is_leaf and param.requires_grad
    assert param._array is data._array
    assert repr(param) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert type(param * 2) is minigrad.Tensor and type(param.detach()) is minigrad.Tensor
    with pytest.raises(RuntimeError, match="floating-point"):
        nn.Parameter(minigrad.tensor([1, 2]))


def test_get_submodule_and_dir():
    model = Block()
    assert model.get_submodule("head.0") is model.head[0]
    assert model.get_submodule("") is model
    with pytest.raises(AttributeError, match="no submodule"):
        model.get_submodule("head.7")
    assert {"scale", "fc", "steps"} <= set(dir(model))


# --- modes, gradients, apply -------------------------------------------------------------


def test_train_and_eval_propagate_to_every_submodule():
    model = Block()
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model.head[1].training
    with pytest.raises(ValueError, match="boolean"):
        model.train("yes")  # type: ignore[arg-type]


def test_zero_grad_sets_none_or_fresh_zeros_without_touching_shared_arrays():
    model = nn.Linear(3, 2)
    model(minigrad.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    old = model.weight.grad
    old_values = old._array.copy()
    model.zero_grad(set_to_none=False)
    assert np.all(model.weight.grad.numpy() == 0) and model.weight.grad is not old
    np.testing.assert_array_equal(old._array, old_values)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_and_apply_visit_children_before_parents():
    model = Block()
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Linear", "ReLU", "Sequential", "Block"]
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


# --- devices and dtypes ------------------------------------------------------------------


def test_to_dtype_keeps_parameter_identity_and_converts_grads_and_float_buffers():
    model = Block()
    model.register_buffer("running", minigrad.zeros(3))
    params = list(model.parameters())
    model(minigrad.randn(2, 3)).sum().backward()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    assert model.double() is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.dtype == minigrad.float64 and p.grad.dtype == minigrad.float64 for p in params)
    assert all(p.requires_grad and p.is_leaf for p in params)
    assert model.running.dtype == minigrad.float64
    assert model.steps.dtype == minigrad.int64  # integer buffers keep their dtype
    before = model.fc.weight.detach().numpy().copy()
    optimizer.step()  # the optimizer built before .double() still updates the same objects
    assert not np.allclose(before, model.fc.weight.detach().numpy())
    model.to(dtype=minigrad.float32)
    assert model.fc.weight.dtype == minigrad.float32
    model.to("cpu", minigrad.float64)
    assert model.fc.bias.dtype == minigrad.float64 and model.fc.bias.device == "cpu"
    assert model.float().cpu() is model and model.fc.weight.dtype == minigrad.float32
    with pytest.raises(TypeError, match="floating point"):
        model.to(minigrad.int64)


def test_deepcopy_gives_an_independent_model_on_the_same_device():
    model = Block()
    clone = copy.deepcopy(model)
    x = minigrad.randn(2, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), clone(x).detach().numpy())
    with minigrad.no_grad():
        clone.fc.weight.fill_(0.0)
    assert not np.all(model.fc.weight.detach().numpy() == 0)
    assert clone.fc.weight.backend is model.fc.weight.backend


# --- state_dict ------------------------------------------------------------------------


def test_state_dict_keys_match_pytorch_and_hold_detached_shared_tensors(torch):
    model = Block()
    state = model.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == list(torch_block(torch).state_dict())
    assert list(state) == ["scale", "steps", "fc.weight", "fc.bias", "head.0.weight", "head.0.bias"]
    assert all(not t.requires_grad for t in state.values())
    assert state["fc.weight"]._array is model.fc.weight._array  # no copy, as in PyTorch
    assert model.state_dict(keep_vars=True)["fc.weight"] is model.fc.weight


def test_state_dict_round_trips_through_save_and_load(tmp_path):
    model, fresh = Block(), Block()
    with minigrad.no_grad():
        model.steps.fill_(7)
    path = tmp_path / "model.npz"
    minigrad.save(model.state_dict(), path)
    weight_object = fresh.fc.weight
    result = fresh.load_state_dict(minigrad.load(path))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert fresh.fc.weight is weight_object  # loaded in place
    x = minigrad.randn(4, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), fresh(x).detach().numpy())
    assert fresh.steps.item() == 7 and fresh.steps.dtype == minigrad.int64


def test_load_state_dict_casts_to_the_parameter_dtype_and_copies():
    model = nn.Linear(2, 2)
    state = {k: v.double() * 0 + 1 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert model.weight.dtype == minigrad.float32
    assert np.all(model.weight.detach().numpy() == 1)
    state["weight"]._array[...] = 5  # the module must not share the caller's array
    assert np.all(model.weight.detach().numpy() == 1)


def test_load_state_dict_strict_lists_every_problem_at_once():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    state = model.state_dict()
    del state["0.bias"], state["2.weight"]
    state["0.weight"] = minigrad.zeros(5, 4)
    state["extra.weight"] = minigrad.zeros(1)
    state["2.gamma"] = minigrad.zeros(1)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert "Error(s) in loading state_dict for Sequential" in message
    assert 'Missing key(s) in state_dict: "0.bias", "2.weight".' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight", "2.gamma".' in message
    assert "size mismatch for 0.weight" in message and "(5, 4)" in message and "(3, 4)" in message


def test_load_state_dict_non_strict_returns_the_incompatible_keys():
    model = nn.Sequential(nn.Linear(2, 2))
    before = model[0].weight.detach().numpy().copy()
    result = model.load_state_dict({"0.bias": minigrad.ones(2), "junk": minigrad.ones(1)}, strict=False)
    assert result.missing_keys == ["0.weight"] and result.unexpected_keys == ["junk"]
    missing, unexpected = result
    assert missing == ["0.weight"] and unexpected == ["junk"]
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), before)
    assert np.all(model[0].bias.detach().numpy() == 1)
    with pytest.raises(RuntimeError, match="size mismatch"):  # shapes are checked even when not strict
        model.load_state_dict({"0.bias": minigrad.ones(3)}, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        model.load_state_dict([1, 2])


# --- hooks -----------------------------------------------------------------------------


def test_forward_hooks_fire_with_module_args_output_and_can_be_removed():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    calls = []

    def record(module, args, output):
        calls.append((type(module).__name__, args[0].shape, output.shape))

    handles = [m.register_forward_hook(record) for m in model]
    x = minigrad.randn(4, 3)
    model(x)
    assert calls == [("Linear", (4, 3), (4, 2)), ("ReLU", (4, 2), (4, 2))]
    for handle in handles:
        handle.remove()
    calls.clear()
    model(x)
    assert calls == []


def test_hooks_can_replace_inputs_and_outputs_and_run_in_order():
    layer = nn.Identity()
    order = []
    layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    layer.register_forward_hook(lambda m, args, out: order.append("second"))
    layer.register_forward_hook(lambda m, args, out: order.append("first"), prepend=True)
    with layer.register_forward_hook(lambda m, args, out: out + 1):
        assert layer(minigrad.tensor(1.0)).item() == 3.0
    assert layer(minigrad.tensor(1.0)).item() == 2.0
    assert order == ["first", "second", "first", "second"]


def test_global_forward_hook_sees_every_module_call():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    seen = []
    with register_module_forward_hook(lambda m, args, out: seen.append(type(m).__name__)):
        model(minigrad.randn(1, 2))
    model(minigrad.randn(1, 2))
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(minigrad.zeros(1))


# --- repr ------------------------------------------------------------------------------


def test_repr_matches_pytorch(torch):
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.25),
        nn.Sequential(nn.Linear(8, 2, bias=False), nn.LogSoftmax(dim=1)),
    )
    reference = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Dropout(0.25),
        torch.nn.Sequential(torch.nn.Linear(8, 2, bias=False), torch.nn.LogSoftmax(dim=1)),
    )
    assert repr(model) == repr(reference)
    assert repr(Block()) == repr(torch_block(torch)).replace("TorchBlock", "Block")
