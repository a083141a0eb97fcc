"""conv2d, max_pool2d and avg_pool2d over random shapes, dtypes and arguments (good and bad),
against PyTorch: the same values, shapes and dtypes, or an error of PyTorch's class. Left out:
PyTorch skips its argument checks for an empty batch (an int64 input or dilation 0 gives an
empty result there); minigrad checks them always."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def same(torch, compute_theirs, compute_ours):
    try:
        theirs = compute_theirs()
    except Exception as error:  # noqa: BLE001
        try:
            compute_ours()
        except Exception as ours:  # noqa: BLE001
            assert isinstance(ours, type(error)), (
                f"{type(ours).__name__}({ours}) is not PyTorch's {type(error).__name__}({error})"
            )
            return
        raise AssertionError(f"PyTorch raises {type(error).__name__}: {error}") from None
    ours = compute_ours()
    theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    ours = ours[0] if isinstance(ours, tuple) else ours
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).replace("minigrad.", "") == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-5)


@st.composite
def inputs(draw):
    batched = draw(st.booleans())
    shape = ((draw(st.sampled_from([0, 1, 2])),) if batched else ()) + (
        draw(st.sampled_from([1, 2, 4])), draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    dtype = draw(st.sampled_from(["float32", "float64", "int64"]))
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    x = rng.integers(-5, 5, shape) if dtype == "int64" else rng.standard_normal(shape).astype(dtype)
    return x


KERNELS = st.sampled_from([1, 2, 3, (2, 3), (1, 3), 4, 0, -1, (2,)])
STRIDES = st.sampled_from([None, 1, 2, (1, 2), 0, (2,)])
PADDINGS = st.sampled_from([0, 1, (0, 1), 2, -1, (1,)])


@FUZZ
@given(inputs(), KERNELS, STRIDES, PADDINGS, st.sampled_from([1, 2, (1, 2), 0]), st.booleans())
def test_max_pool2d_arguments_match_pytorch(torch, x, kernel, stride, padding, dilation, ceil_mode):
    kw = {"kernel_size": kernel, "padding": padding, "dilation": dilation, "ceil_mode": ceil_mode}
    if stride is not None:
        kw["stride"] = stride
    same(torch, lambda: torch.nn.functional.max_pool2d(torch.tensor(x), **kw),
         lambda: F.max_pool2d(minigrad.tensor(x), **kw))


@FUZZ
@given(inputs(), KERNELS, STRIDES, PADDINGS, st.booleans(), st.booleans())
def test_avg_pool2d_arguments_and_integer_inputs_match_pytorch(torch, x, kernel, stride, padding, ceil_mode, include):
    kw = {"kernel_size": kernel, "padding": padding, "ceil_mode": ceil_mode, "count_include_pad": include}
    if stride is not None:
        kw["stride"] = stride
    same(torch, lambda: torch.nn.functional.avg_pool2d(torch.tensor(x), **kw),
         lambda: F.avg_pool2d(minigrad.tensor(x), **kw))


@FUZZ
@given(inputs(), st.data())
def test_conv2d_arguments_match_pytorch(torch, x, data):
    channels = x.shape[-3]
    groups = data.draw(st.sampled_from([1, 1, 2]))
    in_per_group = data.draw(st.sampled_from([max(channels // groups, 1), channels + 1]))
    weight_shape = (data.draw(st.sampled_from([1, 2, 4])), in_per_group,
                    data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    weight = np.random.default_rng(0).standard_normal(weight_shape).astype(
        np.float64 if x.dtype == np.float64 else np.float32)
    kw = {"stride": data.draw(st.sampled_from([1, 2, (1, 2), 0])),
          "padding": data.draw(st.sampled_from([0, 1, "same", "valid", (1, 0), -1])),
          "dilation": data.draw(st.sampled_from([1, 2, 0])), "groups": groups}
    if x.ndim == 4 and x.shape[0] == 0 and (x.dtype == np.int64 or kw["dilation"] == 0):
        return  # PyTorch does not check an empty batch (see the module docstring)
    same(torch, lambda: torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(weight), **kw),
         lambda: F.conv2d(minigrad.tensor(x), minigrad.tensor(weight), **kw))
