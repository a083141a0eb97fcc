"""Optimizers: SGD, Adam and AdamW follow PyTorch's update rules step for step; param groups,
state_dict round trips, validation, and the raw-array update contract."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim

SHAPES = [(3, 4), (4,), (2, 2, 2)]
STEPS = 5


def run_both(torch, make_ours, make_theirs, steps=STEPS, seed=0, groups=None):
    """Same float64 initial weights and the same gradients at every step, in both frameworks.

    Returns the parameters after each step: ``[(ours, theirs) per step]``.
    """
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(shape) for shape in SHAPES]
    ours = [minigrad.tensor(w.copy(), requires_grad=True) for w in initial]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in initial]
    if groups is None:
        optimizer, reference = make_ours(ours), make_theirs(theirs)
    else:
        optimizer, reference = make_ours(groups(ours)), make_theirs(groups(theirs))
    history = []
    for _ in range(steps):
        for p, q in zip(ours, theirs):
            grad = rng.standard_normal(p.shape)
            p.grad, q.grad = minigrad.tensor(grad), torch.tensor(grad)
        optimizer.step()
        reference.step()
        history.append((
            [p.detach().numpy().copy() for p in ours],
            [q.detach().numpy().copy() for q in theirs],
        ))
    return history


def assert_same_trajectory(history):
    for step, (ours, theirs) in enumerate(history):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=f"after step {step + 1}")


SGD_CONFIGS = [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
    {"lr": 0.1, "momentum": 0.8, "nesterov": True},
    {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
    {"lr": 0.1, "weight_decay": 0.1, "nesterov": False, "maximize": True},
    {"lr": 0.1, "momentum": 0.5, "dampening": 0.1, "weight_decay": 0.05, "maximize": True},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1, "maximize": True},
]
ADAM_CONFIGS = [
    {"lr": 1e-2},
    {"lr": 1e-2, "amsgrad": True},
    {"lr": 1e-2, "weight_decay": 0.1},
    {"lr": 1e-2, "betas": (0.3, 0.5), "eps": 1e-6},  # 1 - beta1 >= 0.5: lerp's other branch
    {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.1, "maximize": True},
    {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True},
]
ADAMW_CONFIGS = [
    {"lr": 1e-2},
    {"lr": 1e-2, "weight_decay": 0.5, "amsgrad": True},
    {"lr": 1e-2, "weight_decay": 0.0, "maximize": True},
]


@pytest.mark.parametrize("config", SGD_CONFIGS, ids=str)
def test_sgd_matches_pytorch_step_for_step(torch, config):
    assert_same_trajectory(
        run_both(torch, lambda p: optim.SGD(p, **config), lambda p: torch.optim.SGD(p, **config))
    )


@pytest.mark.parametrize("config", ADAM_CONFIGS, ids=str)
def test_adam_matches_pytorch_step_for_step(torch, config):
    assert_same_trajectory(
        run_both(torch, lambda p: optim.Adam(p, **config), lambda p: torch.optim.Adam(p, **config))
    )


@pytest.mark.parametrize("config", ADAMW_CONFIGS, ids=str)
def test_adamw_matches_pytorch_step_for_step(torch, config):
    assert_same_trajectory(
        run_both(torch, lambda p: optim.AdamW(p, **config), lambda p: torch.optim.AdamW(p, **config))
    )


def test_param_groups_with_their_own_hyper_parameters_match_pytorch(torch):
    def groups(params):
        return [{"params": params[:2], "lr": 0.5, "momentum": 0.5}, {"params": params[2:]}]

    history = run_both(
        torch,
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        groups=groups,
    )
    assert_same_trajectory(history)


def test_training_a_linear_model_matches_pytorch(torch):
    """End to end: forward, cross_entropy, backward and Adam, five steps, float64."""
    rng = np.random.default_rng(1)
    data, target = rng.standard_normal((16, 5)), rng.integers(0, 3, 16)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    reference = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    reference.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    optimizer = optim.Adam(model.parameters(), lr=0.05, weight_decay=0.01)
    reference_optimizer = torch.optim.Adam(reference.parameters(), lr=0.05, weight_decay=0.01)
    for _ in range(5):
        optimizer.zero_grad()
        reference_optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(minigrad.tensor(data)), minigrad.tensor(target))
        expected = torch.nn.functional.cross_entropy(reference(torch.tensor(data)), torch.tensor(target))
        assert loss.item() == pytest.approx(expected.item(), rel=1e-10)
        loss.backward()
        expected.backward()
        optimizer.step()
        reference_optimizer.step()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(
            p.detach().numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


# --- state_dict --------------------------------------------------------------------------

OPTIMIZERS = [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: optim.Adam(p, lr=1e-2, amsgrad=True, betas=(0.8, 0.9)),
    lambda p: optim.AdamW(p, lr=1e-2),
]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_state_dict_round_trip_through_save_and_load_continues_identically(tmp_path, make):
    rng = np.random.default_rng(2)
    initial = [rng.standard_normal(shape) for shape in SHAPES]
    grads = [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(6)]

    def fresh():
        params = [minigrad.tensor(w.copy(), requires_grad=True) for w in initial]
        return params, make([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}])

    def run(params, optimizer, steps):
        for step_grads in steps:
            for p, g in zip(params, step_grads):
                p.grad = minigrad.tensor(g)
            optimizer.step()

    straight_params, straight = fresh()
    run(straight_params, straight, grads)

    params, optimizer = fresh()
    run(params, optimizer, grads[:3])
    path = tmp_path / "checkpoint.npz"
    minigrad.save({"params": [p.detach() for p in params], "optimizer": optimizer.state_dict()}, path)
    checkpoint = minigrad.load(path)
    resumed_params = [minigrad.tensor(p.numpy().copy(), requires_grad=True) for p in checkpoint["params"]]
    resumed = make([{"params": resumed_params[:1]}, {"params": resumed_params[1:], "lr": 0.05}])
    resumed.load_state_dict(checkpoint["optimizer"])
    run(resumed_params, resumed, grads[3:])
    for a, b in zip(resumed_params, straight_params):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert resumed.param_groups[1]["lr"] == 0.05


def test_state_dict_layout_matches_pytorch(torch):
    ours = [minigrad.zeros(2, requires_grad=True) for _ in range(3)]
    theirs = [torch.zeros(2, requires_grad=True) for _ in range(3)]
    optimizer = optim.Adam([{"params": ours[:2]}, {"params": ours[2:], "lr": 0.1}], amsgrad=True)
    reference = torch.optim.Adam([{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.1}], amsgrad=True)
    for p, q in zip(ours, theirs):
        p.grad, q.grad = minigrad.ones(2), torch.ones(2)
    optimizer.step()
    reference.step()
    state, expected = optimizer.state_dict(), reference.state_dict()
    assert list(state["state"]) == list(expected["state"]) == [0, 1, 2]
    assert set(state["state"][0]) == set(expected["state"][0])
    assert [g["params"] for g in state["param_groups"]] == [g["params"] for g in expected["param_groups"]]
    for group, expected_group in zip(state["param_groups"], expected["param_groups"]):
        assert set(group) <= set(expected_group)
        for key in group:
            assert group[key] == expected_group[key], key
    np.testing.assert_allclose(state["state"][2]["exp_avg"].numpy(), expected["state"][2]["exp_avg"].numpy())


def test_load_state_dict_rejects_a_different_layout():
    params = [minigrad.zeros(2, requires_grad=True) for _ in range(3)]
    saved = optim.SGD(params, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD(params[:2], lr=0.1).load_state_dict(saved)


# --- contract and validation -------------------------------------------------------------


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_updates_are_in_place_keep_float32_and_never_write_the_gradient(make):
    first = minigrad.randn(3, 3, requires_grad=True)
    second = minigrad.randn(3, 3, requires_grad=True)
    untouched = minigrad.randn(2, requires_grad=True)
    shared_grad = minigrad.randn(3, 3)
    first.grad = second.grad = shared_grad  # the engine may hand two leaves one gradient
    grad_values = shared_grad.numpy().copy()
    array = first._array
    optimizer = make([first, second, untouched])
    for _ in range(2):
        optimizer.step()
    assert first._array is array and first.dtype == minigrad.float32 and second.dtype == minigrad.float32
    np.testing.assert_array_equal(shared_grad.numpy(), grad_values)
    assert untouched not in optimizer.state  # no gradient, no update and no state
    for state in optimizer.state.values():
        for value in state.values():
            if isinstance(value, minigrad.Tensor):
                assert value.dtype == minigrad.float32


def test_optimizer_holds_parameters_across_model_to_dtype():
    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    model.double()
    model(minigrad.ones(1, 2, dtype=minigrad.float64)).sum().backward()
    before = model.bias.item()
    optimizer.step()
    assert model.bias.item() == pytest.approx(before - 1.0)
    assert model.bias.dtype == minigrad.float64


def test_zero_grad_closure_and_named_parameters():
    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.named_parameters(), lr=0.1)
    assert optimizer.param_groups[0]["param_names"] == ["weight", "bias"]

    def closure():
        optimizer.zero_grad()
        loss = model(minigrad.ones(1, 2)).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert isinstance(loss, minigrad.Tensor)
    optimizer.zero_grad(set_to_none=False)
    assert model.weight.grad is not None and np.all(model.weight.grad.numpy() == 0)
    optimizer.zero_grad()
    assert model.weight.grad is None


def test_add_param_group_fills_defaults_and_refuses_duplicates():
    a, b = minigrad.zeros(1, requires_grad=True), minigrad.zeros(1, requires_grad=True)
    optimizer = optim.Adam([a], lr=0.01)
    optimizer.add_param_group({"params": b, "lr": 0.5})
    assert optimizer.param_groups[1]["lr"] == 0.5
    assert optimizer.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="duplicate"):
        optim.SGD([b, b])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
        (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda p: optim.SGD(p, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
        (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum"),
        (lambda p: optim.Adam(p, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda p: optim.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
        (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (lambda p: optim.AdamW(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    ],
)
def test_hyper_parameter_validation_uses_pytorchs_messages(torch, make, message):
    param = minigrad.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match=message):
        make([param])


def test_bad_params_are_refused_clearly():
    param = minigrad.zeros(1, requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(param, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({param}, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([param * 2], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(1)], lr=0.1)
