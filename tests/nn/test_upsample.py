"""F.interpolate, nn.Upsample (and its nearest/bilinear forms), PixelShuffle/PixelUnshuffle
against PyTorch: PyTorch's exact index formulas, values, gradients, dtypes, reprs, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd.gradcheck import gradcheck

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


@st.composite
def cases(draw):
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"]))
    spatial = RANK.get(mode) or draw(st.integers(1, 3))
    in_size = tuple(draw(st.integers(1, 5)) for _ in range(spatial))
    kwargs = {"mode": mode}
    if mode in RANK:
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    if draw(st.booleans()):
        kwargs["size"] = tuple(draw(st.integers(1, 7)) for _ in range(spatial))
    else:
        factors = tuple(draw(st.sampled_from([0.5, 0.75, 1.0, 1.3, 1.5, 2.0, 2.5, 3.0])) for _ in range(spatial))
        # Each axis keeps at least one output cell.
        factors = tuple(f if int(n * f) >= 1 else 1.0 for n, f in zip(in_size, factors))
        kwargs["scale_factor"] = factors if spatial > 1 and draw(st.booleans()) else factors[0]
        if not isinstance(kwargs["scale_factor"], tuple):
            kwargs["scale_factor"] = factors[0] if all(int(n * factors[0]) >= 1 for n in in_size) else 1.0
        kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, False, True]))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *in_size), kwargs


@SETTINGS
@given(cases())
def test_interpolate_matches_pytorch_float64_values_and_gradients(torch, case):
    shape, kwargs = case
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(shape)
    x = minigrad.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out = F.interpolate(x, **kwargs)
    expected = torch.nn.functional.interpolate(tx, **kwargs)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    dy = rng.standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)


@SETTINGS
@given(cases())
def test_interpolate_float32_keeps_dtype_and_pytorch_indices(torch, case):
    """In float32 the source positions are float arithmetic, as in PyTorch's kernels: the nearest
    modes pick exactly the same pixels (the values are equal bit for bit)."""
    shape, kwargs = case
    x_np = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    out = F.interpolate(minigrad.tensor(x_np), **kwargs)
    expected = torch.nn.functional.interpolate(torch.tensor(x_np), **kwargs).numpy()
    assert out.dtype == minigrad.float32
    if kwargs["mode"] in ("nearest", "nearest-exact"):
        np.testing.assert_array_equal(out.numpy(), expected)
    else:
        np.testing.assert_allclose(out.numpy(), expected, atol=1e-5)


def test_nearest_index_formulas_on_a_ramp(torch):
    """A ramp makes the indices visible: 'nearest' is floor(i * in/out), 'nearest-exact'
    floor((i + 0.5) * in/out)."""
    ramp = np.arange(5.0).reshape(1, 1, 5)
    nearest = F.interpolate(minigrad.tensor(ramp), size=7).numpy().ravel()
    exact = F.interpolate(minigrad.tensor(ramp), size=7, mode="nearest-exact").numpy().ravel()
    np.testing.assert_array_equal(nearest, np.floor(np.arange(7) * 5 / 7))
    np.testing.assert_array_equal(exact, np.floor((np.arange(7) + 0.5) * 5 / 7))


@pytest.mark.parametrize(
    ("mode", "shape", "kwargs"),
    [
        ("linear", (1, 2, 4), dict(scale_factor=1.5)),
        ("bilinear", (1, 1, 3, 4), dict(size=(5, 3), align_corners=True)),
        ("bicubic", (1, 1, 3, 3), dict(scale_factor=2)),
        ("trilinear", (1, 1, 2, 3, 2), dict(size=(3, 4, 3))),
        ("nearest", (1, 1, 3, 2), dict(scale_factor=2.5)),
        ("area", (1, 1, 5, 4), dict(size=(3, 3))),
    ],
)
def test_gradcheck_float64(mode, shape, kwargs):
    x = minigrad.tensor(np.random.default_rng(2).standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, mode=mode, **kwargs), (x,))


@pytest.mark.parametrize(
    ("ours", "theirs_name", "kwargs"),
    [
        (nn.Upsample, "Upsample", dict(scale_factor=2)),
        (nn.Upsample, "Upsample", dict(size=(3, 5), mode="bilinear")),
        (nn.Upsample, "Upsample", dict(scale_factor=(2, 1.5), mode="bicubic", align_corners=True)),
        (nn.UpsamplingNearest2d, "UpsamplingNearest2d", dict(scale_factor=3)),
        (nn.UpsamplingBilinear2d, "UpsamplingBilinear2d", dict(size=7)),
    ],
)
def test_upsample_modules_match_pytorch(torch, ours, theirs_name, kwargs):
    theirs = getattr(torch.nn, theirs_name)(**kwargs)
    mine = ours(**kwargs)
    assert repr(mine) == repr(theirs)
    x_np = np.random.default_rng(3).standard_normal((2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(mine(minigrad.tensor(x_np)).numpy(), theirs(torch.tensor(x_np)).numpy(), atol=1e-5)


def test_interpolate_errors_match_pytorch():
    x = minigrad.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful with an explicit size"):
        F.interpolate(x, size=3, recompute_scale_factor=True)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(2, 3, 4))


@SETTINGS
@given(
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from([(), (2,), (1, 2)]),
)
def test_pixel_shuffle_and_unshuffle_match_pytorch(torch, r, c, h, w, lead):
    x_np = np.random.default_rng(4).standard_normal((*lead, c * r * r, h, w))
    x = minigrad.tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, expected = F.pixel_shuffle(x, r), torch.nn.functional.pixel_shuffle(tx, r)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    dy = np.random.default_rng(5).standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    back = F.pixel_unshuffle(out.detach(), r)
    np.testing.assert_array_equal(back.numpy(), torch.nn.functional.pixel_unshuffle(expected.detach(), r).numpy())
    np.testing.assert_array_equal(back.numpy(), x_np)  # the inverse


def test_pixel_shuffle_modules_and_errors(torch):
    assert repr(nn.PixelShuffle(2)) == repr(torch.nn.PixelShuffle(2))
    assert repr(nn.PixelUnshuffle(3)) == repr(torch.nn.PixelUnshuffle(3))
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        nn.PixelShuffle(2)(minigrad.randn(1, 5, 2, 2))
    with pytest.raises(RuntimeError, match="expects width to be divisible by downscale_factor"):
        nn.PixelUnshuffle(2)(minigrad.randn(1, 1, 4, 3))
    x = minigrad.tensor(np.random.default_rng(6).standard_normal((1, 4, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x: F.pixel_shuffle(x, 2), (x,))


def test_deprecated_upsample_aliases_match_pytorch(torch):
    import warnings

    x_np = np.random.default_rng(7).standard_normal((1, 2, 3, 4))
    with pytest.warns(UserWarning, match="is deprecated. Use nn.functional.interpolate instead"):
        F.upsample(minigrad.tensor(x_np), scale_factor=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn that they are deprecated
        pairs = [
            (
                F.upsample(minigrad.tensor(x_np), scale_factor=2),
                torch.nn.functional.upsample(torch.tensor(x_np), scale_factor=2),
            ),
            (
                F.upsample_nearest(minigrad.tensor(x_np), size=5),
                torch.nn.functional.upsample_nearest(torch.tensor(x_np), size=5),
            ),
            (
                F.upsample_bilinear(minigrad.tensor(x_np), size=(4, 7)),
                torch.nn.functional.upsample_bilinear(torch.tensor(x_np), size=(4, 7)),
            ),
        ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)


def test_nearest_resizes_uint8_images_as_pytorch(torch):
    image = np.random.default_rng(8).integers(0, 256, (1, 3, 4, 5)).astype(np.uint8)
    for mode in ("nearest", "nearest-exact"):
        out = F.interpolate(minigrad.tensor(image), size=(7, 3), mode=mode)
        assert out.dtype == minigrad.uint8
        expected = torch.nn.functional.interpolate(torch.tensor(image), size=(7, 3), mode=mode)
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
    with pytest.raises(NotImplementedError, match="is not implemented for .*int64"):
        F.interpolate(minigrad.tensor(image.astype(np.int64)), scale_factor=2)


@pytest.mark.parametrize("shape", [(1, 1, 4), (1, 1, 2), (1, 1, 4, 4), (1, 1, 3, 5), (1, 1, 2, 3, 4)], ids=str)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"])
def test_axes_whose_size_does_not_change_follow_pytorch(torch, shape, mode):
    """A scale factor that leaves a size unchanged (2 * 1.3 -> 2): PyTorch copies that axis in its
    linear and 2-D nearest kernels, but indexes with 1 / scale in 1-D/3-D nearest and bicubic."""
    spatial = len(shape) - 2
    if {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode, spatial) != spatial:
        return
    x = np.random.default_rng(0).standard_normal(shape)
    for factor in (1.1, 1.3, 1.05, 2.0, 0.9):
        theirs = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=factor, mode=mode).numpy()
        ours = F.interpolate(minigrad.tensor(x), scale_factor=factor, mode=mode).numpy()
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, err_msg=f"{mode} x{factor}")
