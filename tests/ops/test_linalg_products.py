"""Products (dot, mv, mm, bmm, add*mm, outer, cross, kron, einsum) agree with PyTorch: values,
dtypes, gradients and error classes; float64 gradchecks."""

from __future__ import annotations

import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ops_helpers import check_gradients, compare

import minigrad

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
sizes = st.integers(1, 4)
seeds = st.integers(0, 2**31 - 1)


def values(rng, *shape):
    return rng.uniform(-2, 2, shape)


CASES = {}


def case(name):
    def register(builder):
        CASES[name] = builder
        return builder

    return register


@case("dot_vdot")
def _dot(draw):
    rng, n = np.random.default_rng(draw(seeds)), draw(sizes)
    return (lambda lib, a, b: (lib.dot(a, b), a.vdot(b))), [values(rng, n), values(rng, n)]


@case("mv")
def _mv(draw):
    rng, n, m = np.random.default_rng(draw(seeds)), draw(sizes), draw(sizes)
    return (lambda lib, a, v: lib.mv(a, v)), [values(rng, n, m), values(rng, m)]


@case("mm")
def _mm(draw):
    rng, n, m, p = np.random.default_rng(draw(seeds)), draw(sizes), draw(sizes), draw(sizes)
    return (lambda lib, a, b: a.mm(b)), [values(rng, n, m), values(rng, m, p)]


@case("bmm")
def _bmm(draw):
    rng, b, n, m, p = np.random.default_rng(draw(seeds)), draw(sizes), draw(sizes), draw(sizes), draw(sizes)
    return (lambda lib, x, y: lib.bmm(x, y)), [values(rng, b, n, m), values(rng, b, m, p)]


@case("addmm")
def _addmm(draw):
    rng, n, m, p = np.random.default_rng(draw(seeds)), draw(sizes), draw(sizes), draw(sizes)
    beta, alpha = draw(st.sampled_from([0, 1, 0.5])), draw(st.sampled_from([1, -2.0]))
    bias = draw(st.sampled_from([(n, p), (p,), (1, p)]))
    return (lambda lib, c, a, b: lib.addmm(c, a, b, beta=beta, alpha=alpha)), [
        values(rng, *bias), values(rng, n, m), values(rng, m, p)]


@case("addmv")
def _addmv(draw):
    rng, n, m = np.random.default_rng(draw(seeds)), draw(sizes), draw(sizes)
    beta, alpha = draw(st.sampled_from([0, 1, 2.0])), draw(st.sampled_from([1, 0.5]))
    return (lambda lib, c, a, v: c.addmv(a, v, beta=beta, alpha=alpha)), [values(rng, n), values(rng, n, m),
                                                                         values(rng, m)]


@case("addbmm_baddbmm")
def _addbmm(draw):
    rng, b, n, m, p = np.random.default_rng(draw(seeds)), draw(sizes), draw(sizes), draw(sizes), draw(sizes)
    beta, alpha = draw(st.sampled_from([0, 1, 0.5])), draw(st.sampled_from([1, 3.0]))
    return (lambda lib, c, d, x, y: (lib.addbmm(c, x, y, beta=beta, alpha=alpha),
                                     d.baddbmm(x, y, beta=beta, alpha=alpha))), [
        values(rng, n, p), values(rng, b, n, p), values(rng, b, n, m), values(rng, b, m, p)]


@case("outer_ger")
def _outer(draw):
    rng, n, m = np.random.default_rng(draw(seeds)), draw(sizes), draw(sizes)
    return (lambda lib, a, b: (lib.outer(a, b), a.ger(b))), [values(rng, n), values(rng, m)]


@case("cross")
def _cross(draw):
    rng = np.random.default_rng(draw(seeds))
    shape = draw(st.sampled_from([(3,), (2, 3), (3, 2), (2, 3, 4)]))
    dim = shape.index(3) if draw(st.booleans()) else shape.index(3) - len(shape)
    other = tuple(1 if draw(st.booleans()) and d != dim % len(shape) else n for d, n in enumerate(shape))
    return (lambda lib, a, b: lib.cross(a, b, dim=dim)), [values(rng, *shape), values(rng, *other)]


@case("kron")
def _kron(draw):
    rng = np.random.default_rng(draw(seeds))
    a = tuple(draw(st.lists(sizes, min_size=0, max_size=3)))
    b = tuple(draw(st.lists(sizes, min_size=0, max_size=3)))
    return (lambda lib, x, y: lib.kron(x, y)), [values(rng, *a), values(rng, *b)]


