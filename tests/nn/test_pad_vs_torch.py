"""F.pad against PyTorch over random shapes, widths (negative ones crop) and all four modes:
values, gradients, or the same error class. PyTorch's circular mode with a width larger than
what is left after cropping reads unallocated memory or fails with an aliasing error; minigrad
refuses it with its own message, so those cases are checked to be refused only."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F


@st.composite
def pad_cases(draw):
    ndim = draw(st.integers(2, 5))
    shape = draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim))
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    pairs = draw(st.integers(1, min(3, ndim)))
    widths = draw(st.lists(st.integers(-3, 4), min_size=2 * pairs, max_size=2 * pairs))
    return shape, mode, widths


def circular_wraps_more_than_once(shape, widths):
    for i in range(len(widths) // 2):
        size, before, after = shape[-1 - i], widths[2 * i], widths[2 * i + 1]
        kept = size - max(-before, 0) - max(-after, 0)
        if max(before, 0) > kept or max(after, 0) > kept or kept < 0:
            return True
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pad_cases())
def test_pad_matches_pytorch_including_crops_and_refusals(torch, case):
    shape, mode, widths = case
    x = np.random.default_rng(0).standard_normal(shape)
    kwargs = {"value": 0.5} if mode == "constant" else {}
    theirs_in = torch.tensor(x, requires_grad=True)
    try:
        theirs = torch.nn.functional.pad(theirs_in, widths, mode=mode, **kwargs)
    except Exception as error:  # noqa: BLE001
        try:
            F.pad(minigrad.tensor(x), widths, mode=mode, **kwargs)
        except Exception as ours:  # noqa: BLE001
            assert isinstance(ours, type(error)), f"{type(ours).__name__} is not PyTorch's {type(error).__name__}"
            return
        raise AssertionError(f"PyTorch refuses pad {widths} ({mode}) of {shape}: {error}") from None
    if mode == "circular" and circular_wraps_more_than_once(shape, widths):
        try:
            F.pad(minigrad.tensor(x), widths, mode=mode)
        except RuntimeError as error:
            assert "wrapping around more than once" in str(error)
            return
        raise AssertionError(f"circular pad {widths} of {shape} must be refused")
    ours_in = minigrad.tensor(x, requires_grad=True)
    ours = F.pad(ours_in, widths, mode=mode, **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy())
    if theirs.numel() == 0:
        return  # PyTorch's backward of an empty pad is not defined well enough to compare
    upstream = np.random.default_rng(1).standard_normal(tuple(theirs.shape))
    theirs.backward(torch.tensor(upstream))
    ours.backward(minigrad.tensor(upstream))
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), atol=1e-12)
