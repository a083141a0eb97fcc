"""Run one program on minigrad and on PyTorch, and compare what each one did.

A program is a function of the library module (``minigrad`` or ``torch``) that returns a dict
of results (tensors, numbers, ...). Either both libraries raise the same kind of error, or
both return results that agree in value and dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad


def run(program: Any, lib: Any) -> Any:
    """The program's results, or the exception it raised."""
    try:
        return program(lib)
    except Exception as error:  # compared below: both sides must fail the same way
        return error


def as_numpy(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "detach"):
        return np.asarray(value.detach().cpu().numpy() if hasattr(value, "cpu") else value.detach().numpy())
    return np.asarray(value)


def assert_twins(program: Any, torch: Any, rtol: float = 1e-6, atol: float = 1e-9) -> dict:
    """Run ``program`` on both libraries and assert they agree; returns minigrad's results."""
    ours, theirs = run(program, minigrad), run(program, torch)
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert isinstance(ours, Exception) and isinstance(theirs, Exception), (
            f"minigrad gave {ours!r} but torch gave {theirs!r}"
        )
        for kind in (RuntimeError, ValueError, TypeError, IndexError):
            if isinstance(theirs, kind):
                assert isinstance(ours, kind), f"torch raised {type(theirs).__name__}, minigrad {ours!r}"
        return {"error": ours}
    assert ours.keys() == theirs.keys()
    for key in ours:
        mine, reference = as_numpy(ours[key]), as_numpy(theirs[key])
        if reference is None:
            assert mine is None, f"{key}: torch gives None, minigrad {mine}"
            continue
        assert mine is not None, f"{key}: minigrad gives None, torch {reference}"
        assert mine.shape == reference.shape, f"{key}: shape {mine.shape} vs torch {reference.shape}"
        assert mine.dtype == reference.dtype, f"{key}: dtype {mine.dtype} vs torch {reference.dtype}"
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol, err_msg=key)
    return ours
