"""Transposed convolutions: ConvTranspose1d/2d and F.conv_transpose1d/2d against PyTorch.

The forward is conv2d's input-gradient rule (the duality's full convolution); the first test
says exactly that, the others pin values, gradients, init, state_dict keys and repr to PyTorch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd.engine import grad
from minigrad.autograd.gradcheck import gradcheck

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def configs(draw, spatial=2):
    groups = draw(st.sampled_from([1, 1, 2]))
    axes = []
    for _ in range(spatial):
        stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        axes.append(
            dict(
                kernel=draw(st.integers(1, 3)),
                stride=stride,
                dilation=dilation,
                padding=draw(st.integers(0, 2)),
                output_padding=draw(st.integers(0, max(stride, dilation) - 1)),
                size=draw(st.integers(1, 4)),
            )
        )
    pick = lambda key: tuple(axis[key] for axis in axes)  # noqa: E731
    config = dict(
        batch=draw(st.integers(0, 2)),
        groups=groups,
        in_channels=groups * draw(st.integers(1, 2)),
        out_per_group=draw(st.integers(1, 2)),
        bias=draw(st.booleans()),
        **{key: pick(key) for key in ("kernel", "stride", "dilation", "padding", "output_padding", "size")},
    )
    out = [
        (n - 1) * s - 2 * p + d * (k - 1) + o + 1
        for n, s, p, d, k, o in zip(
            config["size"],
            config["stride"],
            config["padding"],
            config["dilation"],
            config["kernel"],
            config["output_padding"],
        )
    ]
    # An output of size 0 or less is an error in PyTorch too: shrink the padding.
    config["padding"] = tuple(p if size > 0 else 0 for p, size in zip(config["padding"], out))
    return config


def hyper(config):
    return {k: config[k] for k in ("stride", "padding", "output_padding", "groups", "dilation")}


def arrays(config, seed=0):
    rng = np.random.default_rng(seed)
    c = config
    x = rng.standard_normal((c["batch"], c["in_channels"], *c["size"]))
    w = rng.standard_normal((c["in_channels"], c["out_per_group"], *c["kernel"]))
    b = rng.standard_normal(c["groups"] * c["out_per_group"]) if c["bias"] else None
    return x, w, b


@SETTINGS
@given(configs())
def test_forward_is_conv2d_input_gradient(config):
    """conv_transpose2d(y, W) == d/dx <conv2d(x, W), y>: the duality's full convolution."""
    # output_padding >= stride (allowed when < dilation) gives sizes that conv2d maps elsewhere.
    config["output_padding"] = tuple(min(o, s - 1) for o, s in zip(config["output_padding"], config["stride"]))
    y_np, w_np, _ = arrays(config)
    out = F.conv_transpose2d(minigrad.tensor(y_np), minigrad.tensor(w_np), **hyper(config))
    x = minigrad.zeros(*out.shape, dtype=minigrad.float64, requires_grad=True)
    conv_kwargs = {k: config[k] for k in ("stride", "padding", "dilation", "groups")}
    forward = F.conv2d(x, minigrad.tensor(w_np), **conv_kwargs)
    assert tuple(forward.shape) == y_np.shape  # the transposed conv undoes the conv's shape
    (dx,) = grad((forward * minigrad.tensor(y_np)).sum(), [x])
    np.testing.assert_allclose(out.numpy(), dx.numpy(), atol=1e-12)


@pytest.mark.parametrize("spatial", [1, 2])
@SETTINGS
@given(data=st.data())
def test_functional_matches_pytorch_values_and_gradients(torch, spatial, data):
    config = data.draw(configs(spatial))
    x_np, w_np, b_np = arrays(config)
    dy_seed = np.random.default_rng(3)
    ours_fn = F.conv_transpose2d if spatial == 2 else F.conv_transpose1d
    torch_fn = torch.nn.functional.conv_transpose2d if spatial == 2 else torch.nn.functional.conv_transpose1d

    x, w = minigrad.tensor(x_np, requires_grad=True), minigrad.tensor(w_np, requires_grad=True)
    b = None if b_np is None else minigrad.tensor(b_np, requires_grad=True)
    out = ours_fn(x, w, b, **hyper(config))
    tx, tw = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    tb = None if b_np is None else torch.tensor(b_np, requires_grad=True)
    expected = torch_fn(tx, tw, tb, **hyper(config))
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-10)

    dy = dy_seed.standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), atol=1e-10)
    if b is not None:
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(stride=2, padding=1, output_padding=1), dict(stride=(2, 1), dilation=(1, 2), groups=2)],
)
def test_gradcheck_float64_2d(kwargs):
    rng = np.random.default_rng(1)
    x = minigrad.tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((2, 2, 2, 3)), requires_grad=True)
    b = minigrad.tensor(rng.standard_normal(2 * kwargs.get("groups", 1)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs), (x, w, b))


def test_gradcheck_float64_1d():
    rng = np.random.default_rng(2)
    x = minigrad.tensor(rng.standard_normal((2, 2, 4)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=3, padding=1, output_padding=2), (x, w))


def copy_from(torch_module, module):
    module.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()})
    return module


