"""Ops composed from primitives (mean, var, softmax, maximum, pad modes...) pass gradcheck too:
their gradients come from the primitives' graph, so this checks the composition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.autograd import gradcheck
from minigrad.ops import composite

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes_at_least_1d = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)
rngs = st.integers(0, 2**32 - 1).map(np.random.default_rng)


def leaf(rng, shape, low=-2.0, high=2.0):
    return minigrad.tensor(rng.uniform(low, high, shape), requires_grad=True)


@st.composite
def tensor_and_dim(draw):
    shape = draw(shapes_at_least_1d)
    return shape, draw(st.integers(-len(shape), len(shape) - 1)), draw(st.booleans())


COMPOSITES = {
    "mean": lambda x, dim, keepdim: x.mean(dim, keepdim),
    "mean_all": lambda x, dim, keepdim: x.mean(),
    "var": lambda x, dim, keepdim: x.var(dim, keepdim=keepdim),
    "var_biased": lambda x, dim, keepdim: x.var(dim, correction=0, keepdim=keepdim),
    "std": lambda x, dim, keepdim: x.std(dim, keepdim=keepdim),
    "softmax": lambda x, dim, keepdim: x.softmax(dim),
    "log_softmax": lambda x, dim, keepdim: x.log_softmax(dim),
    "max_dim_values": lambda x, dim, keepdim: x.max(dim, keepdim).values,
    "min_dim_values": lambda x, dim, keepdim: x.min(dim, keepdim).values,
    "flatten": lambda x, dim, keepdim: x.flatten(),
    "transpose": lambda x, dim, keepdim: x.transpose(0, -1),
    "unsqueeze_squeeze": lambda x, dim, keepdim: x.unsqueeze(dim).squeeze(),
    "stack": lambda x, dim, keepdim: minigrad.stack([x, x * 2], dim),
    "split": lambda x, dim, keepdim: x.split(1, dim)[0] * x.split(1, dim)[-1],
    "reciprocal_rsqrt": lambda x, dim, keepdim: (x * x + 1).rsqrt() + (x * x + 1).reciprocal(),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
@SETTINGS
@given(drawn=tensor_and_dim(), rng=rngs)
def test_composite_passes_gradcheck(name, drawn, rng):
    shape, dim, keepdim = drawn
    assume(not name.startswith(("var", "std")) or shape[dim] > 1)  # one sample: var is nan
    if name.startswith(("max", "min")):  # distinct values: no ties
        values = (rng.permutation(int(np.prod(shape))) * 0.5).reshape(shape)
        x = minigrad.tensor(values.astype(np.float64), requires_grad=True)
    else:
        x = leaf(rng, shape)
    assert gradcheck(lambda t: COMPOSITES[name](t, dim, keepdim), [x])


@SETTINGS
@given(shape=shapes_at_least_1d, rng=rngs, ties=st.booleans())
def test_maximum_and_minimum_pass_gradcheck(shape, rng, ties):
    a = leaf(rng, shape)
    b_values = rng.uniform(-2, 2, shape)
    b_values = np.where(np.abs(b_values - a._array) < 0.05, a._array + 0.1, b_values)
    b = minigrad.tensor(b_values, requires_grad=True)
    assert gradcheck(lambda p, q: minigrad.maximum(p, q) * minigrad.minimum(p, q).exp(), [a, b])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@SETTINGS
@given(rng=rngs, widths=st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_pad_modes_pass_gradcheck(mode, rng, widths):
    x = leaf(rng, (2, 3, 3))  # every width < 3, as reflect requires
    assert gradcheck(lambda t: composite.pad(t, widths, mode=mode), [x])
