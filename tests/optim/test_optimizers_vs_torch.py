"""Every optimizer follows PyTorch's trajectory for 50 steps (float64, same weights, gradients
from each framework's own weights), its state_dict has PyTorch's layout and loads in both
directions, and every update is an in-place, version-bumping write made under no_grad."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import optim

SHAPES = [(3, 4), (5,), (2, 1, 3)]
STEPS = 50

# (name, options): each option combination is run through both frameworks.
CONFIGS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "foreach": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "fused": True}),
    ("Adam", {"lr": 1e-2, "amsgrad": True}),
    ("Adam", {"lr": 1e-2, "weight_decay": 0.1, "maximize": True, "foreach": False}),
    ("Adam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True, "fused": True}),
    ("AdamW", {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.3}),
    ("AdamW", {"lr": 1e-2, "betas": (0.3, 0.5), "maximize": True, "capturable": False}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 1e-2, "alpha": 0.9, "momentum": 0.5}),
    ("RMSprop", {"lr": 1e-3, "centered": True, "weight_decay": 0.1, "eps": 1e-4}),
    ("RMSprop", {"lr": 1e-3, "centered": True, "momentum": 0.9, "maximize": True, "foreach": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-6, "maximize": True, "fused": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.05}),
    ("Adadelta", {"rho": 0.95, "maximize": True, "foreach": False}),
    ("Adamax", {}),
    ("Adamax", {"lr": 1e-2, "betas": (0.7, 0.8), "weight_decay": 0.1}),
    ("Adamax", {"lr": 1e-2, "eps": 1e-3, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 1e-2, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),  # rho_t > 5 only from step 6 on: both branches run
    ("RAdam", {"lr": 1e-2, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
]
# Per-group overrides for the second group (the first takes the defaults).
GROUP_OVERRIDES = {
    "SGD": {"lr": 0.1}, "Adam": {"lr": 0.03, "betas": (0.8, 0.9)}, "AdamW": {"weight_decay": 0.0},
    "RMSprop": {"alpha": 0.5}, "Adagrad": {"lr_decay": 0.05}, "Adadelta": {"rho": 0.8},
    "Adamax": {"lr": 0.05}, "NAdam": {"momentum_decay": 0.02}, "RAdam": {"betas": (0.9, 0.99)},
}


def initial_weights(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in SHAPES]


def make_pair(torch, name, options, weights, groups=True):
    ours = [minigrad.tensor(w.copy(), requires_grad=True) for w in weights]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in weights]

    def build(library_optim, params):
        if not groups:
            return getattr(library_optim, name)(params, **options)
        grouped = [{"params": params[:2]}, {"params": params[2:], **GROUP_OVERRIDES[name]}]
        return getattr(library_optim, name)(grouped, **options)

    return ours, build(optim, ours), theirs, build(torch.optim, theirs)


def set_gradients(torch, ours, theirs, rng):
    """A quadratic pull towards 0.3 plus shared noise, each from its own framework's weights,
    so a wrong step changes every later gradient."""
    for p, q in zip(ours, theirs):
        noise = rng.standard_normal(p.shape)
        p.grad = minigrad.tensor(0.5 * (p.detach().numpy() - 0.3) + noise)
        q.grad = torch.tensor(0.5 * (q.detach().numpy() - 0.3) + noise)


def run_and_compare(torch, ours, optimizer, theirs, reference, steps=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    worst = 0.0
    for step in range(steps):
        set_gradients(torch, ours, theirs, rng)
        optimizer.step()
        reference.step()
        for p, q in zip(ours, theirs):
            a, b = p.detach().numpy(), q.detach().numpy()
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9, err_msg=f"after step {step + 1}")
            worst = max(worst, float(np.max(np.abs(a - b) / (1e-9 + np.abs(b)))))
    return worst


@pytest.mark.parametrize("name, options", CONFIGS, ids=[f"{n}-{o}" for n, o in CONFIGS])
def test_trajectory_matches_pytorch_for_50_steps(torch, name, options):
    ours, optimizer, theirs, reference = make_pair(torch, name, options, initial_weights(0))
    worst = run_and_compare(torch, ours, optimizer, theirs, reference)
    # Float64 rounding apart (NAdam's mu_product is float32 in both, as PyTorch keeps it).
    assert worst < 1e-10


HYPER = {
    "RMSprop": {"lr": st.floats(1e-4, 1e-1), "alpha": st.floats(0.1, 0.999), "momentum": st.sampled_from([0, 0.5]),
                "centered": st.booleans(), "weight_decay": st.sampled_from([0, 0.1])},
    "Adagrad": {"lr": st.floats(1e-3, 0.5), "lr_decay": st.floats(0, 0.1),
                "initial_accumulator_value": st.floats(0, 1)},
    "Adadelta": {"lr": st.floats(0.1, 2.0), "rho": st.floats(0.1, 0.99), "eps": st.floats(1e-8, 1e-3)},
    "Adamax": {"lr": st.floats(1e-4, 1e-1), "betas": st.tuples(st.floats(0, 0.99), st.floats(0, 0.999))},
    "NAdam": {"lr": st.floats(1e-4, 1e-1), "momentum_decay": st.floats(0, 0.05),
              "decoupled_weight_decay": st.booleans(), "weight_decay": st.sampled_from([0, 0.1])},
    "RAdam": {"lr": st.floats(1e-4, 1e-1), "betas": st.tuples(st.floats(0, 0.99), st.floats(0.5, 0.999)),
              "decoupled_weight_decay": st.booleans(), "weight_decay": st.sampled_from([0, 0.1])},
    "Adam": {"lr": st.floats(1e-4, 1e-1), "amsgrad": st.booleans(), "maximize": st.booleans(),
             "betas": st.tuples(st.floats(0, 0.99), st.floats(0, 0.999))},
}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_hyper_parameters_follow_pytorch(torch, data):
    name = data.draw(st.sampled_from(sorted(HYPER)))
    options = {key: data.draw(strategy, label=key) for key, strategy in HYPER[name].items()}
    seed = data.draw(st.integers(0, 2**16))
    ours, optimizer, theirs, reference = make_pair(torch, name, options, initial_weights(seed), groups=False)
    run_and_compare(torch, ours, optimizer, theirs, reference, steps=20, seed=seed)


# --- state_dict ----------------------------------------------------------------------------

STATEFUL = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {"initial_accumulator_value": 0.1}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("NAdam", {}),
    ("RAdam", {}),
]


def to_minigrad(value, torch):
    if isinstance(value, torch.Tensor):
        return minigrad.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {key: to_minigrad(item, torch) for key, item in value.items()}
    if isinstance(value, list):
        return [to_minigrad(item, torch) for item in value]
    return value


def to_torch(value, torch):
    if isinstance(value, minigrad.Tensor):
        return torch.tensor(value.numpy().copy())
    if isinstance(value, dict):
        return {key: to_torch(item, torch) for key, item in value.items()}
    if isinstance(value, list):
        return [to_torch(item, torch) for item in value]
    return value


def step_both(torch, ours, optimizer, theirs, reference, steps, seed=3):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        set_gradients(torch, ours, theirs, rng)
        optimizer.step()
        reference.step()


@pytest.mark.parametrize("name, options", STATEFUL, ids=[n for n, _ in STATEFUL])
def test_state_dict_layout_equals_pytorchs(torch, name, options):
    ours, optimizer, theirs, reference = make_pair(torch, name, options, initial_weights(4))
    step_both(torch, ours, optimizer, theirs, reference, steps=3)
    state, expected = optimizer.state_dict(), reference.state_dict()
    assert list(state) == list(expected) == ["state", "param_groups"]
    assert list(state["state"]) == list(expected["state"])
    assert state["param_groups"] == expected["param_groups"]  # every key, value and index list
    for index, values in expected["state"].items():
        assert list(state["state"][index]) == list(values)
        for key, value in values.items():
            mine = state["state"][index][key]
            assert isinstance(mine, minigrad.Tensor)
            assert mine.shape == tuple(value.shape), key
            assert str(mine.dtype) == str(value.dtype).replace("torch", "minigrad"), key
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-6, err_msg=key)


@pytest.mark.parametrize("name, options", STATEFUL, ids=[n for n, _ in STATEFUL])
def test_a_pytorch_state_dict_loads_and_continues_pytorchs_trajectory(torch, name, options):
    trained, trained_optimizer, theirs, reference = make_pair(torch, name, options, initial_weights(5))
    step_both(torch, trained, trained_optimizer, theirs, reference, steps=4)
    # A fresh optimizer (other options, empty state) on torch's weights takes torch's checkpoint.
    ours, optimizer, _, _ = make_pair(torch, name, {}, [q.detach().numpy() for q in theirs])
    optimizer.load_state_dict(to_minigrad(reference.state_dict(), torch))
    assert optimizer.param_groups[1] == {**reference.param_groups[1], "params": ours[2:]}
    run_and_compare(torch, ours, optimizer, theirs, reference, steps=10)


@pytest.mark.parametrize("name, options", STATEFUL, ids=[n for n, _ in STATEFUL])
def test_our_state_dict_loads_into_pytorch_and_continues_identically(torch, name, options):
    ours, optimizer, trained, trained_reference = make_pair(torch, name, options, initial_weights(6))
    step_both(torch, ours, optimizer, trained, trained_reference, steps=4)
    _, _, theirs, reference = make_pair(torch, name, {}, [p.detach().numpy() for p in ours])
    reference.load_state_dict(to_torch(optimizer.state_dict(), torch))
    run_and_compare(torch, ours, optimizer, theirs, reference, steps=10)


@pytest.mark.parametrize("name, options", STATEFUL, ids=[n for n, _ in STATEFUL])
def test_state_dict_round_trips_through_save_and_load(tmp_path, name, options):
    weights = initial_weights(7)
    grads = [[np.full(shape, 0.1 * k - 0.4) for shape in SHAPES] for k in range(8)]

    def fresh(values):
        params = [minigrad.tensor(w.copy(), requires_grad=True) for w in values]
        grouped = [{"params": params[:1]}, {"params": params[1:], **GROUP_OVERRIDES[name]}]
        return params, getattr(optim, name)(grouped, **options)

    def run(params, optimizer, steps):
        for step_grads in steps:
            for p, g in zip(params, step_grads):
                p.grad = minigrad.tensor(g)
            optimizer.step()

    straight_params, straight = fresh(weights)
    run(straight_params, straight, grads)
    params, optimizer = fresh(weights)
    run(params, optimizer, grads[:4])
    path = tmp_path / "checkpoint.npz"
    minigrad.save({"params": [p.detach() for p in params], "optimizer": optimizer.state_dict()}, path)
    checkpoint = minigrad.load(path)
    resumed_params, resumed = fresh([p.numpy() for p in checkpoint["params"]])
    resumed.load_state_dict(checkpoint["optimizer"])
    assert resumed.state_dict()["param_groups"] == optimizer.state_dict()["param_groups"]
    run(resumed_params, resumed, grads[4:])
    # NAdam's mu_product is float32 until a load casts it to the parameter's dtype (PyTorch's
    # rule), so its resumed run differs in float32 rounding; every other one is bit for bit.
    tolerance = 1e-6 if name == "NAdam" else 0
    for a, b in zip(resumed_params, straight_params):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tolerance, atol=0)


def test_step_is_a_0d_float32_tensor_like_pytorchs_and_an_int_step_still_loads():
    param = minigrad.zeros(2, requires_grad=True)
    optimizer = optim.Adam([param])
    param.grad = minigrad.ones(2)
    optimizer.step()
    step = optimizer.state[param]["step"]
    assert isinstance(step, minigrad.Tensor) and step.shape == () and step.dtype == minigrad.float32
    saved = optimizer.state_dict()
    saved["state"][0]["step"] = 1  # a checkpoint written before steps were tensors
    optimizer.load_state_dict(saved)
    optimizer.step()
    assert optimizer.state[param]["step"].item() == 2.0


def test_adagrad_makes_its_state_at_construction_like_pytorch(torch):
    ours = optim.Adagrad([minigrad.zeros(2, requires_grad=True)], initial_accumulator_value=0.25)
    theirs = torch.optim.Adagrad([torch.zeros(2, requires_grad=True)], initial_accumulator_value=0.25)
    state, expected = ours.state_dict()["state"], theirs.state_dict()["state"]
    assert list(state[0]) == list(expected[0]) == ["step", "sum"]
    np.testing.assert_array_equal(state[0]["sum"].numpy(), expected[0]["sum"].numpy())


def test_a_group_added_later_gets_its_own_options_and_state(torch):
    weights = initial_weights(8)
    ours = [minigrad.tensor(w.copy(), requires_grad=True) for w in weights]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    for name in ("Adagrad", "RMSprop", "NAdam"):
        optimizer = getattr(optim, name)(ours[:1], lr=0.01)
        reference = getattr(torch.optim, name)(theirs[:1], lr=0.01)
        optimizer.add_param_group({"params": ours[1:], "lr": 0.05})
        reference.add_param_group({"params": theirs[1:], "lr": 0.05})
        assert optimizer.param_groups[1].keys() == reference.param_groups[1].keys()
        run_and_compare(torch, ours, optimizer, theirs, reference, steps=5)


# --- contract ------------------------------------------------------------------------------

ALL = [name for name, _ in STATEFUL]


@pytest.mark.parametrize("name", ALL)
def test_a_step_is_in_place_bumps_the_version_and_records_no_graph(name):
    param = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    array, version = param._array, param._version
    saved = param * param  # saves param for backward
    param.grad = minigrad.tensor([0.5, 0.5, -0.5])
    getattr(optim, name)([param], lr=0.1).step()
    assert param._array is array and param._version == version + 1
    assert param.is_leaf and param.requires_grad and param.grad_fn is None
    assert not np.allclose(param.detach().numpy(), [1.0, -2.0, 3.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.sum().backward()


@pytest.mark.parametrize("name", ALL)
def test_foreach_fused_capturable_and_differentiable_change_nothing(name):
    """They pick PyTorch kernels (or, for capturable, CUDA graphs; differentiable, autograd
    through the step): one array code path here, so the same numbers."""
    accepted = set(inspect.signature(getattr(optim, name)).parameters) & {
        "foreach", "fused", "capturable", "differentiable"
    }
    assert "foreach" in accepted and "differentiable" in accepted
    results = []
    for options in ({}, *({key: True} for key in sorted(accepted))):
        param = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
        optimizer = getattr(optim, name)([param], lr=0.1, **options)
        for _ in range(3):
            param.grad = minigrad.tensor([0.5, 0.25, -0.5])
            optimizer.step()
        results.append(param.detach().numpy())
    assert len(results) == len(accepted) + 1
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_is_accepted_but_not_with_foreach_or_differentiable(torch, name):
    param, reference_param = minigrad.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    getattr(optim, name)([param], lr=0.1, fused=True)
    bad = [({"foreach": True}, "cannot be `True` together"), ({"differentiable": True}, "does not support")]
    for options, message in bad:
        with pytest.raises(RuntimeError, match=message):
            getattr(torch.optim, name)([reference_param], lr=0.1, fused=True, **options)
        with pytest.raises(RuntimeError, match=message):
            getattr(optim, name)([param], lr=0.1, fused=True, **options)


@pytest.mark.parametrize("name", ["RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_optimizers_without_a_fused_kernel_refuse_the_argument_like_pytorch(torch, name):
    with pytest.raises(TypeError, match="fused"):
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], fused=True)
    with pytest.raises(TypeError, match="fused"):
        getattr(optim, name)([minigrad.zeros(1, requires_grad=True)], fused=True)


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("RMSprop", {"lr": -1.0}, "Invalid learning rate: -1.0"),
        ("RMSprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
        ("RMSprop", {"momentum": -0.1}, "Invalid momentum value: -0.1"),
        ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
        ("Adagrad", {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
        ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
        ("Adadelta", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ("Adamax", {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
        ("NAdam", {"momentum_decay": -1.0}, "Invalid momentum_decay value: -1.0"),
        ("RAdam", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ],
)
def test_bad_hyper_parameters_raise_pytorchs_errors(torch, name, options, message):
    with pytest.raises(ValueError, match=message):
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([minigrad.zeros(1, requires_grad=True)], **options)


def test_exports_match_pytorchs_names(torch):
    names = {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Optimizer"}
    assert names <= set(optim.__all__) and names <= set(torch.optim.__all__)
    assert set(optim.__all__) <= set(torch.optim.__all__)
