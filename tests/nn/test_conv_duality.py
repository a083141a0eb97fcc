"""The duality rules of convolution, checked explicitly, and double backward through them.

conv2d's backward is not special code: both gradients ARE cross-correlations, computed with
the same primitive as the forward:

* dL/dW = xcorr(input as (C, N, H, W), upstream as (O, N, Ho, Wo)), stride <-> dilation,
  cropped to the kernel size;
* dL/dX = xcorr(upstream with stride-1 zeros between rows/cols, padded by d(k-1) - p (plus the
  rows the forward stride dropped), kernel flipped 180 degrees with in/out channels swapped).

Because backward is made of differentiable ops, gradients of gradients match PyTorch too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd.engine import grad
from minigrad.autograd.gradcheck import gradgradcheck

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def configs(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 2)))
    size = tuple(
        max(d * (k - 1) + 1 - 2 * p, 1) + draw(st.integers(0, 4))
        for k, d, p in zip(kernel, dilation, padding)
    )
    return dict(
        batch=draw(st.integers(1, 2)),
        groups=groups,
        in_per_group=draw(st.integers(1, 2)),
        out_per_group=draw(st.integers(1, 2)),
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        padding=padding,
        size=size,
    )


def arrays(config, seed=0):
    rng = np.random.default_rng(seed)
    c = config
    x = rng.standard_normal((c["batch"], c["groups"] * c["in_per_group"], *c["size"]))
    w = rng.standard_normal((c["groups"] * c["out_per_group"], c["in_per_group"], *c["kernel"]))
    return x, w


def hyper(config):
    return {k: config[k] for k in ("stride", "padding", "dilation", "groups")}


def weight_gradient_by_duality(x, dy, config):
    """dL/dW as ONE cross-correlation per group: batch axis as channels, stride <-> dilation."""
    g, c_g, o_g = config["groups"], config["in_per_group"], config["out_per_group"]
    kh, kw = config["kernel"]
    pieces = []
    for group in range(g):
        images = x[:, group * c_g : (group + 1) * c_g].transpose(0, 1)  # (C/G, N, H, W)
        kernels = dy[:, group * o_g : (group + 1) * o_g].transpose(0, 1)  # (O/G, N, Ho, Wo)
        correlation = F.conv2d(
            images, kernels, stride=config["dilation"], padding=config["padding"], dilation=config["stride"]
        )  # (C/G, O/G, >=kh, >=kw)
        pieces.append(correlation[:, :, :kh, :kw].transpose(0, 1))
    return minigrad.cat(pieces, 0)


def pad_or_crop(a, axis, before, after):
    """Zero-pad one axis (crop it where a width is negative)."""
    a = np.moveaxis(a, axis, 0)
    a = a[max(-before, 0) : a.shape[0] - max(-after, 0)]
    a = np.pad(a, [(max(before, 0), max(after, 0))] + [(0, 0)] * (a.ndim - 1))
    return np.moveaxis(a, 0, axis)


def input_gradient_by_duality(dy, w, config):
    """dL/dX as ONE cross-correlation per group of the dilated, padded upstream gradient with the
    flipped, channel-swapped kernel. The dilation and padding are done in NumPy here, on purpose
    independently of the implementation's reshape trick."""
    g, o_g = config["groups"], config["out_per_group"]
    (sh, sw), (ph, pw), (dh, dw), (kh, kw) = (
        config["stride"],
        config["padding"],
        config["dilation"],
        config["kernel"],
    )
    h, w_size = config["size"]
    dy = dy.numpy()
    n, o, ho, wo = dy.shape
    dilated = np.zeros((n, o, sh * (ho - 1) + 1, sw * (wo - 1) + 1))
    dilated[:, :, ::sh, ::sw] = dy
    # Full convolution: d(k-1) - p in front (a crop when negative), and at the end whatever
    # makes the length size + d(k-1): d(k-1) - p plus the remainder rows the stride dropped.
    padded = dilated
    for axis, size, k, d, p in ((2, h, kh, dh, ph), (3, w_size, kw, dw, pw)):
        before = d * (k - 1) - p
        padded = pad_or_crop(padded, axis, before, size + d * (k - 1) - padded.shape[axis] - before)
    flipped = w.numpy()[:, :, ::-1, ::-1]
    pieces = []
    for group in range(g):
        swapped = flipped[group * o_g : (group + 1) * o_g].transpose(1, 0, 2, 3)  # (C/G, O/G, kh, kw)
        pieces.append(
            F.conv2d(
                minigrad.tensor(padded[:, group * o_g : (group + 1) * o_g]),
                minigrad.tensor(np.ascontiguousarray(swapped)),
                dilation=config["dilation"],
            )
        )
    return minigrad.cat(pieces, 1)


