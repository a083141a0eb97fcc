"""Every optimizer, nn.utils' clipping and pad_sequence on the CUDA code path (a real GPU where
there is one, else the CuPy backend on tests/backends/fake_cupy.py): the same numbers as on
the CPU, and all state on the parameter's device."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad
from minigrad import backends, nn, optim
from minigrad.nn.utils.rnn import pad_sequence


def _fake_cupy() -> Any:
    """tests/backends/fake_cupy.py, imported once under its own name (the conformance suite
    may have imported it already)."""
    if "fake_cupy" not in sys.modules:
        path = Path(__file__).parents[1] / "backends" / "fake_cupy.py"
        spec = importlib.util.spec_from_file_location("fake_cupy", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["fake_cupy"] = module
        spec.loader.exec_module(module)
    return sys.modules["fake_cupy"]


@pytest.fixture(params=["cuda", "fake_cuda"])
def device(request: Any, monkeypatch: Any) -> str:
    if request.param == "cuda":
        reason = backends.available().get("cuda")
        if reason is not None:
            pytest.skip(f"no CUDA GPU: {reason}")
        return "cuda"
    fake = _fake_cupy()
    fake.install(monkeypatch)
    request.addfinalizer(fake.uninstall)
    return "cuda"


OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Adamax", {"weight_decay": 0.1}),
    ("NAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("RAdam", {"weight_decay": 0.1}),
]


def on(tensor: minigrad.Tensor, where: str) -> bool:
    return tensor.backend is backends.get(where) and backends.get(where).is_array(tensor._array)


@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_optimizer_steps_on_the_device_equal_the_cpu_steps(device, name, options):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)]
    gradients = [[rng.standard_normal(a.shape).astype(np.float32) for a in start] for _ in range(8)]

    def run(where):
        params = [minigrad.tensor(a, device=where, requires_grad=True) for a in start]
        optimizer = getattr(optim, name)(params, **options)
        for step in gradients:
            for p, g in zip(params, step):
                p.grad = minigrad.tensor(g, device=where)
            optimizer.step()
        return params, optimizer

    expected, _ = run("cpu")
    params, optimizer = run(device)
    for p, e in zip(params, expected):
        assert on(p, device)
        np.testing.assert_allclose(p.detach().cpu().numpy(), e.detach().numpy(), rtol=1e-5, atol=1e-6)
    for state in optimizer.state.values():  # the step count stays on the CPU, as in PyTorch
        for key, value in state.items():
            assert on(value, "cpu" if key in ("step", "mu_product") else device), key
    restored = getattr(optim, name)([minigrad.tensor(a, device=device, requires_grad=True) for a in start])
    restored.load_state_dict(optimizer.state_dict())
    for state in restored.state.values():
        for key, value in state.items():
            assert on(value, "cpu" if key in ("step", "mu_product") else device), key


def test_clipping_and_pad_sequence_run_on_the_device(device):
    rng = np.random.default_rng(1)
    values = [rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(4).astype(np.float32)]
    grads = [3 * rng.standard_normal(v.shape).astype(np.float32) for v in values]
    results = {}
    for where in ("cpu", device):
        params = [minigrad.tensor(v, device=where, requires_grad=True) for v in values]
        for p, g in zip(params, grads):
            p.grad = minigrad.tensor(g, device=where)
        total = nn.utils.clip_grad_norm_(params, 1.0)
        nn.utils.clip_grad_value_(params, 0.2)
        assert on(total, where) and all(on(p.grad, where) for p in params)
        padded = pad_sequence([p.detach() for p in params[1:]] + [params[1].detach()[:2]], batch_first=True)
        assert on(padded, where)
        results[where] = (total.item(), [p.grad.cpu().numpy() for p in params], padded.cpu().numpy())
    cpu, gpu = results["cpu"], results[device]
    assert gpu[0] == pytest.approx(cpu[0], rel=1e-6)
    for a, b in zip(gpu[1], cpu[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_array_equal(gpu[2], cpu[2])
