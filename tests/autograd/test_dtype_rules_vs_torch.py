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
    if isinstance(result, tuple):  # (values, indices) and friends: the values
        result = result[0]
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
        def compute(library, first=first, second=second):
            x, y = make(library, A, first), make(library, B, second)
            return getattr(x, op)(y) if op.startswith("__") else getattr(library, op)(x, y)

        assert_same(outcome(lambda: compute(minigrad), torch), outcome(lambda: compute(torch), torch),
                    f"{op}({first}, {second})")


@pytest.mark.parametrize("scalar", [2, 2.5, True, -1])
@pytest.mark.parametrize("op", SCALAR)
def test_python_scalars_follow_pytorch_promotion(torch, op, scalar):
    for dtype in DTYPES:
        assert_same(outcome(lambda dtype=dtype: getattr(make(minigrad, A, dtype), op)(scalar), torch),
                    outcome(lambda dtype=dtype: getattr(make(torch, A, dtype), op)(scalar), torch),
                    f"{dtype} tensor .{op}({scalar!r})")


REDUCTIONS = ["sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std", "softmax",
              "log_softmax"]
SHAPES = [(), (0,), (3, 0), (0, 2), (1,), (2, 3), (2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op", REDUCTIONS)
def test_reductions_on_empty_and_0d_tensors_follow_pytorch(torch, op, shape):
    """Values, dtypes and shapes for every dim and keepdim, or the same error class (the max of
    nothing is IndexError with a dim, RuntimeError without: minigrad's error is both)."""
    x = np.random.default_rng(0).standard_normal(shape)
    ndim = max(len(shape), 1)
    for dtype in ["float64", "int64", "bool"]:
        if op in ("softmax", "log_softmax") and dtype != "float64" and 0 in shape:
            continue  # PyTorch returns an empty int tensor here (no kernel runs); minigrad refuses ints
        for dim in [None, *range(-ndim, ndim)]:
            for keepdim in (False, True):
                if op in ("softmax", "log_softmax") and (dim is None or keepdim):
                    continue
                if dim is None and keepdim and op in ("max", "min", "var", "std"):
                    continue

                def compute(library, dim=dim, keepdim=keepdim, dtype=dtype):
                    tensor = library.tensor(x).to(getattr(library, dtype))
                    method = getattr(tensor, op)
                    if op in ("softmax", "log_softmax"):
                        return method(dim)
                    if dim is None:
                        return method(dim=None, keepdim=True) if keepdim else method()
                    result = method(dim=dim, keepdim=keepdim)
                    return result[0] if isinstance(result, tuple) else result

                assert_same(outcome(lambda: compute(minigrad), torch), outcome(lambda: compute(torch), torch),
                            f"{op}({dtype} {shape}, dim={dim}, keepdim={keepdim})")


MORE_UNARY = {
    name: () for name in [
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "log2",
        "log10", "log1p", "expm1", "exp2", "erf", "erfc", "erfinv", "sign", "sgn", "floor", "ceil", "round",
        "trunc", "frac", "isnan", "isinf", "isfinite", "logical_not", "bitwise_not", "prod", "all", "any",
        "norm", "sort", "argsort", "median", "unique", "tril", "triu", "count_nonzero", "nansum", "nanmean",
        "signbit", "positive", "deg2rad", "rad2deg", "nonzero", "msort", "logit", "sinc", "fix", "nan_to_num",
        "contiguous", "diag", "trace", "ravel", "conj", "mode",
    ]
} | {"cumsum": (0,), "cumprod": (0,), "logsumexp": (0,), "flip": ((0,),), "cummax": (0,), "cummin": (0,),
     "logcumsumexp": (0,), "kthvalue": (1,), "topk": (1,), "float_power": (2,)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", sorted(MORE_UNARY))
def test_more_tensor_methods_follow_pytorch_dtype_rules(torch, op, dtype):
    args = MORE_UNARY[op]
    theirs = outcome(lambda: getattr(make(torch, A, dtype), op)(*args), torch)
    ours = outcome(lambda: getattr(make(minigrad, A, dtype), op)(*args), torch)
    assert_same(ours, theirs, f"{op}({dtype})")


MORE_BINARY = ["atan2", "fmod", "remainder", "floor_divide", "hypot", "logaddexp", "bitwise_and", "bitwise_or",
               "bitwise_xor", "__xor__", "__lshift__", "__rshift__", "logical_and", "logical_or", "logical_xor",
               "eq", "ne", "lt", "le", "gt", "ge", "isclose", "fmax", "fmin", "copysign", "xlogy", "heaviside",
               "__floordiv__", "__mod__", "div", "true_divide", "mul", "add", "sub", "pow", "maximum", "minimum",
               "dot", "outer", "cross", "kron", "mm"]


@pytest.mark.parametrize("op", MORE_BINARY)
def test_more_binary_methods_follow_pytorch_promotion_and_refusals(torch, op):
    """Found by this table at merge time: hypot/logaddexp/copysign refused a bool tensor meeting a
    float one (PyTorch promotes), xlogy(float16, bool) gave float32, cross promoted (PyTorch
    requires equal dtypes)."""
    for first, second in itertools.product(DTYPES, DTYPES):
        def compute(library, first=first, second=second):
            x, y = make(library, A, first), make(library, B, second)
            if op == "dot":
                x, y = x[0], y[0]
            if op == "cross":
                x, y = make(library, [[1, 2, 3]], first), make(library, [[3, 2, 1]], second)
            return getattr(x, op)(y)

        assert_same(outcome(lambda: compute(minigrad), torch), outcome(lambda: compute(torch), torch),
                    f"{op}({first}, {second})")