@SETTINGS
@given(configs())
def test_backward_is_the_two_duality_cross_correlations(torch, config):
    x_np, w_np = arrays(config)
    x = minigrad.tensor(x_np, requires_grad=True)
    w = minigrad.tensor(w_np, requires_grad=True)
    out = F.conv2d(x, w, **hyper(config))
    dy = minigrad.tensor(np.random.default_rng(1).standard_normal(out.shape))
    out.backward(dy)

    tx, tw = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    torch.nn.functional.conv2d(tx, tw, **hyper(config)).backward(torch.from_numpy(dy.numpy()))

    by_duality_w = weight_gradient_by_duality(x.detach(), dy, config).numpy()
    np.testing.assert_allclose(by_duality_w, w.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(by_duality_w, tw.grad.numpy(), atol=1e-10)

    by_duality_x = input_gradient_by_duality(dy, w.detach(), config).numpy()
    np.testing.assert_allclose(by_duality_x, x.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(by_duality_x, tx.grad.numpy(), atol=1e-10)


def test_backward_graph_is_made_of_conv2d_primitives():
    """With create_graph=True, each gradient's graph is rooted in a conv2d node (the same op)."""
    x = minigrad.randn(2, 2, 6, 6, requires_grad=True)
    w = minigrad.randn(3, 2, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, stride=2, padding=1)
    dx, dw = grad(out.sum(), [x, w], create_graph=True)

    def names(tensor):
        seen, stack, found = set(), [tensor.grad_fn], []
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen or not hasattr(node, "next_functions"):
                continue
            seen.add(id(node))
            found.append(node.name)
            stack.extend(edge[0] for edge in node.next_functions if edge is not None)
        return found

    assert "conv2d" in names(dx) and "conv2d" in names(dw)
    assert dx.grad_fn.name == "conv2d"  # dL/dX is literally a cross-correlation


@SETTINGS
@given(configs(), st.booleans())
def test_double_backward_through_input_and_weight_matches_pytorch(torch, config, with_bias):
    """d/d(x, w, dy) of  sum(dL/dX * v) + sum(dL/dW * u)  for L = sum(conv(x, w) * dy)."""
    x_np, w_np = arrays(config)
    rng = np.random.default_rng(2)
    b_np = rng.standard_normal(w_np.shape[0])
    v_np, u_np = rng.standard_normal(x_np.shape), rng.standard_normal(w_np.shape)

    def run(lib, tensor, grad_fn):
        x, w, b = (tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
        out = (lib.conv2d if lib is F else lib.nn.functional.conv2d)(
            x, w, b if with_bias else None, **hyper(config)
        )
        dy = tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)), requires_grad=True)
        dx, dw = grad_fn((out * dy).sum(), [x, w], create_graph=True)
        objective = (dx * tensor(v_np)).sum() + (dw * tensor(u_np)).sum()
        return [g.detach().numpy() for g in grad_fn(objective, [x, w, dy])]

    ours = run(F, minigrad.tensor, lambda o, i, **kw: grad(o, i, **kw, allow_unused=True))
    theirs = run(torch, torch.tensor, lambda o, i, **kw: torch.autograd.grad(o, i, **kw, allow_unused=True))
    for mine, reference, name in zip(ours, theirs, ("x", "w", "dy")):
        if reference is None:
            continue
        np.testing.assert_allclose(mine, reference, atol=1e-10, err_msg=f"second derivative wrt {name}")


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(dilation=(2, 1), groups=2)])
def test_gradgradcheck_float64(kwargs):
    rng = np.random.default_rng(5)
    x = minigrad.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((2, 2 // kwargs.get("groups", 1), 2, 2)), requires_grad=True)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, **kwargs), (x, w))
