"""conv2d / Conv2d / conv1d / Conv1d: forward and all three gradients match PyTorch, dtypes are
kept, and bad hyper-parameters are refused with a message naming the problem."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd.gradcheck import gradcheck

# PyTorch warns that it copies the input for 'same' with even kernels; so do we, silently.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

# The torch fixture is a module, the same for every example: safe to share.
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def conv_configs(draw, allow_modes: bool = False):
    """A valid conv2d configuration: shapes, hyper-parameters and (optionally) a padding mode."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    config = {
        "batch": draw(st.integers(1, 3)),
        "in_channels": groups * draw(st.integers(1, 3)),
        "out_channels": groups * draw(st.integers(1, 3)),
        "groups": groups,
        "kernel": (draw(st.integers(1, 4)), draw(st.integers(1, 4))),
        "dilation": (draw(st.integers(1, 3)), draw(st.integers(1, 2))),
        "bias": draw(st.booleans()),
        "mode": draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
        if allow_modes
        else "zeros",
    }
    padding_kind = draw(st.sampled_from(["int", "pair", "pair", "same", "valid"]))
    if padding_kind == "same":
        config["stride"], config["padding"] = (1, 1), "same"
        pads = [d * (k - 1) - d * (k - 1) // 2 for k, d in zip(config["kernel"], config["dilation"])]
    else:
        config["stride"] = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        if padding_kind == "valid":
            config["padding"], pads = "valid", [0, 0]
        elif padding_kind == "int":
            config["padding"] = draw(st.integers(0, 3))
            pads = [config["padding"]] * 2
        else:
            config["padding"] = (draw(st.integers(0, 3)), draw(st.integers(0, 2)))
            pads = list(config["padding"])
    # Large enough for the dilated kernel, and larger than the padding (reflect needs it).
    config["size"] = tuple(
        max(d * (k - 1) + 1 - 2 * p, p + 1, 1) + draw(st.integers(0, 4))
        for k, d, p in zip(config["kernel"], config["dilation"], pads)
    )
    return config


def make_inputs(config, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    c = config
    x = rng.standard_normal((c["batch"], c["in_channels"], *c["size"])).astype(dtype)
    w = rng.standard_normal((c["out_channels"], c["in_channels"] // c["groups"], *c["kernel"])).astype(dtype)
    b = rng.standard_normal(c["out_channels"]).astype(dtype) if c["bias"] else None
    return x, w, b


def layer_pair(config, torch, dtype):
    """The same nn.Conv2d in minigrad and PyTorch (PyTorch's weights copied from minigrad's)."""
    c = config
    args = (c["in_channels"], c["out_channels"], c["kernel"])
    kwargs = dict(
        stride=c["stride"],
        padding=c["padding"],
        dilation=c["dilation"],
        groups=c["groups"],
        bias=c["bias"],
        padding_mode=c["mode"],
    )
    ours = nn.Conv2d(*args, **kwargs, dtype=dtype)
    theirs = torch.nn.Conv2d(*args, **kwargs, dtype=getattr(torch, dtype))
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy()))
        if c["bias"]:
            theirs.bias.copy_(torch.from_numpy(ours.bias.detach().numpy()))
    return ours, theirs


def compare_layer(config, torch, dtype, rtol, atol):
    ours, theirs = layer_pair(config, torch, dtype)
    x, _, _ = make_inputs(config, dtype)
    x_ours = minigrad.tensor(x, requires_grad=True)
    x_theirs = torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    assert out_ours.shape == tuple(out_theirs.shape)
    assert out_ours.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=rtol, atol=atol)

    upstream = np.random.default_rng(1).standard_normal(out_ours.shape).astype(dtype)
    out_ours.backward(minigrad.tensor(upstream))
    out_theirs.backward(torch.from_numpy(upstream))
    pairs = [(x_ours, x_theirs), (ours.weight, theirs.weight)]
    if config["bias"]:
        pairs.append((ours.bias, theirs.bias))
    for mine, reference in pairs:
        assert mine.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=rtol, atol=atol)


@SETTINGS
@given(conv_configs(allow_modes=True))
def test_conv2d_forward_and_gradients_match_pytorch_float64(torch, config):
    compare_layer(config, torch, "float64", rtol=1e-10, atol=1e-10)


@settings(SETTINGS, max_examples=25)
@given(conv_configs(allow_modes=True))
def test_conv2d_float32_stays_float32_and_matches_pytorch(torch, config):
    compare_layer(config, torch, "float32", rtol=1e-4, atol=1e-4)


