"""Every dtype x every basic op, against PyTorch: the result dtype, shape and values, or the same
error class (minigrad's errors are instances of PyTorch's builtin class). Bool tensors are where
NumPy and PyTorch part ways most (NumPy subtracts and powers bools; PyTorch refuses)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import minigrad

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
UNARY = ["neg", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "sum", "mean", "amax", "amin",
         "argmax", "argmin", "float", "long", "t", "flatten", "clone", "square", "reciprocal", "rsqrt",
         "var", "std"]
BINARY = ["__add__", "__sub__", "__mul__", "__truediv__", "__pow__", "__eq__", "__lt__", "__and__",
          "__or__", "maximum", "minimum", "__matmul__"]
SCALAR = ["__add__", "__sub__", "__mul__", "__truediv__", "__pow__", "__rsub__", "__radd__", "__rmul__",
          "__rtruediv__", "__rpow__"]
A = [[1, 2], [3, 0]]
B = [[2, 1], [1, 3]]


def outcome(compute, torch):
    """('ok', dtype name, shape, values) or ('error', the exception)."""
    try:
        result = compute()
    except Exception as error:  # noqa: BLE001  (the class is what is compared)
        return ("error", error)
    name = str(result.dtype).replace("torch.", "").replace("minigrad.", "")
    values = result.detach().numpy() if hasattr(result, "detach") else result.numpy()
    return ("ok", name, tuple(result.shape), np.asarray(values, dtype=np.float64))


def assert_same(ours, theirs, what):
    if theirs[0] == "error":
        assert ours[0] == "error", f"{what}: PyTorch raises {theirs[1]!r}, minigrad returns {ours[1:3]}"
        assert isinstance(ours[1], type(theirs[1])), (
            f"{what}: PyTorch raises {type(theirs[1]).__name__}, minigrad {type(ours[1]).__name__}: {ours[1]}"
        )
        return
    assert ours[0] == "ok", f"{what}: PyTorch gives {theirs[1:3]}, minigrad raises {ours[1]!r}"
    assert ours[1:3] == theirs[1:3], f"{what}: dtype/shape {ours[1:3]} != PyTorch's {theirs[1:3]}"
    np.testing.assert_allclose(ours[3], theirs[3], rtol=2e-3, equal_nan=True, err_msg=what)


def make(library, data, dtype):
    return library.tensor(data, dtype=getattr(library, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", UNARY)
def test_unary_ops_follow_pytorch_dtype_rules(torch, op, dtype):
    theirs = outcome(lambda: getattr(make(torch, A, dtype), op)(), torch)
    ours = outcome(lambda: getattr(make(minigrad, A, dtype), op)(), torch)
    assert_same(ours, theirs, f"{op}({dtype})")


@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_follow_pytorch_promotion_and_refusals(torch, op):
    for first, second in itertools.product(DTYPES, DTYPES):
        def compute(library):
            x, y = make(library, A, first), make(library, B, second)
            return getattr(x, op)(y) if op.startswith("__") else getattr(library, op)(x, y)

        assert_same(outcome(lambda: compute(minigrad), torch), outcome(lambda: compute(torch), torch),
                    f"{op}({first}, {second})")


@pytest.mark.parametrize("scalar", [2, 2.5, True, -1])
@pytest.mark.parametrize("op", SCALAR)
def test_python_scalars_follow_pytorch_promotion(torch, op, scalar):
    for dtype in DTYPES:
        assert_same(outcome(lambda: getattr(make(minigrad, A, dtype), op)(scalar), torch),
                    outcome(lambda: getattr(make(torch, A, dtype), op)(scalar), torch),
                    f"{dtype} tensor .{op}({scalar!r})")
