"""Values and gradients at the edges (0, -0, inf, -inf, NaN, tiny and huge numbers) against
PyTorch. NumPy's conventions differ at several of them (sign(NaN) is NaN, so abs's gradient
was NaN; relu's mask ``out > 0`` dropped the gradient of a NaN). Left out: ``x ** 0.5`` at -0
and -inf, where PyTorch's gradient comes from its rsqrt kernel (-inf and NaN)."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad

EDGES = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, np.inf, -np.inf, np.nan, 1e-30, 88.0, -88.0, 1e4]
OPS = {
    "exp": lambda t: t.exp(), "log": lambda t: t.log(), "sqrt": lambda t: t.sqrt(),
    "sigmoid": lambda t: t.sigmoid(), "tanh": lambda t: t.tanh(), "relu": lambda t: t.relu(),
    "abs": lambda t: t.abs(), "clamp": lambda t: t.clamp(-1, 1), "clamp_min": lambda t: t.clamp(min=0),
    "square": lambda t: t**2, "pow0": lambda t: t**0, "pow_minus1": lambda t: t**-1, "rpow": lambda t: 2**t,
    "rdiv": lambda t: 1 / t, "softmax": lambda t: t.softmax(0), "log_softmax": lambda t: t.log_softmax(0),
    "neg": lambda t: -t, "mul_self": lambda t: t * t, "rsqrt": lambda t: t.rsqrt(),
    "reciprocal": lambda t: t.reciprocal(), "max": lambda t: t.max(), "min": lambda t: t.min(),
    "amax": lambda t: t.amax(), "sum": lambda t: t.sum(), "mean": lambda t: t.mean(), "var": lambda t: t.var(),
    "std": lambda t: t.std(), "maximum": lambda t: t.maximum(t * 0), "minimum": lambda t: t.minimum(t * 0),
}
INPUTS = {"all": EDGES, "no_nan": EDGES[:8], "ties": [0.0, 0.0, 1.0, 1.0]}


@pytest.mark.parametrize("values", list(INPUTS), ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(OPS))
def test_values_and_gradients_at_edges_match_pytorch(torch, name, dtype, values):
    data = np.array(INPUTS[values])
    results = []
    for lib in (torch, minigrad):
        x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
        y = OPS[name](x)
        y.sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    (ours, our_grad), (theirs, their_grad) = results[1], results[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, equal_nan=True, err_msg=f"{name} values")
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-7, equal_nan=True, err_msg=f"{name} gradient")
