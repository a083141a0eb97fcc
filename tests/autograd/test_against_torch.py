"""Every op's forward values, output dtype and input gradients match PyTorch's.

Each case is ``(id, minigrad function, torch function, input arrays)``; both frameworks get the
same NumPy data, in float64 and in float32, and the same random upstream gradient. Python
scalars inside the functions check the scalar paths (and that they keep float32 as float32).
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.ops.composite as composite

TOLERANCES = {"float64": {"rtol": 1e-9, "atol": 1e-10}, "float32": {"rtol": 2e-5, "atol": 2e-5}}
RNG = np.random.default_rng(20240601)


def th():
    """PyTorch, imported when a case runs (the ``torch`` fixture has already checked it is here)."""
    import torch

    return torch


def normal(*shape):
    return RNG.standard_normal(shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def nonzero(*shape):
    return RNG.choice([-1.0, 1.0], shape) * RNG.uniform(0.3, 2.0, shape)


def distinct(*shape):
    return (RNG.permutation(int(np.prod(shape))) * 0.25 - 1).reshape(shape)


# --- the cases: (id, minigrad fn, torch fn, inputs) -------------------------------------------
def binary(name, op, make_a=normal, make_b=normal, shapes=((2, 3), (3,))):
    return (name, op, op, [make_a(*shapes[0]), make_b(*shapes[1])])


ARITHMETIC = [
    binary("add_broadcast", lambda a, b: a + b, shapes=((2, 1, 3), (4, 1))),
    binary("sub_broadcast", lambda a, b: a - b, shapes=((3,), (2, 3))),
    binary("mul_broadcast", lambda a, b: a * b, shapes=((2, 3), (2, 1))),
    binary("div_broadcast", lambda a, b: a / b, make_b=nonzero),
    binary("pow_tensor_tensor", lambda a, b: a**b, make_a=positive),
    ("add_scalar", lambda a: a + 2.5, lambda a: a + 2.5, [normal(2, 3)]),
    ("radd_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, [normal(2, 3)]),
    ("sub_scalar", lambda a: a - 1, lambda a: a - 1, [normal(2, 3)]),
    ("rsub_scalar", lambda a: 1.5 - a, lambda a: 1.5 - a, [normal(2, 3)]),
    ("mul_scalar", lambda a: a * 3, lambda a: a * 3, [normal(2, 3)]),
    ("rmul_scalar", lambda a: 0.5 * a, lambda a: 0.5 * a, [normal(2, 3)]),
    ("div_scalar", lambda a: a / 4.0, lambda a: a / 4.0, [normal(2, 3)]),
    ("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, [nonzero(2, 3)]),
    ("pow_scalar", lambda a: a**3, lambda a: a**3, [normal(2, 3)]),
    ("pow_fractional", lambda a: a**0.5, lambda a: a**0.5, [positive(2, 3)]),
    ("pow_negative", lambda a: a**-2, lambda a: a**-2, [nonzero(2, 3)]),
    ("pow_zero", lambda a: a**0, lambda a: a**0, [np.array([0.0, 1.0, -2.0])]),
    ("rpow_scalar", lambda a: 2.0**a, lambda a: 2.0**a, [normal(2, 3)]),
    ("pow_zero_base", lambda a, b: a**b, lambda a, b: a**b,
     [np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.5, 1.5])]),
    ("neg", lambda a: -a, lambda a: -a, [normal(2, 3)]),
    ("sub_self_chain", lambda a: (a - a * 2) / (a * a + 1), lambda a: (a - a * 2) / (a * a + 1), [normal(4)]),
]

COMPARISONS = [
    (f"compare_{name}", op, op, [np.array([1.0, 2.0, 3.0, 2.0]), np.array([2.0, 2.0, 1.0, 5.0])])
    for name, op in [
        ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b), ("gt", lambda a, b: a > b),
        ("ge", lambda a, b: a >= b), ("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b),
        ("lt_scalar", lambda a, b: a < 2), ("ge_scalar", lambda a, b: a >= 2.0),
        ("eq_scalar", lambda a, b: a == 2),
    ]
]


def getitem(name, key, shape=(4, 3, 5)):
    return (f"getitem_{name}", lambda a: a[key], lambda a: a[_torch_key(key)], [normal(*shape)])


INDEXING = [
    getitem("slice", (slice(1, 3), slice(None, None, 2))),
    getitem("int", (1, -1)),
    getitem("none", (None, 0, None)),
    getitem("ellipsis", (Ellipsis, 2)),
    getitem("ellipsis_middle", (0, Ellipsis, slice(1, 4))),
    getitem("int_array_repeated", np.array([0, 2, 0, 0, 3])),
    getitem("int_array_2d", np.array([[1, 1], [0, 3]])),
    getitem("two_arrays_repeated", (np.array([0, 0, 1, 0]), slice(None), np.array([4, 4, 2, 4]))),
    getitem("array_and_slice", (slice(1, None), np.array([2, 2, 0]))),
    getitem("bool_mask_dim0", np.array([True, False, True, True])),
    getitem("bool_mask_full", normal(4, 3, 5) > 0.3),
    getitem("negative_int_array", np.array([-1, -1, 0])),
    # PyTorch has no negative steps, so flip is the reference.
    ("getitem_negative_step", lambda a: a[::-1, :, ::-2], lambda a: a.flip(0, 2)[:, :, ::2],
     [normal(4, 3, 5)]),
    ("getitem_negative_step_range", lambda a: a[3:0:-1], lambda a: a.flip(0)[0:3], [normal(4, 3)]),
]


def _torch_key(key):
    import torch

    convert = lambda part: torch.from_numpy(part) if isinstance(part, np.ndarray) else part
    return tuple(convert(p) for p in key) if isinstance(key, tuple) else convert(key)


REDUCTIONS = [
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), [normal(2, 3, 4)]),
    ("sum_dim", lambda a: a.sum(1), lambda a: a.sum(1), [normal(2, 3, 4)]),
    ("sum_dims_keepdim", lambda a: a.sum((0, -1), keepdim=True), lambda a: a.sum((0, -1), keepdim=True),
     [normal(2, 3, 4)]),
    ("mean_all", lambda a: a.mean(), lambda a: a.mean(), [normal(2, 3, 4)]),
    ("mean_dim_keepdim", lambda a: a.mean(-1, keepdim=True), lambda a: a.mean(-1, keepdim=True),
     [normal(2, 3, 4)]),
    ("mean_dims", lambda a: a.mean((0, 2)), lambda a: a.mean((0, 2)), [normal(2, 3, 4)]),
    ("max_all", lambda a: a.max(), lambda a: a.max(), [distinct(2, 3, 4)]),
    ("min_all", lambda a: a.min(), lambda a: a.min(), [distinct(2, 3, 4)]),
    ("max_dim", lambda a: tuple(a.max(1)), lambda a: tuple(a.max(1)), [distinct(2, 3, 4)]),
    ("max_dim_keepdim", lambda a: tuple(a.max(-1, keepdim=True)), lambda a: tuple(a.max(-1, keepdim=True)),
     [distinct(2, 3, 4)]),
    ("min_dim", lambda a: tuple(a.min(0)), lambda a: tuple(a.min(0)), [distinct(2, 3, 4)]),
    ("amax_dims", lambda a: a.amax((0, 1)), lambda a: a.amax((0, 1)), [distinct(2, 3, 4)]),
    ("amin_keepdim", lambda a: a.amin(2, keepdim=True), lambda a: a.amin(2, keepdim=True),
     [distinct(2, 3, 4)]),
    ("argmax", lambda a: a.argmax(1), lambda a: a.argmax(1), [distinct(2, 3, 4)]),
    # Ties share the gradient equally in amax/amin and in the full max()/min(), as in PyTorch.
    ("amax_ties", lambda a: a.amax(1), lambda a: a.amax(1), [np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])]),
    ("amin_ties_all", lambda a: a.amin((0, 1)), lambda a: a.amin((0, 1)),
     [np.array([[0.0, 3.0], [0.0, 0.0]])]),
    ("max_all_ties", lambda a: a.max(), lambda a: a.max(), [np.array([[1.0, 3.0], [3.0, 0.0]])]),
    ("var_all", lambda a: a.var(), lambda a: a.var(), [normal(2, 3, 4)]),
    ("var_dim_keepdim", lambda a: a.var(1, keepdim=True), lambda a: a.var(1, keepdim=True),
     [normal(2, 3, 4)]),
    ("var_biased", lambda a: a.var((0, 2), unbiased=False), lambda a: a.var((0, 2), unbiased=False),
     [normal(2, 3, 4)]),
    ("var_correction", lambda a: a.var(0, correction=0), lambda a: a.var(0, correction=0), [normal(5, 3)]),
    ("std_all", lambda a: a.std(), lambda a: a.std(), [normal(2, 3, 4)]),
    ("std_dim", lambda a: a.std(-1, keepdim=True), lambda a: a.std(-1, keepdim=True), [normal(2, 3, 4)]),
]

SHAPES = [
    ("reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [normal(2, 3, 4)]),
    ("reshape_tuple", lambda a: a.reshape((3, 8)), lambda a: a.reshape((3, 8)), [normal(2, 3, 4)]),
    ("view", lambda a: a.view(6, 4), lambda a: a.view(6, 4), [normal(2, 3, 4)]),
    ("flatten", lambda a: a.flatten(), lambda a: a.flatten(), [normal(2, 3, 4)]),
    ("flatten_range", lambda a: a.flatten(1), lambda a: a.flatten(1), [normal(2, 3, 4)]),
    ("transpose", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [normal(2, 3, 4)]),
    ("transpose_negative", lambda a: a.transpose(-1, -2), lambda a: a.transpose(-1, -2), [normal(2, 3, 4)]),
    ("T", lambda a: a.T, lambda a: a.T, [normal(2, 3)]),
    ("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [normal(2, 3, 4)]),
    ("squeeze_all", lambda a: a.squeeze(), lambda a: a.squeeze(), [normal(2, 1, 3, 1)]),
    ("squeeze_dim", lambda a: a.squeeze(1), lambda a: a.squeeze(1), [normal(2, 1, 3, 1)]),
    ("squeeze_non_unit_dim", lambda a: a.squeeze(0), lambda a: a.squeeze(0), [normal(2, 1, 3)]),
    ("unsqueeze", lambda a: a.unsqueeze(1), lambda a: a.unsqueeze(1), [normal(2, 3)]),
    ("unsqueeze_negative", lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(-1), [normal(2, 3)]),
    ("expand", lambda a: a.expand(4, 2, 3), lambda a: a.expand(4, 2, 3), [normal(2, 1)]),
    ("expand_minus_one", lambda a: a.expand(-1, 5), lambda a: a.expand(-1, 5), [normal(3, 1)]),
    ("cat", lambda a, b: minigrad.cat([a, b, a], 1), lambda a, b: th().cat([a, b, a], 1),
     [normal(2, 3), normal(2, 4)]),
    ("cat_negative_dim", lambda a, b: minigrad.cat([a, b], -1), lambda a, b: th().cat([a, b], -1),
     [normal(2, 3), normal(2, 1)]),
    ("stack", lambda a, b: minigrad.stack([a, b], 1), lambda a, b: th().stack([a, b], 1),
     [normal(2, 3), normal(2, 3)]),
    ("stack_last", lambda a, b: minigrad.stack([a, b], -1), lambda a, b: th().stack([a, b], -1),
     [normal(2, 3), normal(2, 3)]),
]

ELEMENTWISE = [
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [normal(2, 3)]),
    ("log", lambda a: a.log(), lambda a: a.log(), [positive(2, 3)]),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), [positive(2, 3)]),
    ("abs", lambda a: a.abs(), lambda a: a.abs(), [nonzero(2, 3)]),
    ("clamp_both", lambda a: a.clamp(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [normal(4, 5)]),
    ("clamp_min", lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), [normal(4, 5)]),
    ("clamp_max", lambda a: a.clamp(max=-0.2), lambda a: a.clamp(max=-0.2), [normal(4, 5)]),
    ("relu", lambda a: a.relu(), lambda a: a.relu(), [nonzero(4, 5)]),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid(), [normal(4, 5) * 5]),
    ("sigmoid_large", lambda a: a.sigmoid(), lambda a: a.sigmoid(),
     [np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])]),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), [normal(4, 5)]),
    ("softmax", lambda a: a.softmax(-1), lambda a: a.softmax(-1), [normal(3, 5)]),
    ("softmax_dim0", lambda a: a.softmax(0), lambda a: a.softmax(0), [normal(3, 5)]),
    ("softmax_large", lambda a: a.softmax(1), lambda a: a.softmax(1),
     [np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]])]),
    ("log_softmax", lambda a: a.log_softmax(-1), lambda a: a.log_softmax(-1), [normal(3, 5)]),
    ("log_softmax_large", lambda a: a.log_softmax(1), lambda a: a.log_softmax(1),
     [np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0]])]),
    ("where", lambda c, a, b: minigrad.where(c > 0, a, b), lambda c, a, b: th().where(c > 0, a, b),
     [normal(2, 3), normal(2, 3), normal(3)]),
    ("where_scalar", lambda c, a: minigrad.where(c > 0, a, 0.5), lambda c, a: th().where(c > 0, a, 0.5),
     [normal(2, 3), normal(2, 3)]),
    ("maximum", lambda a, b: minigrad.maximum(a, b), lambda a, b: th().maximum(a, b),
     [normal(2, 3), normal(3)]),
    ("minimum", lambda a, b: minigrad.minimum(a, b), lambda a, b: th().minimum(a, b),
     [normal(2, 3), normal(2, 1)]),
    ("maximum_ties", lambda a, b: minigrad.maximum(a, b), lambda a, b: th().maximum(a, b),
     [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])]),
    ("minimum_ties", lambda a, b: minigrad.minimum(a, b), lambda a, b: th().minimum(a, b),
     [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])]),
]

MATMUL = [
    (f"matmul_{a}x{b}", lambda x, y: x @ y, lambda x, y: x @ y, [normal(*a), normal(*b)])
    for a, b in [
        ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
        ((2, 1, 2, 3), (4, 3, 2)), ((3,), (2, 3, 4)), ((2, 4, 3), (3,)), ((1, 2, 3), (5, 3, 2)),
    ]
]


def pad_case(mode, pad, shape):
    def torch_pad(a):
        import torch.nn.functional as F

        return F.pad(a, pad, mode=mode)

    return (f"pad_{mode}_{len(pad)}", lambda a: composite.pad(a, pad, mode=mode), torch_pad, [normal(*shape)])


PADS = [
    pad_case("constant", (1, 2), (2, 3)),
    pad_case("constant", (0, 1, 2, 0, 1, 1), (2, 3, 4)),
    pad_case("reflect", (2, 1), (2, 3, 5)),
    pad_case("reflect", (1, 2, 2, 1), (1, 2, 4, 5)),
    pad_case("replicate", (3, 1), (2, 3, 5)),
    pad_case("replicate", (1, 2, 0, 3), (1, 2, 4, 5)),
    pad_case("circular", (2, 3), (2, 3, 5)),
    pad_case("circular", (1, 1, 2, 0), (1, 2, 4, 5)),
    ("pad_constant_value", lambda a: composite.pad(a, (1, 1), value=2.5),
     lambda a: th().nn.functional.pad(a, (1, 1), value=2.5), [normal(2, 3)]),
]

CASES = ARITHMETIC + COMPARISONS + INDEXING + REDUCTIONS + SHAPES + ELEMENTWISE + MATMUL + PADS


# --- the comparison ------------------------------------------------------------------------
def as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def run_and_compare(torch, mg_fn, torch_fn, arrays, dtype):
    tolerance = TOLERANCES[dtype]
    mg_inputs = [minigrad.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    torch_inputs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    mg_outputs, torch_outputs = as_tuple(mg_fn(*mg_inputs)), as_tuple(torch_fn(*torch_inputs))
    assert len(mg_outputs) == len(torch_outputs)
    seeds = []
    for mine, theirs in zip(mg_outputs, torch_outputs):
        assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "minigrad."), "output dtype differs"
        assert mine.shape == tuple(theirs.shape)
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), **tolerance)
        if theirs.requires_grad:
            seeds.append((mine, theirs, RNG.standard_normal(mine.shape).astype(dtype)))
        else:
            assert not mine.requires_grad, "a non-differentiable output requires grad"
    if not seeds:
        return
    minigrad.autograd.backward([m for m, _, _ in seeds], [minigrad.tensor(s) for _, _, s in seeds])
    torch.autograd.backward([t for _, t, _ in seeds], [torch.tensor(s) for _, _, s in seeds])
    for position, (mine, theirs) in enumerate(zip(mg_inputs, torch_inputs)):
        if theirs.grad is None:
            assert mine.grad is None or not mine.grad.numpy().any(), f"input {position} got a gradient"
            continue
        assert mine.grad is not None, f"input {position} got no gradient"
        assert mine.grad.dtype == mine.dtype, f"input {position}'s gradient has dtype {mine.grad.dtype}"
        assert mine.grad.shape == mine.shape
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), **tolerance,
                                   err_msg=f"gradient of input {position}")


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # 0 ** -0.5 in pow_zero_base
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(torch, case, dtype):
    _, mg_fn, torch_fn, arrays = case
    run_and_compare(torch, mg_fn, torch_fn, arrays, dtype)


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


def test_int_tensor_ops_match_torch_dtypes(torch):
    values = np.array([[1, 2, 3], [4, 5, 6]])
    checks = {
        "add_float": lambda a: a + 1.5, "mul_int": lambda a: a * 2, "div_int": lambda a: a / 2,
        "rdiv": lambda a: 3 / a, "sum": lambda a: a.sum(), "neg": lambda a: -a,
        "pow_float": lambda a: a**0.5, "clamp_float": lambda a: a.clamp(1.5, 4.5),
        "getitem": lambda a: a[:, 1], "matmul": lambda a: a @ a.T, "gt": lambda a: a > 2,
        "max": lambda a: a.max(), "bool_sum": lambda a: (a > 2).sum(),
    }
    for name, fn in checks.items():
        mine, theirs = fn(minigrad.tensor(values)), fn(torch.tensor(values))
        assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "minigrad."), name
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, err_msg=name)
