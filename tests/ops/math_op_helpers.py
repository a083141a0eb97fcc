"""Shared strategies and the comparison with PyTorch for the math-op tests."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import minigrad

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Shapes with 0-d and empty tensors among them.
shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
seeds = st.integers(0, 2**32 - 1)

DOMAINS = {  # where an op is defined and smooth (the gradient comparison needs it)
    "any": (-3.0, 3.0), "unit": (-0.9, 0.9), "positive": (0.2, 3.0), "above_one": (1.2, 3.0),
    "open_unit": (0.05, 0.95),
}


def values(seed: int, shape: tuple, dtype: str, domain: str = "any") -> np.ndarray:
    """Random values of ``dtype`` in ``domain`` (integers: small ones, both signs)."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.startswith(("int", "uint")):
        low = 1 if domain in ("positive", "above_one") or dtype == "uint8" else -3
        return np.asarray(rng.integers(low, 4, shape)).astype(dtype)
    low, high = DOMAINS[domain]
    return np.asarray(rng.uniform(low, high, shape)).astype(dtype)


def tolerance(dtype) -> float:
    return 1e-12 if np.dtype(dtype) == np.float64 else 1e-5


def assert_same(ours: minigrad.Tensor, theirs, what: str = "", rtol: float | None = None) -> None:
    """Same dtype, shape and values (NaN where PyTorch has NaN, infinities of the same sign)."""
    expected = theirs.detach().numpy(force=True)
    actual = ours.detach().numpy()
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, PyTorch gives {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, PyTorch gives {expected.shape}"
    if expected.dtype.kind in "fc":
        rtol = tolerance(expected.dtype) if rtol is None else rtol
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def both(torch, arrays, requires_grad: bool):
    """The same inputs as minigrad and PyTorch tensors (Python scalars pass through)."""
    ours, theirs = [], []
    for a in arrays:
        if not isinstance(a, np.ndarray):
            ours.append(a)
            theirs.append(a)
            continue
        grad = requires_grad and a.dtype.kind == "f"
        ours.append(minigrad.tensor(a, requires_grad=grad))
        theirs.append(torch.tensor(a, requires_grad=grad))
    return ours, theirs


def compare(torch, ours_fn, theirs_fn, arrays, grad: bool = True, rtol: float | None = None, what: str = ""):
    """Run both; compare the outputs and, for float inputs, the gradients of a weighted sum."""
    ours_in, theirs_in = both(torch, arrays, grad)
    try:
        expected = theirs_fn(*theirs_in)
    except Exception as error:  # PyTorch refuses: we must refuse with (a subclass of) its class
        try:
            ours_fn(*ours_in)
        except type(error):
            return None
        raise AssertionError(f"{what}: PyTorch raises {type(error).__name__} ({error}), minigrad does not") from None
    result = ours_fn(*ours_in)
    outputs = result if isinstance(result, tuple) else (result,)
    expected_outputs = expected if isinstance(expected, tuple) else (expected,)
    for index, (a, b) in enumerate(zip(outputs, expected_outputs)):
        assert_same(a, b, f"{what} output {index}", rtol)
    leaves = [(o, t) for o, t in zip(ours_in, theirs_in) if isinstance(o, minigrad.Tensor) and o.requires_grad]
    differentiable = [(a, b) for a, b in zip(outputs, expected_outputs) if b.requires_grad]
    if not leaves or not differentiable:
        return result
    rng = np.random.default_rng(0)
    ours_total, theirs_total = 0, 0
    for a, b in differentiable:
        w = rng.uniform(0.5, 1.5, tuple(b.shape)).astype(b.detach().numpy().dtype)
        ours_total = ours_total + (a * minigrad.tensor(w)).sum()
        theirs_total = theirs_total + (b * torch.tensor(w)).sum()
    try:
        theirs_total.backward()
    except RuntimeError as error:  # "derivative for aten::remainder is not implemented": nothing to compare
        assert "not implemented" in str(error), error
        return result
    ours_total.backward()
    for position, (o, t) in enumerate(leaves):
        if t.grad is None:
            assert o.grad is None or not o.grad.detach().numpy().any(), f"{what}: gradient where PyTorch has none"
            continue
        assert o.grad is not None, f"{what}: no gradient for input {position}"
        grad_rtol = None if rtol is None else rtol * 10
        assert_same(o.grad, t.grad, f"{what} gradient of input {position}", grad_rtol)
    return result
