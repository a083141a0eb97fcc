"""The extra poolings and padding layers against PyTorch: adaptive max/avg pooling (1-d to 3-d,
return_indices), MaxPool1d/AvgPool1d, LPPool1d/2d, MaxUnpool1d/2d, and the padding modules
(ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad; 1-d to 3-d)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd.gradcheck import gradcheck

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def compare(torch, ours_fn, theirs_fn, x_np, integer_output=False):
    """Values, dtype and input gradient of ours_fn against theirs_fn (first output if a pair)."""
    x = minigrad.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, expected = ours_fn(x), theirs_fn(tx)
    pair = isinstance(expected, tuple)
    if pair:
        (out, indices), (expected, expected_indices) = out, expected
        assert indices.dtype == minigrad.int64
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    assert tuple(out.shape) == tuple(expected.shape)
    assert str(out.dtype).replace("minigrad.", "") == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    dy = np.random.default_rng(9).standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


@SETTINGS
@given(st.integers(1, 3), st.data())
def test_adaptive_max_pool_matches_pytorch_with_indices(torch, spatial, data):
    size = tuple(data.draw(st.integers(1, 7)) for _ in range(spatial))
    out = tuple(data.draw(st.integers(1, 5)) for _ in range(spatial))
    batched = data.draw(st.booleans())
    shape = ((2,) if batched else ()) + (2, *size)
    x_np = np.random.default_rng(0).standard_normal(shape)
    if data.draw(st.booleans()):
        x_np = np.round(x_np)  # ties: the first maximum in row-major order wins, as PyTorch
    name = f"adaptive_max_pool{spatial}d"
    output_size = out[0] if spatial == 1 else out
    compare(
        torch,
        lambda x: getattr(F, name)(x, output_size, return_indices=True),
        lambda x: getattr(torch.nn.functional, name)(x, output_size, return_indices=True),
        x_np,
    )


@SETTINGS
@given(st.sampled_from([1, 3]), st.data())
def test_adaptive_avg_pool_1d_3d_match_pytorch(torch, spatial, data):
    size = tuple(data.draw(st.integers(1, 7)) for _ in range(spatial))
    out = tuple(data.draw(st.integers(1, 5)) for _ in range(spatial))
    x_np = np.random.default_rng(1).standard_normal((2, 3, *size))
    name = f"adaptive_avg_pool{spatial}d"
    output_size = out[0] if spatial == 1 else out
    compare(
        torch,
        lambda x: getattr(F, name)(x, output_size),
        lambda x: getattr(torch.nn.functional, name)(x, output_size),
        x_np,
    )


@SETTINGS
@given(
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 2),
    st.booleans(),
    st.booleans(),
    st.integers(0, 6),
)
def test_pool1d_match_pytorch(torch, kernel, stride, padding, dilation, ceil_mode, count_include_pad, extra):
    padding = min(padding, kernel // 2)
    length = dilation * (kernel - 1) + 1 + extra
    x_np = np.random.default_rng(2).standard_normal((2, 3, length))
    compare(
        torch,
        lambda x: F.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True),
        lambda x: torch.nn.functional.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True),
        x_np,
    )
    compare(
        torch,
        lambda x: F.avg_pool1d(x, kernel, stride, padding, ceil_mode, count_include_pad),
        lambda x: torch.nn.functional.avg_pool1d(x, kernel, stride, padding, ceil_mode, count_include_pad),
        x_np,
    )


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.5])
def test_lp_pool_matches_pytorch(torch, norm_type):
    x_np = np.abs(np.random.default_rng(3).standard_normal((2, 2, 5, 6))) + 0.1
    compare(
        torch,
        lambda x: F.lp_pool2d(x, norm_type, (2, 3), 2),
        lambda x: torch.nn.functional.lp_pool2d(x, norm_type, (2, 3), 2),
        x_np,
    )
    compare(
        torch,
        lambda x: F.lp_pool1d(x[0], norm_type, 3),
        lambda x: torch.nn.functional.lp_pool1d(x[0], norm_type, 3),
        x_np[:, :, 0],
    )
    x = minigrad.tensor(x_np[:1, :1], requires_grad=True)
    assert gradcheck(lambda x: F.lp_pool2d(x, norm_type, 2, ceil_mode=True), (x,))


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "shape", "output_size"),
    [
        (2, None, 0, (2, 3, 4, 6), None),
        (3, 2, 1, (1, 2, 7, 5), None),
        (2, 2, 0, (1, 1, 5, 5), (5, 5)),
        (3, 1, 0, (1, 1, 4, 4), None),
    ],
)
def test_max_unpool2d_inverts_max_pool2d_like_pytorch(torch, kernel, stride, padding, shape, output_size):
    x_np = np.random.default_rng(4).standard_normal(shape)
    values, indices = torch.nn.functional.max_pool2d(torch.tensor(x_np), kernel, stride, padding, return_indices=True)
    ours_values = minigrad.tensor(values.numpy(), requires_grad=True)
    ours_indices = minigrad.tensor(indices.numpy())
    out = nn.MaxUnpool2d(kernel, stride, padding)(ours_values, ours_indices, output_size=output_size)
    tv = values.clone().requires_grad_(True)
    expected = torch.nn.MaxUnpool2d(kernel, stride, padding)(tv, indices, output_size=output_size)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    dy = np.random.default_rng(5).standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    np.testing.assert_array_equal(ours_values.grad.numpy(), tv.grad.numpy())
    # Our own max_pool2d's indices drive it the same way.
    mine_values, mine_indices = F.max_pool2d(minigrad.tensor(x_np), kernel, stride, padding, return_indices=True)
    again = F.max_unpool2d(mine_values, mine_indices, kernel, stride, padding, output_size)
    np.testing.assert_array_equal(again.numpy(), expected.detach().numpy())


def test_max_unpool1d_and_errors(torch):
    x_np = np.random.default_rng(6).standard_normal((2, 3, 8))
    values, indices = F.max_pool1d(minigrad.tensor(x_np), 2, return_indices=True)
    t_values, t_indices = torch.nn.functional.max_pool1d(torch.tensor(x_np), 2, return_indices=True)
    np.testing.assert_array_equal(
        nn.MaxUnpool1d(2)(values, indices).numpy(), torch.nn.MaxUnpool1d(2)(t_values, t_indices).numpy()
    )
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool1d(values, indices, 2, output_size=[20])
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        F.max_unpool1d(values, indices * 10, 2)


def test_module_reprs_match_pytorch(torch):
    pairs = [
        (nn.MaxPool1d(3), torch.nn.MaxPool1d(3)),
        (nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True), torch.nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True)),
        (nn.AvgPool1d(3), torch.nn.AvgPool1d(3)),
        (nn.AvgPool1d(3, 1, 1), torch.nn.AvgPool1d(3, 1, 1)),
        (nn.AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3)),
        (nn.AdaptiveAvgPool3d((1, None, 2)), torch.nn.AdaptiveAvgPool3d((1, None, 2))),
        (nn.AdaptiveMaxPool1d(2), torch.nn.AdaptiveMaxPool1d(2)),
        (
            nn.AdaptiveMaxPool2d((3, None), return_indices=True),
            torch.nn.AdaptiveMaxPool2d((3, None), return_indices=True),
        ),
        (nn.AdaptiveMaxPool3d(2), torch.nn.AdaptiveMaxPool3d(2)),
        (nn.LPPool1d(2, 3), torch.nn.LPPool1d(2, 3)),
        (nn.LPPool2d(1.5, (2, 3), 1), torch.nn.LPPool2d(1.5, (2, 3), 1)),
        (nn.MaxUnpool1d(2), torch.nn.MaxUnpool1d(2)),
        (nn.MaxUnpool2d(3, 2, 1), torch.nn.MaxUnpool2d(3, 2, 1)),
    ]
    for mine, theirs in pairs:
        assert repr(mine) == repr(theirs)
        assert list(mine.state_dict()) == []


def test_adaptive_max_pool_modules_and_gradcheck(torch):
    x_np = np.random.default_rng(7).standard_normal((2, 3, 7, 5))
    values, indices = nn.AdaptiveMaxPool2d((3, None), return_indices=True)(minigrad.tensor(x_np))
    t_values, t_indices = torch.nn.AdaptiveMaxPool2d((3, None), return_indices=True)(torch.tensor(x_np))
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    x = minigrad.tensor(x_np[:1, :2], requires_grad=True)
    assert gradcheck(lambda x: F.adaptive_max_pool2d(x, (3, 2)), (x,))
    assert gradcheck(lambda x: F.adaptive_avg_pool1d(x[0], 3), (x,))
    with pytest.raises(RuntimeError, match="output_size must be >= 1"):
        F.adaptive_max_pool1d(minigrad.randn(1, 1, 4), 0)


PADDINGS = [
    ("ZeroPad", (1, 2, 3), {}),
    ("ConstantPad", (1, 2, 3), {"value": 2.5}),
    ("ReflectionPad", (1, 2, 3), {}),
    ("ReplicationPad", (1, 2, 3), {}),
    ("CircularPad", (1, 2, 3), {}),
]


@pytest.mark.parametrize(("name", "ranks", "kwargs"), PADDINGS)
@SETTINGS
@given(data=st.data())
def test_padding_modules_match_pytorch(torch, name, ranks, kwargs, data):
    spatial = data.draw(st.sampled_from(ranks))
    size = tuple(data.draw(st.integers(3, 4)) for _ in range(spatial))  # reflect needs width < size
    if data.draw(st.booleans()):
        padding = data.draw(st.integers(0, 2))
    else:
        padding = tuple(data.draw(st.integers(-1 if name != "ReflectionPad" else 0, 2)) for _ in range(2 * spatial))
    batched = data.draw(st.booleans())
    x_np = np.random.default_rng(8).standard_normal(((2,) if batched else ()) + (2, *size))
    args = (padding, kwargs["value"]) if kwargs else (padding,)
    mine = getattr(nn, f"{name}{spatial}d")(*args)
    theirs = getattr(torch.nn, f"{name}{spatial}d")(*args)
    assert repr(mine) == repr(theirs)
    assert mine.padding == theirs.padding
    compare(torch, mine, theirs, x_np)
