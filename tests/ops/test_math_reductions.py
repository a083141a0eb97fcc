"""Reductions, scans and norms against PyTorch: values, dtypes, ``dim``/``keepdim``/``dtype``/
``axis``, gradients (with zeros for prod and cumprod, ties and NaN for cummax), 0-d and empty
tensors, and float64 gradchecks (second derivatives too where zeros make them delicate)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from math_op_helpers import SETTINGS, assert_same, compare, nonempty_shapes, seeds, shapes, values

import minigrad
from minigrad.autograd import gradcheck, gradgradcheck


@st.composite
def shape_and_dim(draw, allow_empty=True, allow_0d=True):
    shape = draw(shapes if allow_empty else nonempty_shapes)
    if not allow_0d and not shape:
        shape = (2,)
    ndim = max(len(shape), 1)
    return shape, draw(st.integers(-ndim, ndim - 1))


@st.composite
def shape_and_dims(draw):
    """A shape and None, one dim or a tuple of distinct dims."""
    shape = draw(shapes)
    if not shape or draw(st.booleans()):
        return shape, None
    dims = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    return shape, dims[0] if len(dims) == 1 else tuple(dims)


def with_zeros(array, seed, fraction=0.3):
    array = array.copy()
    array[np.random.default_rng(seed).random(array.shape) < fraction] = 0
    return array


DTYPES = st.sampled_from(["float32", "float64", "int64", "int32", "bool"])


@SETTINGS
@given(case=shape_and_dims(), seed=seeds, dtype=DTYPES, keepdim=st.booleans())
def test_sum_mean_nansum_all_any_count_nonzero_match_torch(torch, case, seed, dtype, keepdim):
    shape, dim = case
    array = values(seed, shape, dtype)
    kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    for name in ("sum", "mean", "nansum", "all", "any"):
        compare(torch, lambda x, n=name: getattr(minigrad, n)(x, **kwargs),
                lambda x, n=name: getattr(torch, n)(x, **kwargs), [array], what=f"{name}({kwargs})")
    compare(torch, lambda x: minigrad.count_nonzero(x, dim), lambda x: torch.count_nonzero(x, dim), [array],
            what="count_nonzero")


@SETTINGS
@given(case=shape_and_dims(), seed=seeds, dtype=DTYPES, target=st.sampled_from(["float64", "float32", "int64"]))
def test_sum_and_mean_with_dtype_and_axis_match_torch(torch, case, seed, dtype, target):
    shape, dim = case
    array = values(seed, shape, dtype)
    compare(torch, lambda x: x.sum(axis=dim, dtype=getattr(minigrad, target)),
            lambda x: x.sum(axis=dim, dtype=getattr(torch, target)), [array], grad=False, what="sum(dtype)")
    if target != "int64":
        compare(torch, lambda x: minigrad.mean(x, axis=dim, dtype=getattr(minigrad, target)),
                lambda x: torch.mean(x, axis=dim, dtype=getattr(torch, target)), [array], what="mean(dtype)")


def test_any_and_all_keep_uint8_as_torch(torch):
    array = np.array([[1, 0], [2, 3]], dtype="uint8")
    for name in ("any", "all"):
        assert_same(getattr(minigrad.tensor(array), name)(1), getattr(torch.tensor(array), name)(1), name)
        assert_same(getattr(minigrad.tensor(array), name)(), getattr(torch.tensor(array), name)(), name)


@SETTINGS
@given(case=shape_and_dim(), seed=seeds, dtype=DTYPES, keepdim=st.booleans(), zeros=st.sampled_from([0, 0.3, 0.7]))
def test_prod_matches_torch_with_zeros(torch, case, seed, dtype, keepdim, zeros):
    shape, dim = case
    array = with_zeros(values(seed, shape, dtype), seed, zeros) if dtype != "bool" else values(seed, shape, dtype)
    compare(torch, lambda x: minigrad.prod(x), lambda x: torch.prod(x), [array], what="prod()")
    compare(torch, lambda x: x.prod(dim, keepdim), lambda x: x.prod(dim, keepdim), [array], what=f"prod({dim})")
    compare(torch, lambda x: x.prod(dim, dtype=minigrad.float64), lambda x: x.prod(dim, dtype=torch.float64),
            [array], what="prod(dtype)")


@SETTINGS
@given(case=shape_and_dim(), seed=seeds, dtype=DTYPES, zeros=st.sampled_from([0, 0.3, 0.7]))
def test_cumsum_and_cumprod_match_torch_with_zeros(torch, case, seed, dtype, zeros):
    shape, dim = case
    array = with_zeros(values(seed, shape, dtype), seed, zeros) if dtype != "bool" else values(seed, shape, dtype)
    for name in ("cumsum", "cumprod"):
        compare(torch, lambda x, n=name: getattr(minigrad, n)(x, dim), lambda x, n=name: getattr(torch, n)(x, dim),
                [array], what=name)
        compare(torch, lambda x, n=name: getattr(x, n)(dim, dtype=minigrad.float64),
                lambda x, n=name: getattr(x, n)(dim, dtype=torch.float64), [array], what=f"{name}(dtype)")


@SETTINGS
@given(case=shape_and_dim(), seed=seeds, dtype=st.sampled_from(["float32", "float64", "int64"]))
def test_cummax_and_cummin_match_torch_with_ties_and_nan(torch, case, seed, dtype):
    shape, dim = case
    array = values(seed, shape, dtype)
    if dtype != "int64":
        array = np.round(array)  # ties
        if array.size:
            array.reshape(-1)[np.random.default_rng(seed).integers(array.size)] = math.nan
    for name in ("cummax", "cummin"):
        compare(torch, lambda x, n=name: getattr(minigrad, n)(x, dim), lambda x, n=name: getattr(torch, n)(x, dim),
                [array], what=name)


@SETTINGS
@given(case=shape_and_dim(), seed=seeds, dtype=st.sampled_from(["float32", "float64"]))
def test_logcumsumexp_and_logsumexp_match_torch(torch, case, seed, dtype):
    shape, dim = case
    array = (values(seed, shape, dtype) * 200).astype(dtype)  # exp would overflow without the shift
    rtol = 1e-5 if dtype == "float32" else 1e-10
    compare(torch, lambda x: x.logcumsumexp(dim), lambda x: x.logcumsumexp(dim), [array], rtol=rtol,
            what="logcumsumexp")
    for keepdim in (False, True):
        compare(torch, lambda x, k=keepdim: minigrad.logsumexp(x, dim, k),
                lambda x, k=keepdim: torch.logsumexp(x, dim, k), [array], rtol=rtol, what="logsumexp")


def test_logsumexp_and_logcumsumexp_of_infinities_match_torch(torch):
    array = np.array([[-math.inf, -math.inf, 1.0], [math.inf, 2.0, -math.inf], [-1e4, 0.0, 1e4]])
    for dim in (0, 1):
        compare(torch, lambda x, d=dim: x.logsumexp(d), lambda x, d=dim: x.logsumexp(d), [array], grad=False,
                what="logsumexp")
        compare(torch, lambda x, d=dim: x.logcumsumexp(d), lambda x, d=dim: x.logcumsumexp(d), [array],
                grad=False, what="logcumsumexp")
    compare(torch, lambda x: minigrad.logsumexp(x, (0, 1)), lambda x: torch.logsumexp(x, (0, 1)),
            [np.array([[1, 2], [3, 4]])], what="logsumexp of ints")


@SETTINGS
@given(case=shape_and_dims(), seed=seeds, correction=st.sampled_from([0, 1, 2]), keepdim=st.booleans())
def test_var_mean_and_std_mean_match_torch(torch, case, seed, correction, keepdim):
    shape, dim = case
    dims = range(len(shape)) if dim is None else [dim] if isinstance(dim, int) else dim
    # Degrees of freedom <= 0 (var of one number) is a degenerate case PyTorch only warns about.
    assume(int(np.prod([shape[d] for d in dims])) > correction)
    array = values(seed, shape, "float64")
    for name in ("var_mean", "std_mean"):
        compare(torch, lambda x, n=name: getattr(minigrad, n)(x, dim, correction=correction, keepdim=keepdim),
                lambda x, n=name: getattr(torch, n)(x, dim, correction=correction, keepdim=keepdim), [array],
                what=name)
    compare(torch, lambda x: x.std(dim, keepdim=keepdim, unbiased=False), lambda x: x.std(dim, keepdim=keepdim,
            unbiased=False), [array], what="std(unbiased=False)")


@SETTINGS
@given(case=shape_and_dims(), seed=seeds, keepdim=st.booleans())
def test_nansum_and_nanmean_skip_nans_as_torch(torch, case, seed, keepdim):
    shape, dim = case
    array = values(seed, shape, "float64")
    nans = np.random.default_rng(seed).random(shape) < 0.3
    if not nans.size:
        pass
    elif not nans.ndim:
        nans = np.zeros((), bool)
    else:  # every reduced slice keeps a number: the mean of only NaNs is NaN, and PyTorch's
        first = dim if isinstance(dim, int) else (dim or (0,))[0]  # gradient there is NaN, ours 0
        np.moveaxis(nans, first, 0)[0] = False
    array[nans] = math.nan
    kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    compare(torch, lambda x: x.nansum(**kwargs), lambda x: x.nansum(**kwargs), [array], what="nansum")
    compare(torch, lambda x: x.nanmean(**kwargs), lambda x: x.nanmean(**kwargs), [array], what="nanmean")


@SETTINGS
@given(case=shape_and_dim(allow_empty=False), seed=seeds, keepdim=st.booleans(), whole=st.booleans())
def test_aminmax_matches_torch_ties_included(torch, case, seed, keepdim, whole):
    shape, dim = case
    array = np.round(values(seed, shape, "float64"))
    kwargs = {} if whole else {"dim": dim, "keepdim": keepdim}
    compare(torch, lambda x: minigrad.aminmax(x, **kwargs), lambda x: torch.aminmax(x, **kwargs), [array],
            what="aminmax")


# --- norms ---------------------------------------------------------------------------------
VECTOR_ORDS = [2, 1, 3, 0.5, 0, math.inf, -math.inf, -1, -2]


@pytest.mark.parametrize("ord_", VECTOR_ORDS)
@SETTINGS
@given(case=shape_and_dims(), seed=seeds, keepdim=st.booleans(), zeros=st.sampled_from([0, 0.4, 1.0]),
       dtype=st.sampled_from(["float32", "float64"]))
def test_vector_norm_matches_torch_zeros_included(torch, ord_, case, seed, keepdim, zeros, dtype):
    shape, dim = case
    array = with_zeros(values(seed, shape, dtype), seed, zeros)
    compare(torch, lambda x: minigrad.linalg.vector_norm(x, ord_, dim, keepdim),
            lambda x: torch.linalg.vector_norm(x, ord_, dim, keepdim), [array], rtol=1e-4 if dtype == "float32"
            else 1e-10, what=f"vector_norm({ord_})")
    compare(torch, lambda x: x.norm(ord_, dim, keepdim), lambda x: x.norm(ord_, dim, keepdim), [array],
            rtol=1e-4 if dtype == "float32" else 1e-10, what=f"Tensor.norm({ord_})")


@pytest.mark.parametrize("ord_", ["fro", 1, -1, math.inf, -math.inf, "nuc", 2, -2])
@SETTINGS
@given(batch=st.lists(st.integers(1, 2), max_size=2).map(tuple), rows=st.integers(1, 3), cols=st.integers(1, 3),
       seed=seeds, keepdim=st.booleans(), dims=st.sampled_from([(-2, -1), (-1, -2)]))
def test_matrix_norm_matches_torch(torch, ord_, batch, rows, cols, seed, keepdim, dims):
    array = values(seed, batch + (rows, cols), "float64")
    compare(torch, lambda x: minigrad.linalg.matrix_norm(x, ord_, dims, keepdim),
            lambda x: torch.linalg.matrix_norm(x, ord_, dims, keepdim), [array], what=f"matrix_norm({ord_})")
    compare(torch, lambda x: minigrad.linalg.norm(x, ord_, dims, keepdim),
            lambda x: torch.linalg.norm(x, ord_, dims, keepdim), [array], what=f"linalg.norm({ord_})")


@pytest.mark.parametrize("call", [
    lambda m, x: m.linalg.norm(x), lambda m, x: m.linalg.norm(x, dim=1), lambda m, x: m.linalg.norm(x, 1),
    lambda m, x: m.linalg.norm(x, math.inf), lambda m, x: m.linalg.norm(x[0], 3), lambda m, x: m.norm(x),
    lambda m, x: m.norm(x, dim=(0, 1)), lambda m, x: x.norm(p=1, dim=0), lambda m, x: x.norm(dim=1, keepdim=True),
    lambda m, x: m.linalg.vector_norm(x, dim=(0, 1)), lambda m, x: m.linalg.norm(x, "fro"),
    lambda m, x: x.norm(p="nuc"), lambda m, x: m.linalg.norm(x, 2), lambda m, x: m.linalg.norm(x, "nuc", keepdim=True),
])
def test_norm_spellings_match_torch(torch, call):
    array = values(11, (2, 3), "float64")
    compare(torch, lambda x: call(minigrad, x), lambda x: call(torch, x), [array], what="norm")


def test_norms_refuse_what_torch_refuses(torch):
    for bad in (lambda m: m.linalg.vector_norm(m.tensor([1, 2])), lambda m: m.tensor([1, 2]).norm(),
                lambda m: m.linalg.matrix_norm(m.ones(3)), lambda m: m.linalg.norm(m.ones(2, 2, 2), 1),
                lambda m: m.linalg.vector_norm(m.ones(0), math.inf)):
        with pytest.raises(RuntimeError) as theirs:
            bad(torch)
        with pytest.raises(type(theirs.value)):
            bad(minigrad)


# --- float64 gradchecks of the composites --------------------------------------------------
def leaf(array):
    return minigrad.tensor(np.asarray(array, dtype="float64"), requires_grad=True)


@SETTINGS
@given(case=shape_and_dim(allow_empty=False, allow_0d=False), seed=seeds, zeros=st.sampled_from([0, 0.3, 0.6]))
def test_prod_and_cumprod_with_zeros_pass_gradcheck_and_gradgradcheck(case, seed, zeros):
    shape, dim = case
    x = leaf(with_zeros(values(seed, shape, "float64"), seed, zeros))
    assert gradcheck(lambda t: t.prod(dim), [x])
    assert gradcheck(lambda t: t.prod(), [x])
    assert gradgradcheck(lambda t: t.prod(dim), [x])
    assert gradgradcheck(lambda t: t.cumprod(dim), [x])
    assert gradgradcheck(lambda t: t.cumsum(dim) * t, [x])


@SETTINGS
@given(case=shape_and_dim(allow_empty=False, allow_0d=False), seed=seeds)
def test_scans_and_reductions_pass_gradcheck(case, seed):
    shape, dim = case
    count = int(np.prod(shape))
    distinct = leaf((np.random.default_rng(seed).permutation(count) * 0.5).reshape(shape))  # no ties
    assert gradcheck(lambda t: t.cummax(dim).values + t.cummin(dim).values, [distinct])
    assert gradcheck(lambda t: minigrad.aminmax(t, dim=dim).min * minigrad.aminmax(t).max, [distinct])
    x = leaf(values(seed, shape, "float64"))
    assert gradcheck(lambda t: t.logcumsumexp(dim) + t.logsumexp(dim, keepdim=True), [x])
    assert gradgradcheck(lambda t: t.logcumsumexp(dim), [x])
    assert gradcheck(lambda t: minigrad.var_mean(t, dim, correction=0)[0] + minigrad.std_mean(t, dim)[1], [x])
    with_nans = values(seed, shape, "float64")
    if with_nans.size > 1:
        with_nans.reshape(-1)[0] = math.nan
    y = leaf(with_nans)
    assert gradcheck(lambda t: t.nansum(dim) + t.nanmean(), [y])


@pytest.mark.parametrize("ord_", VECTOR_ORDS[:6] + [-1])
def test_vector_norms_pass_gradcheck(ord_):
    x = leaf(values(5, (3, 4), "float64"))
    assert gradcheck(lambda t: minigrad.linalg.vector_norm(t, ord_, dim=1), [x])
    if ord_ not in (math.inf, 0, 1):
        assert gradgradcheck(lambda t: minigrad.linalg.vector_norm(t, ord_), [x])


@pytest.mark.parametrize("ord_", ["fro", 1, -1, math.inf, -math.inf, "nuc", 2, -2])
def test_matrix_norms_pass_gradcheck(ord_):
    a = leaf(values(6, (2, 3, 4), "float64"))
    assert gradcheck(lambda t: minigrad.linalg.matrix_norm(t, ord_), [a])
    if ord_ in ("nuc", 2, -2):  # through the SVD's backward, itself differentiated
        assert gradgradcheck(lambda t: minigrad.linalg.matrix_norm(t, ord_, dim=(0, 2)), [a])


@SETTINGS
@given(batch=st.lists(st.integers(1, 2), max_size=2).map(tuple), rows=st.integers(1, 4), cols=st.integers(1, 4),
       seed=seeds)
def test_svd_and_svdvals_match_torch(torch, batch, rows, cols, seed):
    array = values(seed, batch + (rows, cols), "float64")
    compare(torch, minigrad.linalg.svdvals, torch.linalg.svdvals, [array], what="svdvals")
    u, s, vh = minigrad.linalg.svd(minigrad.tensor(array), full_matrices=False)
    np.testing.assert_allclose(((u * s.unsqueeze(-2)) @ vh).numpy(), array, atol=1e-12)  # A = U S Vh
    eye = np.eye(min(rows, cols))
    np.testing.assert_allclose((u.mT @ u).numpy(), np.broadcast_to(eye, u.mT.shape[:-1] + (eye.shape[0],)), atol=1e-12)
    # |U| and |Vh| are the same as PyTorch's (their signs are a free choice of each library)
    compare(torch, lambda a: minigrad.linalg.svd(a, full_matrices=False).U.abs(),
            lambda a: torch.linalg.svd(a, full_matrices=False).U.abs(), [array], grad=False, what="|U|")
    if rows != cols:  # the full SVD of a non-square matrix is not implemented: refused, not approximated
        with pytest.raises(NotImplementedError, match="full_matrices=False"):
            minigrad.linalg.svd(minigrad.tensor(array))
    else:  # square: full and reduced are the same
        np.testing.assert_allclose(minigrad.linalg.svd(minigrad.tensor(array)).S.numpy(), s.numpy())


def test_the_gradient_of_a_norm_is_zero_at_zero(torch):
    for ord_ in (2, 3, 0.5, -1):
        ours = minigrad.zeros(3, requires_grad=True)
        minigrad.linalg.vector_norm(ours, ord_).backward()
        theirs = torch.zeros(3, requires_grad=True)
        torch.linalg.vector_norm(theirs, ord_).backward()
        assert_same(ours.grad, theirs.grad, f"ord {ord_}")
        assert not np.isnan(ours.grad.numpy()).any()


def test_prod_refuses_a_tuple_of_dims_as_torch(torch):
    with pytest.raises(TypeError):
        torch.prod(torch.ones(2, 2), dim=(0, 1))
    with pytest.raises(TypeError):
        minigrad.prod(minigrad.ones(2, 2), dim=(0, 1))


def test_scans_of_0d_tensors_and_bad_dims(torch):
    for name in ("cumsum", "cumprod", "cummax", "logcumsumexp"):
        compare(torch, lambda x, n=name: getattr(x, n)(0), lambda x, n=name: getattr(x, n)(0),
                [np.array(1.5)], what=name)
        with pytest.raises(IndexError):
            getattr(minigrad.ones(2), name)(1)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "nansum", "nanmean", "std", "var", "all", "any", "argmax",
                                  "argmin", "amax", "amin", "max", "min", "logsumexp", "cumsum", "cumprod",
                                  "cummax", "cummin", "logcumsumexp", "count_nonzero"])
def test_axis_is_an_alias_of_dim_as_in_torch(torch, name):
    array = values(9, (2, 3), "float64")
    for axis in (0, 1, -1):
        compare(torch, lambda x, a=axis: getattr(x, name)(axis=a), lambda x, a=axis: getattr(x, name)(axis=a),
                [array], what=f"Tensor.{name}(axis={axis})")
        compare(torch, lambda x, a=axis: getattr(minigrad, name)(x, axis=a),
                lambda x, a=axis: getattr(torch, name)(x, axis=a), [array], what=f"{name}(axis={axis})")


def test_dim_and_axis_together_are_refused():
    with pytest.raises(TypeError, match="alias"):
        minigrad.ones(2, 3).sum(0, axis=1)


@pytest.mark.parametrize("call", [
    lambda m, x: m.var(x, 0, False), lambda m, x: m.std(x, 1, True, True), lambda m, x: x.var(0, False, True),
    lambda m, x: m.var_mean(x, 1, False)[0], lambda m, x: m.std_mean(x, 0, True, keepdim=True)[0],
    lambda m, x: x.std(unbiased=False), lambda m, x: m.var(x, dim=1, correction=2),
])
def test_var_and_std_accept_the_old_unbiased_argument_as_torch(torch, call):
    compare(torch, lambda x: call(minigrad, x), lambda x: call(torch, x), [values(3, (3, 4), "float64")],
            what="var/std spelling")