def test_functional_conv2d_matches_torch_for_every_argument_form(torch):
    x, w, b = make_inputs(
        {
            "batch": 2,
            "in_channels": 4,
            "out_channels": 6,
            "groups": 2,
            "kernel": (3, 2),
            "size": (7, 6),
            "bias": True,
        }
    )
    tx, tw, tb = (torch.from_numpy(a) for a in (x, w, b))
    mx, mw, mb = (minigrad.tensor(a) for a in (x, w, b))
    for kwargs in [
        dict(),
        dict(stride=2),
        dict(stride=(2, 1), padding=(1, 0)),
        dict(padding="same", dilation=2),
        dict(padding="valid", dilation=(1, 2)),
        dict(stride=[1, 2], padding=[2, 1], dilation=[2, 1]),
    ]:
        expected = torch.nn.functional.conv2d(tx, tw, tb, groups=2, **kwargs).numpy()
        np.testing.assert_allclose(F.conv2d(mx, mw, mb, groups=2, **kwargs).numpy(), expected, atol=1e-12)


def test_unbatched_input_gives_unbatched_output(torch):
    x, w, b = make_inputs(
        {
            "batch": 1,
            "in_channels": 2,
            "out_channels": 3,
            "groups": 1,
            "kernel": (2, 2),
            "size": (5, 4),
            "bias": True,
        }
    )
    ours = F.conv2d(minigrad.tensor(x[0]), minigrad.tensor(w), minigrad.tensor(b), padding=1)
    expected = torch.nn.functional.conv2d(
        torch.from_numpy(x[0]), torch.from_numpy(w), torch.from_numpy(b), padding=1
    )
    assert ours.shape == (3, 6, 5)
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), atol=1e-12)


@pytest.mark.parametrize("padding", [0, 2, "same", "valid"])
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv1d_layer_matches_pytorch(torch, padding, mode):
    ours = nn.Conv1d(
        4,
        6,
        3,
        stride=1 if padding == "same" else 2,
        padding=padding,
        dilation=2,
        groups=2,
        padding_mode=mode,
        dtype="float64",
    )
    theirs = torch.nn.Conv1d(
        4,
        6,
        3,
        stride=1 if padding == "same" else 2,
        padding=padding,
        dilation=2,
        groups=2,
        padding_mode=mode,
        dtype=torch.float64,
    )
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.from_numpy(ours.bias.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((3, 4, 11))
    x_ours, x_theirs = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), atol=1e-12)
    out_ours.sum().backward()
    out_theirs.sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-12)
    # Unbatched (C, L) works too.
    np.testing.assert_allclose(
        ours(minigrad.tensor(x[0])).detach().numpy(),
        theirs(torch.from_numpy(x[0])).detach().numpy(),
        atol=1e-12,
    )


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(stride=2, padding=1), dict(dilation=2, padding="same"), dict(groups=2, stride=(1, 2))],
)
def test_gradcheck_float64(kwargs):
    rng = np.random.default_rng(3)
    x = minigrad.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((2, 2 // kwargs.get("groups", 1), 2, 3)), requires_grad=True)
    b = minigrad.tensor(rng.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kwargs), (x, w, b))


def test_first_layer_skips_the_input_gradient(monkeypatch):
    """When the input needs no gradient, dL/dX (the expensive full convolution) is never built."""
    from minigrad.ops import conv as conv_ops

    def refuse(*args, **kwargs):
        raise AssertionError("input_gradient was computed for an input that needs no gradient")

    monkeypatch.setattr(conv_ops, "input_gradient", refuse)
    layer = nn.Conv2d(2, 3, 3)
    layer(minigrad.randn(2, 2, 6, 6)).sum().backward()
    assert layer.weight.grad.shape == (3, 2, 3, 3)


def test_graph_node_records_the_hyper_parameters():
    x = minigrad.randn(1, 4, 8, 8, requires_grad=True)
    w = minigrad.randn(6, 2, 3, 3, requires_grad=True)
    node = F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2), groups=2).grad_fn
    assert node.name == "conv2d"
    assert node.attrs == {"stride": (2, 2), "padding": (1, 1), "dilation": (1, 2), "groups": 2}
    assert "conv2d" in minigrad.autograd.primitives()


def test_conv2d_layer_default_init_follows_pytorch():
    minigrad.manual_seed(0)
    layer = nn.Conv2d(8, 16, (3, 5), groups=2)
    fan_in = 4 * 3 * 5
    # kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); so does the bias.
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        values = p.detach().numpy()
        assert values.min() >= -bound and values.max() <= bound
        assert values.max() > 0.8 * bound and values.min() < -0.8 * bound
    assert layer.weight.shape == (16, 4, 3, 5) and layer.weight.dtype == np.float32
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(2, 2, 3, bias=False).bias is None
    assert nn.Conv2d(2, 2, 3, dtype="float64").weight.dtype == np.float64


