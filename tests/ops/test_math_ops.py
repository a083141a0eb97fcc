"""Elementwise math against PyTorch: values, result dtypes (int and bool inputs included),
gradients, edge values (0, -0, +-inf, nan), 0-d and empty tensors; float64 gradchecks of the
composites (the primitives are gradchecked in tests/autograd/test_gradcheck_primitives.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from math_op_helpers import SETTINGS, assert_same, compare, nonempty_shapes, seeds, shapes, values

import minigrad
from minigrad.autograd import gradcheck, gradgradcheck

# name -> the domain its values are drawn from (for smooth gradients)
UNARY = {
    "sin": "any", "cos": "any", "tan": "unit", "asin": "unit", "acos": "unit", "atan": "any",
    "sinh": "any", "cosh": "any", "asinh": "any", "acosh": "above_one", "atanh": "unit",
    "arcsin": "unit", "arccos": "unit", "arctan": "any", "arcsinh": "any", "arccosh": "above_one",
    "arctanh": "unit", "log2": "positive", "log10": "positive", "log1p": "positive", "expm1": "any",
    "exp2": "any", "erf": "any", "erfc": "any", "erfinv": "unit", "rsqrt": "positive",
    "reciprocal": "positive", "square": "any", "sign": "any", "sgn": "any", "floor": "any", "ceil": "any",
    "trunc": "any", "fix": "any", "frac": "any", "round": "any", "neg": "any", "signbit": "any",
    "isnan": "any", "isinf": "any", "isfinite": "any", "isposinf": "any", "isneginf": "any",
    "logical_not": "any", "exp": "any", "sigmoid": "any", "tanh": "any",
    "nan_to_num": "any", "sinc": "any", "logit": "open_unit", "deg2rad": "any", "rad2deg": "any", "absolute": "any",
    "negative": "any", "positive": "any",
}
DTYPES = ["float32", "float64", "int64", "int32", "bool"]
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-30, 1e30, -1e30, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(shape=shapes, seed=seeds, dtype=st.sampled_from(DTYPES))
def test_unary_function_and_method_match_torch(torch, name, shape, seed, dtype):
    array = values(seed, shape, dtype, UNARY[name])
    # sinc's slope near 0 cancels digits in float32, in PyTorch's formula and in ours (both ~5e-4 off)
    rtol = 1e-4 if name == "sinc" and dtype != "float64" else None
    compare(torch, lambda x: getattr(minigrad, name)(x), lambda x: getattr(torch, name)(x), [array], rtol=rtol,
            what=name)
    compare(torch, lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [array], rtol=rtol,
            what=f"Tensor.{name}")


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_edge_values_match_torch(torch, name, dtype):
    array = np.array(EDGES, dtype=dtype)
    ours = getattr(minigrad, name)(minigrad.tensor(array))
    theirs = getattr(torch, name)(torch.tensor(array))
    assert_same(ours, theirs, name, rtol=1e-6 if dtype == "float32" else 1e-12)
    if theirs.dtype.is_floating_point:  # the sign of a zero result too (floor(-0.0) is -0.0)
        numbers = ~np.isnan(theirs.numpy())  # a NaN's sign bit means nothing
        assert np.array_equal(np.signbit(ours.numpy())[numbers], np.signbit(theirs.numpy())[numbers]), name


@pytest.mark.parametrize("name", sorted(n for n in UNARY if not n.startswith(("is", "logical", "signbit"))))
def test_in_place_variant_matches_torch(torch, name):
    if not hasattr(torch.Tensor, name + "_"):
        pytest.skip(f"PyTorch has no {name}_")
    array = values(3, (2, 3), "float64", UNARY[name])
    ours, theirs = minigrad.tensor(array), torch.tensor(array)
    assert getattr(ours, name + "_")() is ours
    getattr(theirs, name + "_")()
    assert_same(ours, theirs, name + "_")


def test_in_place_float_function_refuses_an_integer_tensor(torch):
    with pytest.raises(RuntimeError, match="can't be cast"):
        minigrad.tensor([1, 2]).sin_()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).sin_()


def test_in_place_math_on_a_non_leaf_records_its_gradient(torch):
    ours = minigrad.tensor([0.3, -0.7], dtype=minigrad.float64, requires_grad=True)
    theirs = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    for x in (ours, theirs):
        h = x * 2
        h.sin_().exp2_()
        h.sum().backward()
    assert_same(ours.grad, theirs.grad, "sin_ then exp2_")


@SETTINGS
@given(shape=nonempty_shapes, seed=seeds, decimals=st.sampled_from([0, 1, 2, -1, -2]),
       dtype=st.sampled_from(["float32", "float64"]))
def test_round_with_decimals_matches_torch(torch, shape, seed, decimals, dtype):
    array = (values(seed, shape, dtype) * 1000).astype(dtype)
    compare(torch, lambda x: minigrad.round(x, decimals=decimals), lambda x: torch.round(x, decimals=decimals),
            [array], what=f"round(decimals={decimals})")


def test_round_halves_to_even_and_sign_of_nan_is_zero(torch):
    halves = minigrad.tensor([0.5, 1.5, 2.5, -0.5, -2.5])
    assert halves.round().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]
    assert minigrad.tensor([math.nan, -3.0]).sign().tolist() == [0.0, -1.0]  # PyTorch's; NumPy says nan


# --- binary functions ----------------------------------------------------------------------------
@st.composite
def broadcast_pair(draw):
    full = draw(shapes)
    reduced = tuple(1 if draw(st.booleans()) else n for n in full)[draw(st.integers(0, len(full))):]
    return (full, reduced) if draw(st.booleans()) else (reduced, full)


BINARY = {  # name -> (our function, PyTorch's, domain of the second operand)
    "atan2": (minigrad.atan2, "atan2", "positive"),
    "arctan2": (minigrad.arctan2, "arctan2", "positive"),
    "hypot": (minigrad.hypot, "hypot", "positive"),
    "fmod": (minigrad.fmod, "fmod", "positive"),
    "remainder": (minigrad.remainder, "remainder", "positive"),
    "%": (lambda a, b: a % b, lambda a, b: a % b, "positive"),
    "//": (lambda a, b: a // b, lambda a, b: a // b, "positive"),
    "floor_divide": (minigrad.floor_divide, "floor_divide", "positive"),
    "div_trunc": (lambda a, b: minigrad.div(a, b, rounding_mode="trunc"),
                  lambda a, b: __import__("torch").div(a, b, rounding_mode="trunc"), "positive"),
    "div_floor": (lambda a, b: a.div(b, rounding_mode="floor"), lambda a, b: a.div(b, rounding_mode="floor"),
                  "positive"),
    "logaddexp": (minigrad.logaddexp, "logaddexp", "any"),
    "lerp_scalar": (lambda a, b: minigrad.lerp(a, b, 0.3), lambda a, b: __import__("torch").lerp(a, b, 0.3), "any"),
    "lerp_high_weight": (lambda a, b: a.lerp(b, 0.8), lambda a, b: a.lerp(b, 0.8), "any"),
    "eq": (minigrad.eq, "eq", "any"), "ne": (minigrad.ne, "ne", "any"), "lt": (minigrad.lt, "lt", "any"),
    "le": (minigrad.le, "le", "any"), "gt": (minigrad.gt, "gt", "any"), "ge": (minigrad.ge, "ge", "any"),
    "greater": (minigrad.greater, "greater", "any"), "less_equal": (minigrad.less_equal, "less_equal", "any"),
    "not_equal": (minigrad.not_equal, "not_equal", "any"),
    "logical_and": (minigrad.logical_and, "logical_and", "any"),
    "logical_or": (minigrad.logical_or, "logical_or", "any"),
    "logical_xor": (minigrad.logical_xor, "logical_xor", "any"),
    "bitwise_and": (minigrad.bitwise_and, "bitwise_and", "any"),
    "bitwise_or": (minigrad.bitwise_or, "bitwise_or", "any"),
    "bitwise_xor": (minigrad.bitwise_xor, "bitwise_xor", "any"),
    "&": (lambda a, b: a & b, lambda a, b: a & b, "any"),
    "|": (lambda a, b: a | b, lambda a, b: a | b, "any"),
    "^": (lambda a, b: a ^ b, lambda a, b: a ^ b, "any"),
    "<<": (lambda a, b: a << b, lambda a, b: a << b, "positive"),
    ">>": (lambda a, b: a >> b, lambda a, b: a >> b, "positive"),
    "isclose": (minigrad.isclose, "isclose", "any"),
    "copysign": (minigrad.copysign, "copysign", "any"),
    "xlogy": (minigrad.xlogy, "xlogy", "positive"),
    "fmax": (minigrad.fmax, "fmax", "any"),
    "fmin": (minigrad.fmin, "fmin", "any"),
    "heaviside": (minigrad.heaviside, "heaviside", "any"),
    "float_power": (minigrad.float_power, "float_power", "positive"),
}
DTYPE_PAIRS = [("float32", "float32"), ("float64", "float64"), ("float32", "float64"), ("int64", "int64"),
               ("int32", "float32"), ("int64", "int32"), ("bool", "bool"), ("bool", "int64"), ("uint8", "int8")]


def _torch_function(torch, spec):
    return getattr(torch, spec) if isinstance(spec, str) else spec


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(pair=broadcast_pair(), seed=seeds, dtypes=st.sampled_from(DTYPE_PAIRS))
def test_binary_function_matches_torch(torch, name, pair, seed, dtypes):
    ours, theirs, domain = BINARY[name]
    a = values(seed, pair[0], dtypes[0])
    b = values(seed + 1, pair[1], dtypes[1], domain)
    # With a float32 operand PyTorch's backward may round through float32: compare at its precision.
    rtol = 1e-5 if "float32" in dtypes else None
    compare(torch, ours, _torch_function(torch, theirs), [a, b], rtol=rtol, what=f"{name} {dtypes}")


SCALARS = [2, -3, 2.5, True]


@pytest.mark.parametrize("name", sorted(set(BINARY) - {"atan2", "arctan2", "hypot", "isclose", "lerp_scalar",
                                                       "lerp_high_weight", "logaddexp", "logical_and",
                                                       "logical_or", "logical_xor", "fmax", "fmin", "heaviside"}))
@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_binary_function_with_a_python_scalar_on_either_side_matches_torch(torch, name, scalar, dtype):
    ours, theirs, domain = BINARY[name]
    theirs = _torch_function(torch, theirs)
    a = values(5, (2, 3), dtype, domain)
    if name in ("<<", ">>") and scalar in (-3,):
        return  # a negative shift count: undefined in C, PyTorch's result is not a rule to copy
    compare(torch, lambda x: ours(x, scalar), lambda x: theirs(x, scalar), [a], what=f"{name} tensor, {scalar!r}")
    if name in ("floor_divide", "remainder", "xlogy", "bitwise_and", "bitwise_or", "bitwise_xor", "%", "//", "&", "|",
                "^", "<<", ">>"):
        compare(torch, lambda x: ours(scalar, x), lambda x: theirs(scalar, x), [a],
                what=f"{name} {scalar!r}, tensor")


def test_integer_division_by_zero_raises_as_torch(torch):
    for op in (lambda a, b: a // b, lambda a, b: a % b, lambda a, b: a.fmod(b)):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            op(minigrad.tensor([3, -4]), minigrad.tensor([2, 0]))
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            op(torch.tensor([3, -4]), torch.tensor([2, 0]))


@pytest.mark.parametrize("op", ["//", "%", "fmod", "div_trunc"])
def test_float_division_edge_values_match_torch(torch, op):
    specials = np.array([0.0, -0.0, 5.0, -5.0, math.inf, -math.inf, math.nan], dtype="float64")
    a, b = np.meshgrid(specials, specials)
    ours, theirs, _ = BINARY[op] if op in BINARY else (None, None, None)
    theirs = _torch_function(torch, theirs)
    assert_same(ours(minigrad.tensor(a), minigrad.tensor(b)), theirs(torch.tensor(a), torch.tensor(b)), op)


@pytest.mark.parametrize("shift_by", [0, 1, 31, 32, 63, 64, 70])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8"])
def test_shifts_past_the_width_match_torch(torch, shift_by, dtype):
    array = np.array([1, 5, -7, 0, 100], dtype=dtype) if dtype != "uint8" else np.array([1, 5, 7, 0, 100], "uint8")
    for op in (lambda a, b: a << b, lambda a, b: a >> b):
        count = np.array([shift_by] * 5, dtype=dtype)
        assert_same(op(minigrad.tensor(array), minigrad.tensor(count)), op(torch.tensor(array), torch.tensor(count)))


@pytest.mark.parametrize("op", ["&", "|", "^", "<<", ">>", "bitwise_and"])
def test_bitwise_ops_refuse_floats_with_torchs_class(torch, op):
    ours, theirs, _ = BINARY[op]
    theirs = _torch_function(torch, theirs)
    for left, right in ((np.array([1.0, 2.0]), np.array([1, 2])), (np.array([1, 2]), 1.5)):
        compare(torch, ours, theirs, [left, right], grad=False, what=op)
        with pytest.raises(RuntimeError, match="not implemented for"):
            ours(minigrad.tensor(left), minigrad.tensor(right) if isinstance(right, np.ndarray) else right)
    with pytest.raises(TypeError):
        ~minigrad.tensor([1.0])


def test_in_place_bitwise_and_reflected_operators(torch):
    ours, theirs = minigrad.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    for x in (ours, theirs):
        x &= 6
        x |= 8
        x ^= 1
        x <<= 1
    assert_same(ours, theirs, "&= |= ^= <<=")
    mask_ours, mask_theirs = minigrad.tensor([True, False]), torch.tensor([True, False])
    assert_same(True & mask_ours, True & mask_theirs, "bool & mask")
    assert_same(~mask_ours, ~mask_theirs, "~mask")


@SETTINGS
@given(shape=nonempty_shapes, seed=seeds)
def test_lerp_with_a_tensor_weight_matches_torch(torch, shape, seed):
    start, end = values(seed, shape, "float64"), values(seed + 1, shape, "float64")
    weight = np.random.default_rng(seed).uniform(-0.5, 1.5, shape)
    compare(torch, minigrad.lerp, torch.lerp, [start, end, weight], what="lerp")


def test_isclose_allclose_and_equal_match_torch(torch):
    a = np.array([1.0, math.inf, -math.inf, math.nan, 1e-9, 1.0])
    b = np.array([1.0 + 1e-6, math.inf, math.inf, math.nan, 0.0, 1.1])
    for equal_nan in (False, True):
        assert_same(minigrad.isclose(minigrad.tensor(a), minigrad.tensor(b), equal_nan=equal_nan),
                    torch.isclose(torch.tensor(a), torch.tensor(b), equal_nan=equal_nan), "isclose")
        assert minigrad.tensor(a[:2]).allclose(minigrad.tensor(b[:2]), rtol=1e-5) == torch.allclose(
            torch.tensor(a[:2]), torch.tensor(b[:2]), rtol=1e-5)
    assert minigrad.equal(minigrad.tensor([1, 2]), minigrad.tensor([1.0, 2.0])) is True  # dtypes may differ
    assert minigrad.equal(minigrad.tensor([1, 2]), minigrad.tensor([1, 2, 3])) is False
    assert minigrad.tensor([math.nan]).equal(minigrad.tensor([math.nan])) is False
    with pytest.raises(RuntimeError, match="did not match"):
        minigrad.isclose(minigrad.tensor([1]), minigrad.tensor([1.0]))
    with pytest.raises(RuntimeError, match="did not match"):
        minigrad.allclose(minigrad.tensor([1.0]), minigrad.tensor([1.0], dtype=minigrad.float64))


def test_floor_divide_and_rounded_division_have_zero_gradient(torch):
    ours = minigrad.tensor([-7.0, 7.5], requires_grad=True)
    (minigrad.div(ours, 2.0, rounding_mode="floor") * 3).sum().backward()
    theirs = torch.tensor([-7.0, 7.5], requires_grad=True)
    (torch.div(theirs, 2.0, rounding_mode="floor") * 3).sum().backward()
    assert_same(ours.grad, theirs.grad, "div floor gradient")


# --- float64 gradchecks of the composites (and second derivatives of a few primitives) -------
def leaf(array):
    return minigrad.tensor(np.asarray(array, dtype="float64"), requires_grad=True)


@SETTINGS
@given(pair=broadcast_pair(), seed=seeds)
def test_composite_binary_functions_pass_gradcheck(pair, seed):
    a, b = leaf(values(seed, pair[0], "float64")), leaf(values(seed + 1, pair[1], "float64"))
    assert gradcheck(minigrad.logaddexp, [a, b])
    assert gradcheck(lambda x, y: minigrad.lerp(x, y, 0.3) + x.lerp(y, 0.7), [a, b])
    weight = leaf(np.random.default_rng(seed).uniform(-0.5, 1.5, pair[0]))
    assert gradcheck(lambda x, y, w: minigrad.lerp(x, y, w), [a, b, weight])


@SETTINGS
@given(shape=nonempty_shapes, seed=seeds)
def test_composite_unary_functions_pass_gradcheck(shape, seed):
    x = leaf(values(seed, shape, "float64", "positive"))
    assert gradcheck(lambda t: t.frac() + t.rsqrt() + t.reciprocal() + t.square(), [x])


@pytest.mark.parametrize("name", ["sin", "tan", "asin", "acosh", "atanh", "log2", "expm1", "exp2", "erf",
                                  "erfinv", "sinh"])
def test_second_derivatives_pass_gradgradcheck(name):
    x = leaf(values(7, (3,), "float64", UNARY[name]))
    assert gradgradcheck(lambda t: getattr(t, name)(), [x])


def test_atan2_and_fmod_second_derivatives_pass_gradgradcheck():
    a, b = leaf([0.3, -1.2, 2.0]), leaf([1.5, 0.7, -0.9])
    assert gradgradcheck(minigrad.atan2, [a, b])
    assert gradgradcheck(lambda x, y: minigrad.hypot(x, y) * minigrad.fmod(x, y), [a, b])


def test_logaddexp_of_infinities_matches_torch(torch):
    specials = np.array([-math.inf, math.inf, 0.0, -1000.0, 1000.0])
    a, b = np.meshgrid(specials, specials)
    compare(torch, minigrad.logaddexp, torch.logaddexp, [a, b], grad=False, what="logaddexp")


def test_atan2_requires_a_tensor_other(torch):
    with pytest.raises(TypeError, match="must be Tensor"):
        minigrad.atan2(minigrad.tensor([1.0]), 2)


def test_nan_to_num_and_fmax_handle_specials_as_torch(torch):
    specials = np.array([math.nan, math.inf, -math.inf, 0.0, -2.0], dtype="float32")
    for kwargs in ({}, {"nan": 1.5, "posinf": 9.0, "neginf": -9.0}):
        compare(torch, lambda x, k=kwargs: x.nan_to_num(**k), lambda x, k=kwargs: x.nan_to_num(**k), [specials],
                what="nan_to_num")
    a, b = np.meshgrid(specials, specials)
    for name in ("fmax", "fmin", "copysign", "xlogy"):
        compare(torch, getattr(minigrad, name), getattr(torch, name), [a, b], grad=False, what=name)
    zeros = np.array([0.0, -0.0, 0.0, 1.0])
    compare(torch, minigrad.xlogy, torch.xlogy, [zeros, np.array([-1.0, 2.0, math.nan, 0.0])], what="xlogy at 0")
    compare(torch, minigrad.copysign, torch.copysign, [zeros, np.array([-1.0, 1.0, -0.0, -3.0])],
            what="copysign at 0")
    compare(torch, minigrad.sinc, torch.sinc, [zeros], what="sinc at 0")


@SETTINGS
@given(shape=nonempty_shapes, seed=seeds, value=st.sampled_from([1, 0.5, -2]))
def test_addcmul_and_addcdiv_match_torch(torch, shape, seed, value):
    arrays = [values(seed + i, shape, "float64", "positive") for i in range(3)]
    for name in ("addcmul", "addcdiv"):
        compare(torch, lambda a, b, c, n=name: getattr(minigrad, n)(a, b, c, value=value),
                lambda a, b, c, n=name: getattr(torch, n)(a, b, c, value=value), arrays, what=name)
    ours, theirs = minigrad.tensor(arrays[0]), torch.tensor(arrays[0])
    ours.addcmul_(minigrad.tensor(arrays[1]), minigrad.tensor(arrays[2]), value=value)
    theirs.addcmul_(torch.tensor(arrays[1]), torch.tensor(arrays[2]), value=value)
    assert_same(ours, theirs, "addcmul_")


@SETTINGS
@given(pair=broadcast_pair(), seed=seeds)
def test_extra_composites_pass_gradcheck(pair, seed):
    a = leaf(values(seed, pair[0], "float64"))
    b = leaf(values(seed + 1, pair[1], "float64", "positive"))
    assert gradcheck(lambda x, y: minigrad.copysign(x, y) + minigrad.xlogy(x, y) + minigrad.fmax(x, y), [a, b])
    unit = leaf(values(seed, pair[0], "float64", "unit") * 0.5 + 0.5)
    assert gradcheck(lambda x: x.sinc() + x.logit() + x.nan_to_num() + x.deg2rad() + x.float_power(3), [unit])


@SETTINGS
@given(pair=broadcast_pair(), seed=seeds, which=st.sampled_from(["both", "min", "max"]),
       dtypes=st.sampled_from([("float64", "float64"), ("float32", "float32"), ("int64", "float32"),
                               ("int64", "int64")]))
def test_clamp_with_tensor_bounds_matches_torch(torch, pair, seed, which, dtypes):
    x = values(seed, pair[0], dtypes[0])
    low = np.asarray(values(seed + 1, pair[1], dtypes[1]) - 1).astype(dtypes[1])
    high = np.asarray(values(seed + 2, pair[1], dtypes[1]) + 1).astype(dtypes[1])
    if which == "both":
        compare(torch, lambda a, lo, hi: minigrad.clamp(a, lo, hi), lambda a, lo, hi: torch.clamp(a, lo, hi),
                [x, low, high], what="clamp(min, max)")
    else:
        bound = low if which == "min" else high
        compare(torch, lambda a, b: a.clamp(**{which: b}), lambda a, b: a.clamp(**{which: b}), [x, bound],
                what=f"clamp({which}=)")


def test_clamp_with_crossed_tensor_bounds_gives_max_and_its_gradient(torch):
    arrays = [np.array([0.5, -2.0, 3.0, 1.0]), np.array([0.0, 0.0, 0.0, 1.0]), np.array([1.0, 1.0, 2.0, 0.5])]
    compare(torch, minigrad.clamp, torch.clamp, arrays, what="clamp with min > max")
    x, low = leaf([0.3, -1.2, 2.0]), leaf([0.0, -1.0, 2.5])
    assert gradcheck(lambda a, b: a.clamp(min=b) * a, [x, low])


@pytest.mark.parametrize("name", minigrad.special.__all__)
def test_special_namespace_matches_torch_special(torch, name):
    array = values(4, (2, 3), "float64", "open_unit")
    extra = {"logsumexp": (1,), "softmax": (1,), "log_softmax": (0,), "xlogy": (0.5,)}.get(name, ())
    compare(torch, lambda x: getattr(minigrad.special, name)(x, *extra),
            lambda x: getattr(torch.special, name)(x, *extra), [array], what=f"special.{name}")


@pytest.mark.parametrize("with_scipy", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_family_with_and_without_scipy_matches_torch(torch, monkeypatch, with_scipy, dtype):
    """SciPy is optional: without it erf/erfc/erfinv are array operations (backends/special.py)."""
    import importlib.util
    import sys

    if not with_scipy:
        monkeypatch.setitem(sys.modules, "scipy.special", None)  # `from scipy.special import` fails
    elif importlib.util.find_spec("scipy") is None:
        pytest.skip("SciPy is not installed here: the fallback is what runs (tested by the other case)")
    grid = np.concatenate([np.linspace(-6, 6, 241), np.array(EDGES)]).astype(dtype)
    unit = np.concatenate([np.linspace(-1, 1, 201), [-0.0, 1 - 1e-7, -1 + 1e-7, 1.5, math.nan]]).astype(dtype)
    for name, array in (("erf", grid), ("erfc", grid), ("erfinv", unit)):
        ours = getattr(minigrad, name)(minigrad.tensor(array))
        theirs = getattr(torch, name)(torch.tensor(array))
        assert_same(ours, theirs, f"{name} {'with' if with_scipy else 'without'} SciPy",
                    rtol=2e-6 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("name", ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "less_equal_", "not_equal_",
                                  "logical_and_", "copysign_", "fmod_", "remainder_", "atan2_", "hypot_", "xlogy_"])
def test_in_place_binary_variants_match_torch(torch, name):
    a, b = values(1, (2, 3), "float64"), values(2, (3,), "float64", "positive")
    ours, theirs = minigrad.tensor(a), torch.tensor(a)
    assert getattr(ours, name)(minigrad.tensor(b)) is ours
    getattr(theirs, name)(torch.tensor(b))
    assert_same(ours, theirs, name)


@pytest.mark.parametrize("name", ["sin", "erf", "exp2", "log1p", "reciprocal", "rsqrt", "deg2rad", "sinc"])
def test_float_functions_of_integers_follow_the_default_dtype(torch, name):
    minigrad.set_default_dtype(minigrad.float64)
    torch.set_default_dtype(torch.float64)
    try:
        array = np.array([1, 2, 3])
        assert_same(getattr(minigrad.tensor(array), name)(), getattr(torch.tensor(array), name)(), name)
    finally:
        minigrad.set_default_dtype(minigrad.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("call", [
    lambda m, a, b: m.isin(a, b), lambda m, a, b: m.isin(a, b, invert=True),
    lambda m, a, b: m.isin(a, 2), lambda m, a, b: m.isin(3, b),
    lambda m, a, b: m.clamp_min(a, 1), lambda m, a, b: a.clamp_max(2), lambda m, a, b: a.float().clamp_min_(0.5),
])
def test_isin_and_clamp_min_max_match_torch(torch, call):
    a, b = np.array([[1, 2, 3], [4, 2, 0]]), np.array([2, 3, 7])
    compare(torch, lambda x, y: call(minigrad, x, y), lambda x, y: call(torch, x, y), [a, b], what="isin/clamp_min")