EQUATIONS = [  # (equation, operand shapes) as PyTorch's tests and tutorials spell them
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i->", [(4,), (4,)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("...", [(2, 3)]),
    ("i...->...", [(2, 3, 4)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
    ("ij,ij->ij", [(2, 3), (1, 3)]),
    ("Ab,bA->", [(2, 3), (3, 2)]),
    (" i j , j k -> i k ", [(2, 3), (3, 1)]),
]


@pytest.mark.parametrize("equation, shapes_", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_matches_pytorch(equation, shapes_, torch):
    rng = np.random.default_rng(0)
    arrays = [values(rng, *s) for s in shapes_]

    def op(lib, *xs):
        return lib.einsum(equation, *xs)

    compare(torch, op, arrays, rtol=1e-9)
    check_gradients(op, arrays)
    compare(torch, lambda lib, *xs: lib.einsum(equation, list(xs)), arrays, grad=False)  # operands as a list


def test_einsum_of_integers_keeps_the_dtype(torch):
    compare(torch, lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), [np.arange(6).reshape(2, 3),
                                                                     np.arange(12).reshape(3, 4)], grad=False)


@pytest.mark.parametrize("name", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_matches_pytorch(name, data, torch):
    op, arrays = CASES[name](data.draw)
    compare(torch, op, arrays, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_gradcheck(name, data):
    op, arrays = CASES[name](data.draw)
    check_gradients(op, arrays)


@pytest.mark.parametrize("dtype", ["float32", "int64", "int32"])
def test_dtypes_are_kept(dtype, torch):
    rng = np.random.default_rng(2)
    a, b, v = (rng.integers(-3, 3, s).astype(dtype) for s in ((2, 3), (3, 3), (3,)))

    def op(lib, a, b, v):
        return (lib.mm(a, b), lib.mv(a, v), lib.dot(v, v), lib.outer(v, v), lib.cross(b, b, dim=1), lib.kron(a, v),
                lib.bmm(b[None], b[None]), lib.addmm(v, a, b))

    compare(torch, op, [a, b, v], grad=False)


def test_addmm_with_beta_zero_ignores_nan_in_the_input(torch):
    nan = np.full((2, 2), np.nan)
    out = compare(torch, lambda lib, c, a, b: lib.addmm(c, a, b, beta=0), [nan, np.eye(2), np.ones((2, 2))])
    assert not np.isnan(out[0].detach().numpy()).any()


def test_cross_without_dim_takes_the_first_dim_of_size_3(torch):
    rng = np.random.default_rng(4)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns that this default is deprecated
        compare(torch, lambda lib, a, b: lib.cross(a, b), [values(rng, 3, 3), values(rng, 3, 3)])
        compare(torch, lambda lib, a, b: a.cross(b), [values(rng, 2, 3), values(rng, 2, 3)])


def _v(*shape, dtype="float32"):
    return minigrad.ones(*shape, dtype=dtype)


ERRORS = {
    "dot: sizes": (lambda: minigrad.dot(_v(3), _v(2)), RuntimeError, "inconsistent tensor size"),
    "dot: dtypes": (lambda: minigrad.dot(_v(3), _v(3, dtype="float64")), RuntimeError, "same dtype"),
    "dot: 2-D": (lambda: minigrad.dot(_v(3, 1), _v(3)), RuntimeError, "1D tensors expected"),
    "mm: vectors": (lambda: minigrad.mm(_v(3), _v(3)), RuntimeError, "must be a matrix"),
    "mm: shapes": (lambda: minigrad.mm(_v(2, 3), _v(2, 3)), RuntimeError, "cannot be multiplied"),
    "mm: dtypes": (lambda: minigrad.mm(_v(2, 3), _v(3, 2, dtype="float64")), RuntimeError, "dtype"),
    "bmm: batch": (lambda: minigrad.bmm(_v(2, 2, 3), _v(3, 3, 3)), RuntimeError, "batch2"),
    "bmm: 2-D": (lambda: minigrad.bmm(_v(2, 3), _v(3, 3)), RuntimeError, "3D"),
    "mv: sizes": (lambda: minigrad.mv(_v(2, 3), _v(2)), RuntimeError, "size mismatch"),
    "cross: length": (lambda: minigrad.cross(_v(2, 3), _v(2, 3), dim=0), RuntimeError, "length 3"),
    "cross: dim": (lambda: minigrad.cross(_v(2, 3), _v(2, 3), dim=2), IndexError, "out of range"),
    "outer: 2-D": (lambda: minigrad.outer(_v(2, 2), _v(2)), RuntimeError, "1D"),
    "einsum: sizes": (lambda: minigrad.einsum("ij,jk", _v(2, 3), _v(2, 4)), RuntimeError, "subscript j"),
    "einsum: repeated sizes": (lambda: minigrad.einsum("ii", _v(2, 3)), RuntimeError, "repeated"),
    "einsum: rank": (lambda: minigrad.einsum("ij", _v(2, 3, 4)), RuntimeError, "number of subscripts"),
    "einsum: operands": (lambda: minigrad.einsum("ij,jk", _v(2, 3)), RuntimeError, "operands"),
    "einsum: output twice": (lambda: minigrad.einsum("ij->ii", _v(2, 2)), RuntimeError, "more than once"),
    "einsum: unknown output": (lambda: minigrad.einsum("ij->k", _v(2, 2)), RuntimeError, "does not appear"),
    "einsum: dtypes": (lambda: minigrad.einsum("i,i", _v(2), _v(2, dtype="float64")), RuntimeError, "dtype"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_arguments_raise_pytorchs_error_class(name, torch):
    fn, error, match = ERRORS[name]
    with pytest.raises(error, match=match):
        fn()
    as_torch = {**fn.__globals__, "minigrad": torch,
                "_v": lambda *shape, dtype="float32": torch.ones(*shape, dtype=getattr(torch, dtype))}
    with pytest.raises(error):  # PyTorch raises the same class
        types.FunctionType(fn.__code__, as_torch)()