def test_layer_repr_is_pytorch_like():
    assert repr(nn.Conv2d(3, 4, 3)) == "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False, padding_mode="reflect")) == (
        "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False, padding_mode=reflect)"
    )


# --- bad hyper-parameters: refused before any array work, with the rule in the message ---------
def _conv(x_shape=(1, 4, 6, 6), w_shape=(4, 4, 3, 3), b_shape=None, dtype="float32", w_dtype=None, **kwargs):
    x = minigrad.zeros(*x_shape, dtype=dtype)
    w = minigrad.zeros(*w_shape, dtype=w_dtype or dtype)
    b = None if b_shape is None else minigrad.zeros(*b_shape, dtype=dtype)
    return F.conv2d(x, w, b, **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(w_shape=(4, 4, 7, 7)), r"kernel 7x7 .* larger than the padded input 6x6"),
        (dict(w_shape=(4, 4, 3, 3), dilation=3), r"spans 7x7\) is larger than the padded input 6x6"),
        (dict(stride=0), r"stride must be >= 1"),
        (dict(stride=(1, -1)), r"stride must be >= 1"),
        (dict(dilation=0), r"dilation must be >= 1"),
        (dict(padding=-1), r"padding must be >= 0"),
        (dict(padding="full"), r"padding must be an int, a tuple, 'valid' or 'same'"),
        (dict(padding=(1, 2, 3)), r"padding must be an int or a tuple of 2 ints"),
        (dict(groups=0), r"groups must be a positive int"),
        (
            dict(x_shape=(1, 4, 6, 6), w_shape=(4, 4, 3, 3), groups=3),
            r"4 channels are not divisible by groups=3",
        ),
        (
            dict(x_shape=(1, 4, 6, 6), w_shape=(3, 2, 3, 3), groups=2),
            r"3 output channels .* not divisible by groups=2",
        ),
        (
            dict(w_shape=(4, 3, 3, 3)),
            r"expects 3 \* 1 = 3 input channels, but the input of shape \(1, 4, 6, 6\) has 4",
        ),
        (dict(w_shape=(4, 4, 3, 3), groups=2), r"expects 4 \* 2 = 8 input channels"),
        (
            dict(x_shape=(6, 6)),
            r"expected a 4-D input \(N, C, H, W\) or a 3-D unbatched one, got shape \(6, 6\)",
        ),
        (dict(w_shape=(4, 4, 3)), r"weight must be 4-D \(O, C / groups, kH, kW\), got shape \(4, 4, 3\)"),
        (dict(b_shape=(3,)), r"bias must have shape \(4,\)"),
        (dict(padding="same", stride=2), r"padding='same' is not supported for strided convolutions"),
    ],
)
def test_bad_hyper_parameters_raise_value_error_naming_the_rule(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _conv(**kwargs)


def test_dtype_mismatch_raises_type_error():
    with pytest.raises(TypeError, match=r"one dtype, got input minigrad.float32, weight minigrad.float64"):
        _conv(w_dtype="float64")
    with pytest.raises(TypeError, match=r"input must be floating point"):
        F.conv2d(minigrad.zeros(1, 1, 3, 3, dtype="int64"), minigrad.zeros(1, 1, 1, 1, dtype="int64"))
    with pytest.raises(TypeError, match=r"weight must be a minigrad.Tensor"):
        F.conv2d(minigrad.zeros(1, 1, 3, 3), np.zeros((1, 1, 1, 1)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(groups=2, in_channels=3), r"in_channels \(3\) must be divisible by groups \(2\)"),
        (dict(groups=2, out_channels=5), r"out_channels \(5\) must be divisible by groups \(2\)"),
        (dict(padding_mode="mirror"), r"padding_mode must be one of"),
        (dict(padding="same", stride=2), r"padding='same' is not supported for strided convolutions"),
        (dict(kernel_size=0), r"kernel_size must be >= 1"),
        (dict(padding=-2), r"padding must be >= 0"),
    ],
)
def test_layer_refuses_bad_hyper_parameters(kwargs, message):
    args = dict(in_channels=4, out_channels=4, kernel_size=3) | kwargs
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(**args)


def test_conv1d_errors_speak_in_one_d_terms():
    with pytest.raises(ValueError, match=r"expected a 3-D input \(N, C, L\)"):
        F.conv1d(minigrad.zeros(1, 2, 3, 4), minigrad.zeros(1, 2, 3))
    with pytest.raises(ValueError, match=r"kernel 5 .* larger than the padded input 4"):
        F.conv1d(minigrad.zeros(1, 2, 4), minigrad.zeros(1, 2, 5))
