"""Every learning-rate scheduler sets PyTorch's lrs (and cycled momenta) for 50 steps, keeps
PyTorch's state_dict layout, loads PyTorch's state dicts and round-trips its own."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import optim
from minigrad.optim import lr_scheduler

STEPS = 50


def sgd(library, params, **options):
    """Two groups with their own lrs; SGD with momentum, so momentum can be cycled."""
    return library.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.1, momentum=0.9, **options)


def adam(library, params):
    return library.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.02}], lr=0.01)


def make_optimizers(torch, make_optimizer=sgd):
    ours = make_optimizer(optim, [minigrad.zeros(2, requires_grad=True), minigrad.zeros(1, requires_grad=True)])
    theirs = make_optimizer(torch.optim, [torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)])
    return ours, theirs


def half_then_decay(epoch):
    return 0.5 if epoch < 3 else 0.9**epoch


# name -> (factory(schedulers_module, optimizer), optimizer maker)
SCHEDULERS = {
    "StepLR": (lambda s, o: s.StepLR(o, step_size=7, gamma=0.5), sgd),
    "MultiStepLR": (lambda s, o: s.MultiStepLR(o, milestones=[3, 10, 10, 31], gamma=0.3), sgd),
    "ExponentialLR": (lambda s, o: s.ExponentialLR(o, gamma=0.93), sgd),
    "CosineAnnealingLR": (lambda s, o: s.CosineAnnealingLR(o, T_max=12, eta_min=0.001), sgd),  # past T_max too
    "CosineAnnealingLR-no-floor": (lambda s, o: s.CosineAnnealingLR(o, T_max=50), sgd),
    "CosineAnnealingWarmRestarts": (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=5, eta_min=0.01), sgd),
    "CosineAnnealingWarmRestarts-mult": (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2), sgd),
    "OneCycleLR-cos": (lambda s, o: s.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=STEPS), sgd),
    "OneCycleLR-linear-three-phase": (
        lambda s, o: s.OneCycleLR(o, max_lr=1.0, epochs=5, steps_per_epoch=10, anneal_strategy="linear",
                                  three_phase=True, pct_start=0.25), sgd),
    "OneCycleLR-adam-betas": (lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=STEPS, div_factor=10.0), adam),
    "OneCycleLR-no-momentum": (
        lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=STEPS + 5, cycle_momentum=False), sgd),
    "CyclicLR-triangular": (lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4), sgd),
    "CyclicLR-triangular2": (
        lambda s, o: s.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                                mode="triangular2"), sgd),
    "CyclicLR-exp-range-adam": (
        lambda s, o: s.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=6, mode="exp_range", gamma=0.97,
                                base_momentum=0.7, max_momentum=0.95), adam),
    "CyclicLR-scale-fn": (
        lambda s, o: s.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=2, scale_fn=lambda x: 1 / (1 + x),
                                scale_mode="iterations", cycle_momentum=False), sgd),
    "LambdaLR": (lambda s, o: s.LambdaLR(o, lr_lambda=half_then_decay), sgd),
    "LambdaLR-per-group": (lambda s, o: s.LambdaLR(o, lr_lambda=[lambda e: 1 / (1 + e), half_then_decay]), sgd),
    "MultiplicativeLR": (lambda s, o: s.MultiplicativeLR(o, lr_lambda=lambda e: 0.95 if e % 2 else 1.01), sgd),
    "LinearLR": (lambda s, o: s.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20), sgd),
    "ConstantLR": (lambda s, o: s.ConstantLR(o, factor=0.25, total_iters=8), sgd),
    "PolynomialLR": (lambda s, o: s.PolynomialLR(o, total_iters=30, power=2.0), sgd),
    "SequentialLR": (
        lambda s, o: s.SequentialLR(
            o, [s.LinearLR(o, start_factor=0.2, total_iters=5), s.CosineAnnealingLR(o, T_max=20),
                s.ExponentialLR(o, gamma=0.9)], milestones=[5, 25]), sgd),
    "ChainedScheduler": (
        lambda s, o: s.ChainedScheduler([s.ConstantLR(o, factor=0.5, total_iters=4), s.ExponentialLR(o, 0.95),
                                         s.CosineAnnealingLR(o, T_max=15)]), sgd),
}


def momenta(optimizer):
    return [group["betas"][0] if "betas" in group else group["momentum"] for group in optimizer.param_groups]


def assert_same_settings(ours, theirs, scheduler, reference, step):
    where = f"after {step} steps"
    assert scheduler.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-12, abs=1e-15), where
    assert [g["lr"] for g in ours.param_groups] == scheduler.get_last_lr(), where
    assert momenta(ours) == pytest.approx(momenta(theirs), rel=1e-12), where
    assert getattr(scheduler, "last_epoch", None) == getattr(reference, "last_epoch", None), where


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_schedule_matches_pytorch_for_50_steps(torch, name):
    make, make_optimizer = SCHEDULERS[name]
    ours, theirs = make_optimizers(torch, make_optimizer)
    scheduler, reference = make(lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs)
    assert_same_settings(ours, theirs, scheduler, reference, 0)
    seen = set()
    for step in range(1, STEPS + 1):
        ours.step()
        theirs.step()
        scheduler.step()
        reference.step()
        assert_same_settings(ours, theirs, scheduler, reference, step)
        seen.add(round(scheduler.get_last_lr()[0], 12))
    assert len(seen) > 1 or name == "ConstantLR"  # the schedule did change the lr


@pytest.mark.parametrize("mode, threshold_mode", [("min", "rel"), ("min", "abs"), ("max", "rel"), ("max", "abs")])
@pytest.mark.parametrize("options", [{}, {"patience": 2, "cooldown": 3, "factor": 0.5, "min_lr": [0.01, 0.2]},
                                     {"patience": 0, "threshold": 0.1, "eps": 0.02, "min_lr": 0.003}], ids=str)
def test_reduce_lr_on_plateau_matches_pytorch(torch, mode, threshold_mode, options):
    ours, theirs = make_optimizers(torch)
    scheduler = lr_scheduler.ReduceLROnPlateau(ours, mode=mode, threshold_mode=threshold_mode, **options)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, mode=mode, threshold_mode=threshold_mode, **options)
    rng = np.random.default_rng(0)
    # A metric that improves, then plateaus with noise, then improves a little.
    metrics = np.concatenate([np.linspace(5, 1, 10), 1 + 0.05 * rng.standard_normal(30), np.linspace(1, 0.8, 10)])
    if mode == "max":
        metrics = -metrics
    lrs = set()
    for step, metric in enumerate(metrics, 1):
        scheduler.step(metric)
        reference.step(metric)
        assert scheduler.get_last_lr() == reference.get_last_lr(), f"after {step} steps"
        assert (scheduler.best, scheduler.num_bad_epochs, scheduler.cooldown_counter) == (
            reference.best, reference.num_bad_epochs, reference.cooldown_counter)
        lrs.add(scheduler.get_last_lr()[0])
    assert len(lrs) > 1
    assert scheduler.state_dict() == reference.state_dict()


SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def run_random(torch, make, steps, make_optimizer=sgd):
    ours, theirs = make_optimizers(torch, make_optimizer)
    scheduler, reference = make(lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs)
    for step in range(1, steps + 1):
        scheduler.step()
        reference.step()
        assert_same_settings(ours, theirs, scheduler, reference, step)


@SETTINGS
@given(t_max=st.integers(1, 20), eta_min=st.sampled_from([0.0, 1e-3, 0.05]), resume=st.integers(-1, 6))
def test_cosine_annealing_recursion_follows_pytorch(torch, t_max, eta_min, resume):
    def make(schedulers, optimizer):
        if resume >= 0:  # resuming at an epoch: PyTorch starts from the closed form there
            for group in optimizer.param_groups:
                group["initial_lr"] = group["lr"]
        return schedulers.CosineAnnealingLR(optimizer, T_max=t_max, eta_min=eta_min, last_epoch=resume)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch: "optimizer.step() before lr_scheduler.step()"
        run_random(torch, make, STEPS)


@SETTINGS
@given(
    pct_start=st.floats(0.05, 0.95), three_phase=st.booleans(), strategy=st.sampled_from(["cos", "linear"]),
    total=st.integers(10, 40), beta=st.booleans(),
)
def test_one_cycle_follows_pytorch(torch, pct_start, three_phase, strategy, total, beta):
    def make(schedulers, optimizer):
        return schedulers.OneCycleLR(optimizer, max_lr=0.3, total_steps=total, pct_start=pct_start,
                                     anneal_strategy=strategy, three_phase=three_phase)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_random(torch, make, total - 1, adam if beta else sgd)


@SETTINGS
@given(
    up=st.integers(1, 8), down=st.one_of(st.none(), st.integers(1, 8)),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.8, 1.0), beta=st.booleans(),
)
def test_cyclic_follows_pytorch(torch, up, down, mode, gamma, beta):
    def make(schedulers, optimizer):
        return schedulers.CyclicLR(optimizer, base_lr=0.001, max_lr=[0.01, 0.1], step_size_up=up,
                                   step_size_down=down, mode=mode, gamma=gamma)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_random(torch, make, STEPS, adam if beta else sgd)


@SETTINGS
@given(t_0=st.integers(1, 6), t_mult=st.integers(1, 3), epochs=st.lists(st.floats(0, 40), min_size=1, max_size=8))
def test_warm_restarts_at_fractional_epochs_follow_pytorch(torch, t_0, t_mult, epochs):
    ours, theirs = make_optimizers(torch)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(ours, T_0=t_0, T_mult=t_mult)
    reference = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs, T_0=t_0, T_mult=t_mult)
    for epoch in epochs:  # per-batch stepping: step(epoch + batch / batches)
        scheduler.step(epoch)
        reference.step(epoch)
        assert scheduler.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-9, abs=1e-15)
        assert (scheduler.T_i, scheduler.last_epoch) == (reference.T_i, reference.last_epoch)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
                                  "ConstantLR", "PolynomialLR", "LambdaLR"])
def test_stepping_to_an_epoch_uses_pytorchs_closed_form_and_warns(torch, name):
    make, _ = SCHEDULERS[name]
    ours, theirs = make_optimizers(torch)
    scheduler, reference = make(lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs)
    for epoch in [4, 9, 2, 30]:
        with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            scheduler.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference.step(epoch)
        assert scheduler.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-12)


# --- state dicts ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_state_dict_equals_pytorchs_and_a_pytorch_dict_resumes_the_schedule(torch, name):
    make, make_optimizer = SCHEDULERS[name]
    ours, theirs = make_optimizers(torch, make_optimizer)
    scheduler, reference = make(lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs)
    for _ in range(17):
        ours.step()
        theirs.step()
        scheduler.step()
        reference.step()
    state, expected = scheduler.state_dict(), reference.state_dict()
    assert state.keys() == expected.keys()
    for key in expected:
        if key == "_schedulers":
            assert [s.keys() for s in state[key]] == [s.keys() for s in expected[key]]
        elif isinstance(expected[key], float):
            assert state[key] == pytest.approx(expected[key], rel=1e-12), key
        elif key != "_last_lr":
            assert state[key] == expected[key], key
    # A fresh scheduler (on a fresh optimizer) takes PyTorch's checkpoint and goes on like it;
    # PyTorch's order: make both, then load the optimizer's state (its lrs), then the scheduler's.
    resumed_optimizer, _ = make_optimizers(torch, make_optimizer)
    resumed = make(lr_scheduler, resumed_optimizer)
    optimizer_state = theirs.state_dict()
    assert optimizer_state["state"] == {}  # no gradients were ever set: only hyper-parameters
    resumed_optimizer.load_state_dict(optimizer_state)
    resumed.load_state_dict(expected)
    for step in range(18, STEPS + 1):
        resumed_optimizer.step()
        theirs.step()
        resumed.step()
        reference.step()
        assert_same_settings(resumed_optimizer, theirs, resumed, reference, step)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR-cos", "CyclicLR-triangular2",
                                  "CosineAnnealingWarmRestarts-mult", "LinearLR", "SequentialLR",
                                  "ChainedScheduler", "LambdaLR"])
def test_state_dict_round_trips_through_save_and_load(torch, tmp_path, name):
    make, make_optimizer = SCHEDULERS[name]
    optimizer, _ = make_optimizers(torch, make_optimizer)
    scheduler = make(lr_scheduler, optimizer)
    for _ in range(9):
        optimizer.step()
        scheduler.step()
    path = tmp_path / "checkpoint.npz"
    minigrad.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, path)
    checkpoint = minigrad.load(path)
    resumed_optimizer, _ = make_optimizers(torch, make_optimizer)
    resumed = make(lr_scheduler, resumed_optimizer)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    for _ in range(12):
        scheduler.step()
        resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()
        assert momenta(resumed_optimizer) == momenta(optimizer)


def test_a_callable_objects_attributes_are_saved_not_the_function(torch):
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    both = [(lr_scheduler, optim, minigrad.zeros), (torch.optim.lr_scheduler, torch.optim, torch.zeros)]
    for schedulers, library, zeros in both:
        optimizer = library.SGD([zeros(1, requires_grad=True)], lr=1.0)
        scheduler = schedulers.LambdaLR(optimizer, [Decay(0.5)])
        state = scheduler.state_dict()
        assert state["lr_lambdas"] == [{"rate": 0.5}]
        other = schedulers.LambdaLR(library.SGD([zeros(1, requires_grad=True)], lr=1.0), [Decay(0.9)])
        other.load_state_dict(state)
        assert other.lr_lambdas[0].rate == 0.5


# --- behaviour around the schedule ---------------------------------------------------------

def test_get_lr_outside_step_warns_like_pytorch(torch):
    optimizer, _ = make_optimizers(torch)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()  # inside step: no warning


def test_a_custom_scheduler_only_writes_get_lr(torch):
    class Halving(lr_scheduler.LRScheduler):
        def get_lr(self):
            return [base / 2**self.last_epoch for base in self.base_lrs]

    optimizer, _ = make_optimizers(torch)
    scheduler = Halving(optimizer)
    for _ in range(3):
        scheduler.step()
    assert scheduler.get_last_lr() == [0.1 / 8, 0.5 / 8]


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda s, o: s.OneCycleLR(o, max_lr=0.1), ValueError, "either total_steps OR"),
        (lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=2.0), ValueError, "pct_start"),
        (lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="x"), ValueError, "anneal_strategy"),
        (lambda s, o: s.OneCycleLR(o, max_lr=[0.1], total_steps=10), ValueError, "same length"),
        (lambda s, o: s.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), ValueError, "mode is invalid"),
        (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "positive integer T_0"),
        (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "T_mult >= 1"),
        (lambda s, o: s.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
        (lambda s, o: s.ReduceLROnPlateau(o, mode="middle"), ValueError, "mode middle is unknown"),
        (lambda s, o: s.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs"),
        (lambda s, o: s.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas"),
        (lambda s, o: s.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function"),
        (lambda s, o: s.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
        (lambda s, o: s.ConstantLR(o, factor=2), ValueError, "between 0 and 1"),
        (lambda s, o: s.SequentialLR(o, [s.StepLR(o, 2)], milestones=[3]), ValueError, "one more"),
        (lambda s, o: s.ChainedScheduler([s.ReduceLROnPlateau(o)]), ValueError, "does not support"),
        (lambda s, o: s.StepLR(o, 2, last_epoch=3), KeyError, "initial_lr"),
    ],
)
def test_bad_arguments_raise_pytorchs_errors(torch, make, error, message):
    ours, theirs = make_optimizers(torch)
    with pytest.raises(error, match=message):
        make(torch.optim.lr_scheduler, theirs)
    with pytest.raises(error, match=message):
        make(lr_scheduler, ours)


def test_one_cycle_refuses_steps_past_the_total(torch):
    optimizer, _ = make_optimizers(torch)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        scheduler.step()


def test_exports_are_pytorchs(torch):
    assert set(lr_scheduler.__all__) == set(torch.optim.lr_scheduler.__all__)
    for name in lr_scheduler.__all__:
        assert issubclass(getattr(lr_scheduler, name), lr_scheduler.LRScheduler)
    assert math.isinf(lr_scheduler.ReduceLROnPlateau(make_optimizers(torch)[0]).best)
