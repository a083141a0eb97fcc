"""Pooling (max, average, adaptive average): values, indices, gradients and second-order
gradients match PyTorch for every option; bad arguments are refused clearly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd.engine import grad
from minigrad.autograd.gradcheck import gradcheck

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def pool_configs(draw, with_dilation: bool):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if with_dilation else (1, 1)
    # size >= d keeps a tap of every window inside the input (PyTorch's own double backward
    # fails otherwise; that corner is tested on its own below).
    size = tuple(
        max(d * (k - 1) + 1 - 2 * p, d) + draw(st.integers(0, 5))
        for k, d, p in zip(kernel, dilation, padding)
    )
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size)
    if draw(st.booleans()):
        shape = shape[1:]  # unbatched (C, H, W)
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=draw(st.booleans()))
    if with_dilation:
        kwargs["dilation"] = dilation
    return shape, kwargs


def compare(ours_fn, torch_fn, shape, torch, dtype="float64", atol=1e-12, seed=0, double_backward=True):
    """Forward, gradient, and the gradient of <gradient, v> w.r.t. the upstream gradient."""
    rng = np.random.default_rng(seed)
    x_np = rng.standard_normal(shape).astype(dtype)
    x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, t_out = ours_fn(x), torch_fn(tx)
    if isinstance(out, tuple):  # (values, indices)
        np.testing.assert_array_equal(out[1].numpy(), t_out[1].numpy())
        assert out[1].dtype == np.int64
        out, t_out = out[0], t_out[0]
    assert out.shape == tuple(t_out.shape) and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), atol=atol)

    dy_np = rng.standard_normal(out.shape).astype(dtype)
    dy, t_dy = minigrad.tensor(dy_np, requires_grad=True), torch.tensor(dy_np, requires_grad=True)
    (dx,) = grad(out, x, dy, create_graph=True)
    (t_dx,) = torch.autograd.grad(t_out, tx, t_dy, create_graph=True)
    assert dx.dtype == np.dtype(dtype)
    np.testing.assert_allclose(dx.detach().numpy(), t_dx.detach().numpy(), atol=atol)
    if double_backward:
        v = rng.standard_normal(x_np.shape).astype(dtype)
        (ddy,) = grad((dx * minigrad.tensor(v)).sum(), dy)
        (t_ddy,) = torch.autograd.grad((t_dx * torch.from_numpy(v)).sum(), t_dy)
        np.testing.assert_allclose(ddy.numpy(), t_ddy.numpy(), atol=atol)


# --- max pooling -----------------------------------------------------------------------------
@SETTINGS
@given(pool_configs(with_dilation=True), st.booleans())
def test_max_pool2d_matches_pytorch(torch, config, return_indices):
    shape, kwargs = config
    compare(
        lambda x: F.max_pool2d(x, **kwargs, return_indices=return_indices),
        lambda x: torch.nn.functional.max_pool2d(x, **kwargs, return_indices=return_indices),
        shape,
        torch,
    )


@pytest.mark.parametrize(
    "shape, kernel", [((2, 3, 8, 8), 2), ((2, 3, 9, 7), 2), ((1, 2, 6, 9), (3, 3)), ((3, 6, 6), 3)]
)
def test_max_pool2d_tiling_case_is_a_reshape_without_scatter(torch, shape, kernel):
    """kernel == stride, no padding: windows tile the image; no scatter-add in backward."""
    compare(
        lambda x: F.max_pool2d(x, kernel), lambda x: torch.nn.functional.max_pool2d(x, kernel), shape, torch
    )
    x = minigrad.randn(*shape, requires_grad=True)
    (dx,) = grad(F.max_pool2d(x, kernel).sum(), x, create_graph=True)
    names, stack = set(), [dx.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and hasattr(node, "next_functions"):
            names.add(node.name)
            stack.extend(edge[0] for edge in node.next_functions if edge is not None)
    assert "index_add_into" not in names


def test_max_pool2d_ties_route_the_gradient_to_the_first_maximum(torch):
    # After a ReLU whole windows are 0: PyTorch gives the gradient to the first one, so do we.
    for kwargs in [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)]:
        x = minigrad.zeros(1, 1, 4, 4, requires_grad=True, dtype="float64")
        tx = torch.zeros(1, 1, 4, 4, requires_grad=True, dtype=torch.float64)
        out, indices = F.max_pool2d(x, **kwargs, return_indices=True)
        t_out, t_indices = torch.nn.functional.max_pool2d(tx, **kwargs, return_indices=True)
        np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
        out.sum().backward()
        t_out.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_max_pool2d_float32_and_gradcheck(torch):
    compare(
        lambda x: F.max_pool2d(x, 3, 2, 1),
        lambda x: torch.nn.functional.max_pool2d(x, 3, 2, 1),
        (2, 3, 7, 7),
        torch,
        dtype="float32",
        atol=1e-6,
    )
    x = minigrad.tensor(
        np.random.default_rng(0).permutation(36).reshape(1, 1, 6, 6) / 7.0, requires_grad=True
    )
    assert gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))


def test_max_pool2d_layer(torch):
    layer = nn.MaxPool2d(3, stride=2, padding=1, dilation=1, return_indices=True, ceil_mode=True)
    reference = torch.nn.MaxPool2d(3, stride=2, padding=1, dilation=1, return_indices=True, ceil_mode=True)
    compare(layer, reference, (2, 2, 8, 7), torch)
    assert (
        repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert list(nn.MaxPool2d(2).parameters()) == []


# --- average pooling ---------------------------------------------------------------------------
@SETTINGS
@given(pool_configs(with_dilation=False), st.booleans(), st.sampled_from([None, None, 1, 3]))
def test_avg_pool2d_matches_pytorch(torch, config, count_include_pad, divisor_override):
    shape, kwargs = config
    kwargs = dict(kwargs, count_include_pad=count_include_pad, divisor_override=divisor_override)
    compare(
        lambda x: F.avg_pool2d(x, **kwargs),
        lambda x: torch.nn.functional.avg_pool2d(x, **kwargs),
        shape,
        torch,
    )


@pytest.mark.parametrize(
    "kwargs",
    [dict(kernel_size=2), dict(kernel_size=(2, 3), ceil_mode=True), dict(kernel_size=3, stride=2, padding=1)],
)
def test_avg_pool2d_float32_and_layer(torch, kwargs):
    compare(
        nn.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs), (2, 3, 8, 7), torch, dtype="float32", atol=1e-6
    )


def test_avg_pool2d_gradcheck():
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((1, 2, 5, 5)), requires_grad=True)
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))


# --- adaptive average pooling --------------------------------------------------------------------
@SETTINGS
@given(
    st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)),
    st.data(),
)
def test_adaptive_avg_pool2d_matches_pytorch(torch, shape, data):
    out_h = data.draw(st.one_of(st.none(), st.integers(1, shape[2] + 2)))
    out_w = data.draw(st.integers(1, shape[3] + 2))
    output_size = data.draw(st.sampled_from([(out_h, out_w), out_w]))
    compare(
        lambda x: F.adaptive_avg_pool2d(x, output_size),
        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, output_size),
        shape,
        torch,
    )


def test_adaptive_avg_pool2d_layer_global_pooling_and_float32(torch):
    compare(
        nn.AdaptiveAvgPool2d(1),
        torch.nn.AdaptiveAvgPool2d(1),
        (2, 3, 7, 5),
        torch,
        dtype="float32",
        atol=1e-6,
    )
    compare(
        nn.AdaptiveAvgPool2d((3, 2)),
        torch.nn.AdaptiveAvgPool2d((3, 2)),
        (3, 7, 5),
        torch,
        dtype="float32",
        atol=1e-6,
    )
    assert repr(nn.AdaptiveAvgPool2d((3, 2))) == "AdaptiveAvgPool2d(output_size=(3, 2))"


# --- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda x: F.max_pool2d(x, 3, padding=2),
            ValueError,
            r"padding \(2, 2\) must be at most half the kernel",
        ),
        (lambda x: F.avg_pool2d(x, 2, padding=2), ValueError, r"at most half the kernel"),
        (lambda x: F.max_pool2d(x, 0), ValueError, r"kernel_size must be >= 1"),
        (lambda x: F.max_pool2d(x, 2, stride=0), ValueError, r"stride must be >= 1"),
        (lambda x: F.max_pool2d(x, 2, dilation=0), ValueError, r"dilation must be >= 1"),
        (lambda x: F.max_pool2d(x, 2, padding=-1), ValueError, r"padding must be >= 0"),
        (lambda x: F.max_pool2d(x, 7), ValueError, r"too small for kernel \(7, 7\)"),
        (
            lambda x: F.max_pool2d(x, (2, 2, 2)),
            ValueError,
            r"kernel_size must be an int or a tuple of 2 ints",
        ),
        (lambda x: F.max_pool2d(x[0, 0], 2), ValueError, r"expected a 4-D input \(N, C, H, W\) or 3-D"),
        (lambda x: F.max_pool2d(x.bool(), 2), TypeError, r"not implemented for minigrad.bool"),  # ints work
        (
            lambda x: F.avg_pool2d(x, 2, divisor_override=0),
            ValueError,
            r"divisor_override must be a positive int",
        ),
        (lambda x: F.adaptive_avg_pool2d(x, 0), ValueError, r"output_size must be >= 1"),
        (lambda x: F.adaptive_avg_pool2d(x, (1, 2, 3)), ValueError, r"output_size must be an int or a pair"),
    ],
)
def test_bad_pooling_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call(minigrad.zeros(1, 1, 6, 6))


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((1, 1, 3, 3), dict(kernel_size=3, stride=2, padding=1)),  # windows of -inf inputs and padding
        ((1, 1, 1, 1), dict(kernel_size=(1, 2), padding=(0, 1), dilation=(1, 2))),  # taps all in padding
    ],
)
def test_max_pool2d_windows_where_nothing_beats_the_padding(torch, shape, kwargs):
    """PyTorch points such a window at its first input cell (or drops it if it has none)."""
    x = minigrad.full(shape, -float("inf"), dtype="float64", requires_grad=True)
    tx = torch.full(shape, -float("inf"), dtype=torch.float64, requires_grad=True)
    out, indices = F.max_pool2d(x, **kwargs, return_indices=True)
    t_out, t_indices = torch.nn.functional.max_pool2d(tx, **kwargs, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
