"""Indexing against PyTorch over random keys mixing ints, slices with steps, index lists, None,
Ellipsis and boolean masks (Fidelity I item 7: PyTorch's rule for where the advanced-index dims go,
not NumPy's): the same values, the same gradient, or an error of PyTorch's class."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad

SHAPE = (4, 5, 6, 3)


@st.composite
def keys(draw):
    key, axis = [], 0
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["int", "slice", "full", "list", "none", "ellipsis", "mask"]))
        size = SHAPE[min(axis, len(SHAPE) - 1)]
        if kind == "none":
            key.append(None)
            continue
        if kind == "ellipsis" and not any(k is Ellipsis for k in key):
            key.append(Ellipsis)
            axis = len(SHAPE) - (draw(st.integers(0, 1)))
            continue
        if kind == "int":
            key.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            key.append(slice(draw(st.integers(-size, size)), draw(st.integers(-size, size)), draw(st.integers(1, 3))))
        elif kind == "list":
            key.append(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=3)))
        elif kind == "mask":
            key.append(np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size))))
        else:
            key.append(slice(None))
        axis += 1
    return tuple(key)


def convert(library, key):
    return tuple(library.tensor(k.tolist()) if isinstance(k, np.ndarray) else library.tensor(k)
                 if isinstance(k, list) else k for k in key)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys())
def test_getitem_matches_pytorch_values_gradients_and_errors(torch, key):
    base = np.arange(np.prod(SHAPE), dtype=np.float64).reshape(SHAPE)
    theirs_in = torch.tensor(base, requires_grad=True)
    try:
        theirs = theirs_in[convert(torch, key)]
    except Exception as error:  # noqa: BLE001
        try:
            minigrad.tensor(base)[convert(minigrad, key)]
        except Exception as ours:  # noqa: BLE001
            assert isinstance(ours, type(error)), f"{key}: {type(ours).__name__} is not {type(error).__name__}"
            return
        raise AssertionError(f"PyTorch refuses {key}: {error}") from None
    if theirs.numel() == 0:
        return  # PyTorch skips its bounds check when the result is empty
    ours_in = minigrad.tensor(base, requires_grad=True)
    ours = ours_in[convert(minigrad, key)]
    assert tuple(ours.shape) == tuple(theirs.shape), key
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    upstream = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    theirs.backward(torch.tensor(upstream))
    ours.backward(minigrad.tensor(upstream))
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy())
