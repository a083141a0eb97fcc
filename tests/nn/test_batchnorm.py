"""BatchNorm1d / BatchNorm2d and F.batch_norm against PyTorch: training (batch statistics,
running-stat updates over several steps), eval (running statistics), gradients, buffers."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd.engine import grad
from minigrad.autograd.gradcheck import gradcheck, gradgradcheck


def layer_pair(torch, cls_name, num_features, dtype="float64", **kwargs):
    ours = getattr(nn, cls_name)(num_features, dtype=dtype, **kwargs)
    theirs = getattr(torch.nn, cls_name)(num_features, dtype=getattr(torch, dtype), **kwargs)
    if ours.affine:  # non-trivial affine parameters, the same in both
        rng = np.random.default_rng(7)
        for name in ("weight", "bias"):
            values = rng.standard_normal(num_features).astype(dtype)
            with minigrad.no_grad():
                getattr(ours, name).copy_(minigrad.tensor(values))
            with torch.no_grad():
                getattr(theirs, name).copy_(torch.from_numpy(values))
    return ours, theirs


def step(ours, theirs, torch, x_np, atol):
    x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, t_out = ours(x), theirs(tx)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), atol=atol)
    dy = np.random.default_rng(1).standard_normal(x_np.shape).astype(x_np.dtype)
    out.backward(minigrad.tensor(dy))
    t_out.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=atol)
    if ours.affine:
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=atol)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), atol=atol)
        ours.zero_grad()
        theirs.zero_grad()
    assert out.dtype == x_np.dtype


def compare_buffers(ours, theirs, atol):
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(), atol=atol)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item()
    assert ours.num_batches_tracked.dtype == np.int64


@pytest.mark.parametrize("dtype, atol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm2d_train_then_eval_matches_pytorch(torch, dtype, atol, momentum):
    ours, theirs = layer_pair(torch, "BatchNorm2d", 3, dtype, momentum=momentum)
    rng = np.random.default_rng(0)
    for i in range(4):  # several training steps: running statistics accumulate
        x_np = (rng.standard_normal((4, 3, 5, 6)) * (i + 1) + i).astype(dtype)
        step(ours, theirs, torch, x_np, atol)
        compare_buffers(ours, theirs, atol)
    ours.eval()
    theirs.eval()
    x_np = rng.standard_normal((2, 3, 5, 6)).astype(dtype)
    step(ours, theirs, torch, x_np, atol)
    compare_buffers(ours, theirs, atol)  # eval does not touch the statistics
    assert ours.num_batches_tracked.item() == 4


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)])
@pytest.mark.parametrize("affine, track", [(True, True), (False, True), (True, False)])
def test_batchnorm1d_matches_pytorch(torch, shape, affine, track):
    ours, theirs = layer_pair(torch, "BatchNorm1d", 4, affine=affine, track_running_stats=track)
    rng = np.random.default_rng(0)
    for _ in range(3):
        step(ours, theirs, torch, rng.standard_normal(shape) * 3 + 1, 1e-10)
    ours.eval()
    theirs.eval()
    step(ours, theirs, torch, rng.standard_normal(shape), 1e-10)  # without running stats: batch stats
    if track:
        compare_buffers(ours, theirs, 1e-10)
    else:
        assert ours.running_mean is None and list(ours.buffers()) == []


def test_buffers_parameters_and_state_dict():
    layer = nn.BatchNorm2d(3)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(layer.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert layer.running_mean.tolist() == [0, 0, 0] and layer.running_var.tolist() == [1, 1, 1]
    assert not layer.running_mean.requires_grad
    layer(minigrad.randn(4, 3, 2, 2))
    assert not layer.running_mean.requires_grad and layer.running_mean.dtype == np.float32
    layer.reset_running_stats()
    assert layer.num_batches_tracked.item() == 0 and layer.running_var.tolist() == [1, 1, 1]
    assert repr(layer) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


def test_functional_batch_norm_matches_pytorch(torch):
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((5, 3, 4, 4))
    mean_np, var_np = rng.standard_normal(3), rng.random(3) + 0.5
    w_np, b_np = rng.standard_normal(3), rng.standard_normal(3)
    for training in (True, False):
        mean, var = minigrad.tensor(mean_np.copy()), minigrad.tensor(var_np.copy())
        t_mean, t_var = torch.tensor(mean_np.copy()), torch.tensor(var_np.copy())
        out = F.batch_norm(
            minigrad.tensor(x_np),
            mean,
            var,
            minigrad.tensor(w_np),
            minigrad.tensor(b_np),
            training=training,
            momentum=0.3,
            eps=1e-3,
        )
        expected = torch.nn.functional.batch_norm(
            torch.from_numpy(x_np),
            t_mean,
            t_var,
            torch.from_numpy(w_np),
            torch.from_numpy(b_np),
            training=training,
            momentum=0.3,
            eps=1e-3,
        )
        np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=1e-12)
        np.testing.assert_allclose(mean.numpy(), t_mean.numpy(), atol=1e-12)
        np.testing.assert_allclose(var.numpy(), t_var.numpy(), atol=1e-12)


def test_batch_norm_is_twice_differentiable(torch):
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal(2), requires_grad=True)
    b = minigrad.tensor(rng.standard_normal(2), requires_grad=True)
    fn = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    # Against PyTorch: gradient of |dL/dx|^2 with respect to x.
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    (dx,) = grad((fn(x, w, b) ** 3).sum(), x, create_graph=True)
    (t_dx,) = torch.autograd.grad(
        (
            torch.nn.functional.batch_norm(
                tx,
                None,
                None,
                torch.from_numpy(w.detach().numpy()),
                torch.from_numpy(b.detach().numpy()),
                training=True,
            )
            ** 3
        ).sum(),
        tx,
        create_graph=True,
    )
    (ddx,) = grad((dx * dx).sum(), x)
    (t_ddx,) = torch.autograd.grad((t_dx * t_dx).sum(), tx)
    np.testing.assert_allclose(ddx.numpy(), t_ddx.numpy(), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: nn.BatchNorm2d(3)(minigrad.randn(2, 3, 4)),
            r"expected input \(N, C, H, W\) \(4D\), got a 3D input",
        ),
        (lambda: nn.BatchNorm1d(3)(minigrad.randn(2, 3, 4, 4)), r"expected input \(N, C\) or \(N, C, L\)"),
        (lambda: nn.BatchNorm2d(3)(minigrad.randn(2, 4, 4, 4)), r"expected 3 channels \(dim 1\)"),
        (lambda: nn.BatchNorm1d(3)(minigrad.randn(1, 3)), r"more than 1 value per channel when training"),
        (
            lambda: F.batch_norm(minigrad.randn(2, 3), minigrad.zeros(2), minigrad.ones(3)),
            r"running_mean must have shape \(3,\)",
        ),
        (lambda: F.batch_norm(minigrad.randn(2, 3), None, None), r"required when training=False"),
    ],
)
def test_bad_batch_norm_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
