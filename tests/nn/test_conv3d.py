"""Conv3d / F.conv3d (kD conv2d correlations added up) and MaxPool3d / AvgPool3d (window
gathers) against PyTorch: values, indices, gradients, init, state_dict keys, reprs."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd.gradcheck import gradcheck

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def triples(draw, low, high):
    return tuple(draw(st.integers(low, high)) for _ in range(3))


@SETTINGS
@given(data=st.data())
def test_conv3d_matches_pytorch(torch, data):
    groups = data.draw(st.sampled_from([1, 2]))
    kernel, stride, dilation = triples(data.draw, 1, 2), triples(data.draw, 1, 2), triples(data.draw, 1, 2)
    padding = data.draw(st.sampled_from(["valid", "same", 0, 1])) if max(stride) == 1 else data.draw(st.integers(0, 1))
    size = tuple(d * (k - 1) + 1 + data.draw(st.integers(0, 2)) for k, d in zip(kernel, dilation))
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((data.draw(st.integers(1, 2)), 2 * groups, *size))
    w_np = rng.standard_normal((2 * groups, 2, *kernel))
    b_np = rng.standard_normal(2 * groups)
    ours = [minigrad.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np)]
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    out = F.conv3d(*ours, **kwargs)
    expected = torch.nn.functional.conv3d(*theirs, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-10)
    dy = rng.standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), atol=1e-10)


def test_conv3d_module_and_gradcheck(torch):
    theirs = torch.nn.Conv3d(2, 4, (2, 3, 1), stride=(1, 2, 1), padding=1, padding_mode="replicate")
    ours = nn.Conv3d(2, 4, (2, 3, 1), stride=(1, 2, 1), padding=1, padding_mode="replicate")
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight.shape == tuple(theirs.weight.shape)
    ours.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x_np = np.random.default_rng(1).standard_normal((2, 3, 4, 5)).astype(np.float32)  # unbatched
    np.testing.assert_allclose(
        ours(minigrad.tensor(x_np)).detach().numpy(), theirs(torch.tensor(x_np)).detach().numpy(), atol=1e-5
    )
    big = nn.Conv3d(16, 8, 3)
    bound = 1 / np.sqrt(16 * 27)
    assert np.abs(big.weight.detach().numpy()).max() <= bound
    assert abs(big.weight.detach().numpy().std() - bound / np.sqrt(3)) < 0.05 * bound
    x = minigrad.tensor(np.random.default_rng(2).standard_normal((1, 2, 3, 3, 3)), requires_grad=True)
    w = minigrad.tensor(np.random.default_rng(3).standard_normal((2, 1, 2, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv3d(x, w, stride=(2, 1, 1), padding=1, groups=2), (x, w))


@SETTINGS
@given(data=st.data())
def test_pool3d_matches_pytorch(torch, data):
    kernel = triples(data.draw, 1, 3)
    stride, dilation = triples(data.draw, 1, 2), triples(data.draw, 1, 2)
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    ceil_mode = data.draw(st.booleans())
    size = tuple(d * (k - 1) + 1 + data.draw(st.integers(0, 3)) for k, d in zip(kernel, dilation))
    x_np = np.random.default_rng(4).standard_normal((2, 2, *size))
    if data.draw(st.booleans()):
        x_np = np.round(x_np)  # ties: the first maximum wins, as PyTorch
    x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    values, indices = F.max_pool3d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    expected, expected_indices = torch.nn.functional.max_pool3d(
        tx, kernel, stride, padding, dilation, ceil_mode, return_indices=True
    )
    np.testing.assert_array_equal(values.detach().numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    dy = np.random.default_rng(5).standard_normal(tuple(expected.shape))
    values.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)

    count_include_pad = data.draw(st.booleans())
    x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out = F.avg_pool3d(x, kernel, stride, padding, ceil_mode, count_include_pad)
    expected = torch.nn.functional.avg_pool3d(tx, kernel, stride, padding, ceil_mode, count_include_pad)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    dy = np.random.default_rng(6).standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


def test_pool3d_modules(torch):
    for ours, theirs in [
        (nn.MaxPool3d(2), torch.nn.MaxPool3d(2)),
        (
            nn.MaxPool3d((1, 2, 3), 1, (0, 1, 1), ceil_mode=True),
            torch.nn.MaxPool3d((1, 2, 3), 1, (0, 1, 1), ceil_mode=True),
        ),
        (nn.AvgPool3d(2, 1, 1), torch.nn.AvgPool3d(2, 1, 1)),
        (nn.AvgPool3d(3, divisor_override=2), torch.nn.AvgPool3d(3, divisor_override=2)),
    ]:
        assert repr(ours) == repr(theirs)
        x_np = np.random.default_rng(7).standard_normal((2, 4, 5, 6)).astype(np.float32)
        np.testing.assert_allclose(ours(minigrad.tensor(x_np)).numpy(), theirs(torch.tensor(x_np)).numpy(), atol=1e-6)


def test_max_unpool3d_inverts_max_pool3d_like_pytorch(torch):
    x_np = np.random.default_rng(8).standard_normal((2, 2, 4, 4, 6))
    values, indices = F.max_pool3d(minigrad.tensor(x_np), 2, return_indices=True)
    t_values, t_indices = torch.nn.functional.max_pool3d(torch.tensor(x_np), 2, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    values = minigrad.tensor(values.numpy(), requires_grad=True)
    out = nn.MaxUnpool3d(2)(values, indices)
    expected = torch.nn.MaxUnpool3d(2)(t_values, t_indices)
    assert repr(nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))
    np.testing.assert_array_equal(out.detach().numpy(), expected.numpy())
    out.sum().backward()
    np.testing.assert_array_equal(values.grad.numpy(), np.ones(values.shape))


def test_lp_pool3d_matches_pytorch(torch):
    x_np = np.abs(np.random.default_rng(9).standard_normal((2, 2, 4, 5, 4))) + 0.1
    for norm_type, kernel, stride, ceil_mode in ((2.0, 2, None, False), (1.5, (2, 3, 1), 2, True)):
        x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
        out = F.lp_pool3d(x, norm_type, kernel, stride, ceil_mode)
        expected = torch.nn.functional.lp_pool3d(tx, norm_type, kernel, stride, ceil_mode)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    assert repr(nn.LPPool3d(2, 2)) == repr(torch.nn.LPPool3d(2, 2))
