"""Run one op on minigrad and on PyTorch from the same NumPy inputs; compare what comes out.

``op(lib, *tensors)`` is written once for both libraries (``lib`` is ``minigrad`` or
``torch``; methods are spelled the same), so a case reads as the PyTorch call it checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad
from minigrad.autograd import gradcheck


def flat(result: Any) -> list:
    """Outputs as a list (tuples and named tuples flattened)."""
    if isinstance(result, (tuple, list)):
        return [t for part in result for t in flat(part)]
    return [result]


def dtype_name(tensor: Any) -> str:
    return str(tensor.dtype).replace("torch.", "").replace("minigrad.", "")


def compare(torch, op, arrays, *, grad: bool = True, rtol: float = 1e-6, atol: float = 1e-9) -> list:
    """Values, dtypes and shapes of every output, then (``grad``) the gradients of a weighted sum
    of the float outputs with respect to every float input. Returns minigrad's outputs."""
    ours = [minigrad.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    out_ours, out_theirs = flat(op(minigrad, *ours)), flat(op(torch, *theirs))
    assert len(out_ours) == len(out_theirs)
    for position, (m, t) in enumerate(zip(out_ours, out_theirs)):
        assert tuple(m.shape) == tuple(t.shape), f"output {position}: {m.shape} vs {tuple(t.shape)}"
        assert dtype_name(m) == dtype_name(t), f"output {position}: {m.dtype} vs {t.dtype}"
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"output {position}")
    if not grad:
        return out_ours
    pairs = [(m, t) for m, t in zip(out_ours, out_theirs) if t.requires_grad]
    assert all(m.requires_grad for m, _ in pairs), "an output PyTorch differentiates is not differentiable here"
    if not pairs:
        return out_ours
    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.5, 1.5, tuple(t.shape)) for _, t in pairs]
    loss_ours = sum((m * minigrad.tensor(w, dtype=m.dtype)).sum() for (m, _), w in zip(pairs, weights))
    loss_theirs = sum((t * torch.tensor(w, dtype=t.dtype)).sum() for (_, t), w in zip(pairs, weights))
    loss_theirs.backward()
    loss_ours.backward()
    for position, (m, t) in enumerate(zip(ours, theirs)):
        if not t.requires_grad:
            continue
        expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(m.shape) if m.grad is None else m.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {position}")
    return out_ours


def check_gradients(op, arrays) -> None:
    """float64 gradcheck of ``op(minigrad, *tensors)`` in its float inputs (others held fixed)."""
    tensors = [minigrad.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

    def fn(*xs):
        full = list(tensors)
        for i, x in zip(floats, xs):
            full[i] = x
        outs = [o for o in flat(op(minigrad, *full)) if o.dtype.kind == "f"]
        return outs[0] if len(outs) == 1 else minigrad.cat([o.reshape(-1) for o in outs])

    assert gradcheck(fn, [tensors[i] for i in floats])


def distinct(rng: np.random.Generator, shape: tuple, dtype: str = "float64") -> np.ndarray:
    """Values with no ties, spaced wider than gradcheck's step (so order statistics are smooth)."""
    count = int(np.prod(shape))
    return (rng.permutation(count) * 0.5 + rng.uniform(0, 0.1)).reshape(shape).astype(dtype)
