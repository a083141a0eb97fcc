"""Normalisation layers (issue 11) against PyTorch: outputs, gradients of the input and of
every parameter, running statistics over several steps, eval mode, state_dict keys, reprs;
float64 gradcheck of the functional forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd import gradcheck, gradgradcheck

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
seeds = st.integers(0, 2**31)


def layer_pair(torch, name, args, kwargs):
    ours = getattr(nn, name)(*args, **kwargs, dtype=minigrad.float64)
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float64)
    rng = np.random.default_rng(0)
    for (_, p), (_, p_ref) in zip(ours.named_parameters(), theirs.named_parameters()):
        values = rng.uniform(0.5, 1.5, tuple(p.shape))  # not the ones/zeros start: a stronger check
        with minigrad.no_grad():
            p.copy_(minigrad.tensor(values))
        with torch.no_grad():
            p_ref.copy_(torch.tensor(values))
    return ours, theirs


def compare_steps(torch, ours, theirs, shape, seed, steps=2):
    """A few training steps, then one in eval mode: outputs, gradients and buffers agree."""
    rng = np.random.default_rng(seed)
    for step in range(steps + 1):
        if step == steps:
            ours.eval()
            theirs.eval()
        data = rng.standard_normal(shape) * 2 + 0.5
        x, x_ref = minigrad.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        try:
            out_ref = theirs(x_ref)
        except ValueError:  # PyTorch refuses this input (too few values to normalise): so do we
            with pytest.raises(ValueError, match="more than 1"):
                ours(x)
            return
        out = ours(x)
        np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        upstream = rng.standard_normal(tuple(out.shape))
        out.backward(minigrad.tensor(upstream))
        out_ref.backward(torch.tensor(upstream))
        np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy(), rtol=1e-9, atol=1e-11)
        for (name, p), (_, p_ref) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), p_ref.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)
            p.grad = None
            p_ref.grad = None
        for (name, b), (_, b_ref) in zip(ours.named_buffers(), theirs.named_buffers()):
            np.testing.assert_allclose(b.numpy(), b_ref.numpy(), rtol=1e-12, err_msg=name)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


LAYERS = [  # name, constructor args, kwargs, input shape maker(n, c, rng sizes)
    ("LayerNorm", lambda c: ((c,),), {}, lambda n, c, s: (n, *s, c)),
    ("LayerNorm", lambda c: ((2, c),), {"eps": 1e-3}, lambda n, c, s: (n, 2, c)),
    ("LayerNorm", lambda c: (c,), {"bias": False}, lambda n, c, s: (n, c)),
    ("LayerNorm", lambda c: (c,), {"elementwise_affine": False}, lambda n, c, s: (n, c)),
    ("RMSNorm", lambda c: (c,), {}, lambda n, c, s: (n, *s, c)),
    ("RMSNorm", lambda c: ([2, c],), {"eps": 1e-4}, lambda n, c, s: (n, 2, c)),
    ("GroupNorm", lambda c: (2, 2 * c), {}, lambda n, c, s: (n, 2 * c, *s)),
    ("GroupNorm", lambda c: (c, c), {"affine": False}, lambda n, c, s: (n, c, *s)),
    ("GroupNorm", lambda c: (1, c), {"bias": False}, lambda n, c, s: (n, c, 3)),
    ("InstanceNorm1d", lambda c: (c,), {}, lambda n, c, s: (n, c, 3)),
    ("InstanceNorm1d", lambda c: (c,), {"affine": True, "track_running_stats": True}, lambda n, c, s: (n, c, 4)),
    ("InstanceNorm1d", lambda c: (c,), {"affine": True}, lambda n, c, s: (c, 4)),
    ("InstanceNorm2d", lambda c: (c,), {"affine": True, "track_running_stats": True, "momentum": 0.3},
     lambda n, c, s: (n, c, 2, 3)),
    ("InstanceNorm2d", lambda c: (c,), {"track_running_stats": True}, lambda n, c, s: (c, 3, 2)),
    ("InstanceNorm3d", lambda c: (c,), {"affine": True}, lambda n, c, s: (n, c, 2, 2, 2)),
    ("BatchNorm3d", lambda c: (c,), {}, lambda n, c, s: (n + 1, c, 2, 1, 2)),
    ("BatchNorm3d", lambda c: (c,), {"momentum": None, "bias": False}, lambda n, c, s: (n + 1, c, 1, 2, 2)),
    ("BatchNorm2d", lambda c: (c,), {"bias": False}, lambda n, c, s: (n + 1, c, 2, 2)),
    ("LocalResponseNorm", lambda c: (3,), {}, lambda n, c, s: (n, c + 2, 3)),
    ("LocalResponseNorm", lambda c: (2,), {"alpha": 0.5, "beta": 0.6, "k": 2.0}, lambda n, c, s: (n, c + 1, 2, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS, ids=[f"{c[0]}{c[2]}" for c in LAYERS])
@SETTINGS
@given(seed=seeds, n=st.integers(1, 3), c=st.integers(1, 4),
       spatial=st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple))
def test_layer_matches_pytorch_over_training_steps_and_eval(torch, name, args, kwargs, shape, seed, n, c, spatial):
    if name == "LocalResponseNorm":
        ours, theirs = nn.LocalResponseNorm(*args(c), **kwargs), torch.nn.LocalResponseNorm(*args(c), **kwargs)
    else:
        ours, theirs = layer_pair(torch, name, args(c), kwargs)
    compare_steps(torch, ours, theirs, shape(n, c, spatial), seed)


@pytest.mark.parametrize("name,args,kwargs", [
    ("LayerNorm", (5,), {}), ("GroupNorm", (2, 4), {}), ("InstanceNorm2d", (3,), {"affine": True}),
    ("RMSNorm", ((2, 3),), {}), ("BatchNorm3d", (3,), {}),
])
def test_default_initialisation_is_pytorchs(torch, name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    for (key, value), (key_ref, value_ref) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert key == key_ref
        assert value.dtype.name == str(value_ref.dtype).replace("torch.", "")
        np.testing.assert_array_equal(value.numpy(), value_ref.numpy())


FUNCTIONAL = [
    ("layer_norm", lambda x: F.layer_norm(x, (3,)), (2, 4, 3)),
    ("layer_norm_affine", lambda x, w, b: F.layer_norm(x, (2, 3), w, b), ((2, 2, 3), (2, 3), (2, 3))),
    ("rms_norm", lambda x, w: F.rms_norm(x, (3,), w, eps=1e-6), ((2, 3), (3,))),
    ("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), ((2, 4, 3), (4,), (4,))),
    ("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b), ((2, 2, 3), (2,), (2,))),
    ("local_response_norm", lambda x: F.local_response_norm(x, 3, alpha=0.3), (2, 4, 3)),
]


@pytest.mark.parametrize("name,fn,shapes", FUNCTIONAL, ids=[c[0] for c in FUNCTIONAL])
def test_functional_form_passes_gradcheck_and_gradgradcheck(name, fn, shapes):
    shapes = shapes if isinstance(shapes[0], tuple) else (shapes,)
    rng = np.random.default_rng(3)
    inputs = [minigrad.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs[:1] if len(inputs) == 1 else inputs)


def test_instance_norm_updates_running_stats_like_pytorch_and_uses_them_in_eval(torch):
    rng = np.random.default_rng(4)
    data = rng.standard_normal((3, 2, 5))
    mean, var = minigrad.zeros(2, dtype=minigrad.float64), minigrad.ones(2, dtype=minigrad.float64)
    mean_ref, var_ref = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    F.instance_norm(minigrad.tensor(data), mean, var, momentum=0.2)
    torch.nn.functional.instance_norm(torch.tensor(data), mean_ref, var_ref, momentum=0.2)
    np.testing.assert_allclose(mean.numpy(), mean_ref.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), var_ref.numpy(), rtol=1e-12)
    ours = F.instance_norm(minigrad.tensor(data), mean, var, use_input_stats=False)
    theirs = torch.nn.functional.instance_norm(torch.tensor(data), mean_ref, var_ref, use_input_stats=False)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_normalisation_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(minigrad.randn(2, 3), (4,))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(minigrad.randn(2, 3, 2), 2)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(2, 3)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(minigrad.randn(2, 3, 1))
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(minigrad.randn(2, 3), 2)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.InstanceNorm1d(3)(minigrad.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="5D"):
        nn.BatchNorm3d(3)(minigrad.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="match num_features"):
        nn.InstanceNorm1d(3, affine=True)(minigrad.randn(2, 4, 5))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(minigrad.randn(2, 4, 5))


def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon(torch):
    data = np.array([[1e-5, -2e-5, 3e-6]])
    for dtype, torch_dtype in ((minigrad.float32, torch.float32), (minigrad.float64, torch.float64)):
        ours = F.rms_norm(minigrad.tensor(data, dtype=dtype), (3,))
        theirs = torch.nn.functional.rms_norm(torch.tensor(data, dtype=torch_dtype), (3,))
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)


@pytest.mark.parametrize("name,args,shape", [
    ("LayerNorm", (3,), (2, 3)), ("RMSNorm", (3,), (2, 3)), ("GroupNorm", (2, 4), (2, 4, 3)),
    ("InstanceNorm1d", (2,), (2, 2, 5)), ("BatchNorm3d", (2,), (2, 2, 2, 2, 2)), ("LocalResponseNorm", (2,), (2, 3, 4)),
])
def test_layers_keep_float32(torch, name, args, shape):
    data = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    ours, theirs = getattr(nn, name)(*args)(minigrad.tensor(data)), getattr(torch.nn, name)(*args)(torch.tensor(data))
    assert ours.dtype == minigrad.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_empty_batches_give_empty_outputs_as_pytorch():
    assert F.group_norm(minigrad.zeros(0, 4, 3), 2).shape == (0, 4, 3)
    assert F.layer_norm(minigrad.zeros(0, 3), (3,)).shape == (0, 3)
    assert F.local_response_norm(minigrad.zeros(0, 3, 2), 2).shape == (0, 3, 2)