@pytest.mark.parametrize(
    ("spatial", "args", "kwargs"),
    [
        (2, (4, 6, 3), dict(stride=2, padding=1, output_padding=1)),
        (2, (4, 6, (2, 3)), dict(stride=(1, 2), dilation=2, groups=2, bias=False)),
        (1, (3, 2, 4), dict(stride=3, padding=2)),
    ],
)
def test_module_matches_pytorch(torch, spatial, args, kwargs):
    ours_cls = nn.ConvTranspose2d if spatial == 2 else nn.ConvTranspose1d
    theirs_cls = torch.nn.ConvTranspose2d if spatial == 2 else torch.nn.ConvTranspose1d
    theirs = theirs_cls(*args, **kwargs)
    ours = copy_from(theirs, ours_cls(*args, **kwargs))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    x_np = np.random.default_rng(0).standard_normal((2, args[0], *(5,) * spatial)).astype(np.float32)
    out = ours(minigrad.tensor(x_np))
    expected = theirs(torch.tensor(x_np))
    assert out.dtype == minigrad.float32
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-5)
    # Unbatched input gives an unbatched output.
    np.testing.assert_allclose(
        ours(minigrad.tensor(x_np[0])).detach().numpy(), theirs(torch.tensor(x_np[0])).detach().numpy(), atol=1e-5
    )


def test_output_size_picks_the_output_padding(torch):
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1)
    ours = copy_from(theirs, nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1))
    x_np = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32)
    for size in ([10, 12], [1, 3, 11, 10], (12, 12)):
        expected = theirs(torch.tensor(x_np), output_size=size)
        out = ours(minigrad.tensor(x_np), output_size=size)
        assert tuple(out.shape) == tuple(expected.shape)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="valid sizes range from 10 to 12"):
        ours(minigrad.tensor(x_np), output_size=[13, 10])
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        ours(minigrad.tensor(x_np), output_size=[10])


def test_default_init_statistics_match_pytorch(torch):
    """kaiming_uniform(a=sqrt(5)) on a (C_in, C_out/groups, k...) weight: U(-b, b) with
    b = 1/sqrt(C_out/groups * k*k) (PyTorch's fan-in of the transposed layout), bias likewise."""
    torch.manual_seed(0)
    minigrad.manual_seed(0)
    theirs = torch.nn.ConvTranspose2d(64, 32, 3, groups=2)
    ours = nn.ConvTranspose2d(64, 32, 3, groups=2)
    bound = 1 / math.sqrt(16 * 9)
    for name in ("weight", "bias"):
        mine, reference = getattr(ours, name).detach().numpy(), getattr(theirs, name).detach().numpy()
        assert mine.shape == reference.shape
        assert np.abs(mine).max() <= bound and np.abs(reference).max() <= bound
        assert mine.std() == pytest.approx(reference.std(), rel=0.15 if name == "bias" else 0.03)
    assert ours.weight.detach().numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def test_bad_arguments_raise_pytorch_classes():
    x = minigrad.randn(1, 2, 3, 3)
    w = minigrad.randn(2, 1, 3, 3)
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(RuntimeError, match="expects 2 input channels"):
        F.conv_transpose2d(minigrad.randn(1, 3, 3, 3), w)
    with pytest.raises(ValueError, match='only "zeros" padding mode'):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")


def test_gradgradcheck_float64():
    """Made of conv2d primitives and shape ops: second derivatives come for free."""
    from minigrad.autograd.gradcheck import gradgradcheck

    rng = np.random.default_rng(3)
    x = minigrad.tensor(rng.standard_normal((1, 2, 3, 2)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((2, 1, 2, 2)), requires_grad=True)
    assert gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1, groups=2), (x, w))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_conv_transpose3d_matches_pytorch(torch, data):
    """The adjoint of conv3d (kD conv_transpose2d's scattered in depth) against PyTorch."""
    groups = data.draw(st.sampled_from([1, 2]))
    axes = []
    for _ in range(3):
        stride, dilation = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
        kernel, size = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
        output_padding = data.draw(st.integers(0, max(stride, dilation) - 1))
        base = (size - 1) * stride + dilation * (kernel - 1) + output_padding + 1
        padding = data.draw(st.integers(0, max(0, (base - 1) // 2)))
        axes.append((stride, dilation, kernel, size, output_padding, padding))
    stride, dilation, kernel, size, output_padding, padding = (tuple(a[i] for a in axes) for i in range(6))
    rng = np.random.default_rng(4)
    arrays = (
        rng.standard_normal((2, 2 * groups, *size)),
        rng.standard_normal((2 * groups, 2, *kernel)),
        rng.standard_normal(2 * groups),
    )
    ours = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    out = F.conv_transpose3d(*ours, **kwargs)
    expected = torch.nn.functional.conv_transpose3d(*theirs, **kwargs)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-10)
    dy = rng.standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), atol=1e-10)


def test_conv_transpose3d_module_and_gradcheck(torch):
    theirs = torch.nn.ConvTranspose3d(2, 4, (2, 3, 1), stride=(2, 1, 3), padding=(0, 1, 0), groups=2, bias=False)
    ours = copy_from(
        theirs, nn.ConvTranspose3d(2, 4, (2, 3, 1), stride=(2, 1, 3), padding=(0, 1, 0), groups=2, bias=False)
    )
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    x_np = np.random.default_rng(5).standard_normal((2, 2, 3, 4, 2)).astype(np.float32)
    for size in (None, (7, 4, 6), (4, 6, 4, 5)):
        np.testing.assert_allclose(
            ours(minigrad.tensor(x_np[0]), output_size=size).detach().numpy(),
            theirs(torch.tensor(x_np[0]), output_size=size).detach().numpy(),
            atol=1e-5,
        )
    x = minigrad.tensor(np.random.default_rng(6).standard_normal((1, 2, 2, 2, 2)), requires_grad=True)
    w = minigrad.tensor(np.random.default_rng(7).standard_normal((2, 1, 2, 1, 2)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose3d(x, w, stride=2, padding=(1, 0, 0), output_padding=1), (x, w))
