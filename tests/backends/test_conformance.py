"""One backend conformance suite, run on every device: the same tests, the same expectations.

Devices: ``cpu``; ``cuda`` when a GPU and CuPy are here (skipped with the reason otherwise); and
``fake_cuda``, the real ``CupyBackend`` running on a NumPy-based stand-in for CuPy
(``fake_cupy.py``), so the GPU code path is exercised on every machine.

Every result is compared with a float64 reference computed on the host, and every tensor an op
returns must hold the device's own array type (a NumPy array leaking into a "cuda" tensor fails).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fake_cupy
import numpy
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import backends, optim
from minigrad.autograd import primitives
from minigrad.ops import elementwise
from minigrad.ops import shape as shape_ops
from minigrad.ops.classification import LogSoftmaxBackward
from minigrad.ops.composite import pad
from minigrad.utils.checkpoint import checkpoint

DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("cuda", id="cuda", marks=pytest.mark.cuda),
    pytest.param("fake_cuda", id="fake_cuda"),
]


@pytest.fixture(params=DEVICES)
def device(request: Any, monkeypatch: Any) -> str:
    """The device string under test (``fake_cuda`` installs the fake CuPy as ``"cuda"``).

    ``cuda`` skips, with the reason, where there is no GPU (as ``requires_cuda`` in
    tests/conftest.py, which cannot be imported from here: every test folder has a conftest).
    """
    if request.param == "cuda":
        reason = backends.available().get("cuda")
        if reason is not None:
            pytest.skip(f"no CUDA GPU: {reason}")
    if request.param == "fake_cuda":
        fake_cupy.install(monkeypatch)
        request.addfinalizer(fake_cupy.uninstall)
        return "cuda"
    return request.param


def assert_on(tensor: minigrad.Tensor, device: str) -> None:
    """``tensor`` lives on ``device`` and holds that backend's own array type."""
    backend = backends.get(device)
    assert tensor.backend is backend, f"on {tensor.backend.name}, expected {backend.name}"
    if backend.type == "cpu" and isinstance(tensor._array, numpy.generic):
        return  # NumPy turns 0-d results into scalars (np.float32); CuPy keeps 0-d arrays
    assert backend.is_array(tensor._array), (
        f"a {type(tensor._array).__module__}.{type(tensor._array).__name__} leaked into a {backend.name} tensor"
    )
    if backend.type == "cuda":
        assert tensor._array.device.id == backend.index


def host(tensor: minigrad.Tensor) -> numpy.ndarray:
    return tensor.detach().cpu().numpy()


def on(like: minigrad.Tensor, data: Any, dtype: str = "int64") -> minigrad.Tensor:
    """An integer (index) tensor on ``like``'s device."""
    return minigrad.tensor(data, dtype=dtype, device=like.device)


# --- every primitive: forward and gradient against a float64 host reference -------------------
@dataclass(frozen=True)
class Case:
    """``fn(*tensors)`` on inputs of ``shapes``; ``positive`` draws inputs in [0.5, 1.5)."""

    fn: Callable[..., minigrad.Tensor]
    shapes: tuple[tuple[int, ...], ...]
    positive: bool = False
    tolerance: float = 1e-4

    def inputs(self, seed: int = 0) -> list[numpy.ndarray]:
        rng = numpy.random.default_rng(seed)
        if self.positive:
            return [rng.uniform(0.5, 1.5, shape) for shape in self.shapes]
        # Keep values away from 0 so that abs/relu/clamp kinks are never hit by rounding.
        values = [rng.uniform(0.1, 1.0, shape) * rng.choice([-1.0, 1.0], shape) for shape in self.shapes]
        return values


CONV_CONFIGS = {  # (input shape, weight shape, keyword arguments)
    "plain": ((2, 3, 7, 7), (4, 3, 3, 3), {}),
    "stride2": ((2, 3, 8, 7), (4, 3, 3, 3), {"stride": 2}),
    "padding1": ((2, 3, 6, 6), (4, 3, 3, 3), {"padding": 1}),
    "dilation2": ((1, 2, 9, 9), (3, 2, 3, 3), {"dilation": 2}),
    "groups2": ((2, 4, 6, 6), (6, 2, 3, 3), {"groups": 2}),
    "depthwise": ((2, 3, 6, 6), (3, 1, 3, 3), {"groups": 3, "padding": 1}),
    "all": ((2, 4, 11, 10), (4, 2, 3, 2),
            {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 2}),
}

CASES: dict[str, Case] = {
    "add": Case(lambda a, b: a + b, ((3, 4), (4,))),
    "sub": Case(lambda a, b: a - b, ((3, 1), (1, 4))),
    "mul": Case(lambda a, b: a * b, ((2, 3, 4), (3, 4))),
    "div": Case(lambda a, b: a / b, ((3, 4), (3, 4)), positive=True),
    "neg": Case(lambda a: -a, ((5,),)),
    "pow_scalar": Case(lambda a: a**3, ((3, 4),), positive=True),
    "pow_tensor": Case(lambda a, b: a**b, ((3, 4), (3, 4)), positive=True),
    "exp": Case(lambda a: a.exp(), ((3, 4),)),
    "log": Case(lambda a: a.log(), ((3, 4),), positive=True),
    "sqrt": Case(lambda a: a.sqrt(), ((3, 4),), positive=True),
    "abs": Case(lambda a: a.abs(), ((3, 4),)),
    "clamp": Case(lambda a: a.clamp(-0.55, 0.45), ((4, 5),)),
    "clamp_min_only": Case(lambda a: a.clamp(min=0.05), ((4, 5),)),
    "clamp_max_only": Case(lambda a: a.clamp(max=-0.05), ((4, 5),)),
    "leaky_relu": Case(lambda a: F.leaky_relu(a, 0.1), ((4, 5),)),
    "relu": Case(lambda a: a.relu(), ((4, 5),)),
    "sigmoid": Case(lambda a: a.sigmoid(), ((4, 5),)),
    "tanh": Case(lambda a: a.tanh(), ((4, 5),)),
    "tanh_backward": Case(lambda g, out: elementwise.TanhBackward.apply(g, out), ((4, 5), (4, 5))),
    "log_softmax_backward": Case(lambda g, out: LogSoftmaxBackward.apply(g, out, dim=1), ((4, 5), (4, 5))),
    "erf": Case(lambda a: a.erf(), ((4, 5),)),
    "log1p": Case(lambda a: a.log1p(), ((4, 5),), positive=True),
    "expm1": Case(lambda a: a.expm1(), ((4, 5),)),
    "where": Case(lambda a, b: minigrad.where(a > 0, a, b), ((3, 4), (3, 4))),
    # minigrad.ops.unary, binary and scan (the math of issue 10)
    "sin_cos_tan": Case(lambda a: a.sin() * a.cos() + (a * 0.9).tan(), ((3, 4),)),
    "inverse_trig": Case(lambda a: (a * 0.9).asin() + (a * 0.9).acos() + a.atan(), ((3, 4),)),
    "hyperbolic": Case(lambda a: a.sinh() + a.cosh() + a.asinh() + (a + 1).acosh() + (a * 0.6).atanh(),
                       ((3, 4),), positive=True),
    "logs_and_exps": Case(lambda a: a.log2() + a.log10() + a.log1p() + a.expm1() + a.exp2(), ((3, 4),),
                          positive=True),
    "erf_family": Case(lambda a: a.erf() + a.erfc() + (a * 0.9).erfinv(), ((3, 4),)),
    "step_functions": Case(lambda a: a * (a * 3).floor() + (a * 3).ceil() + (a * 3).round() + (a * 3).trunc()
                           + a.sign() + a.round(decimals=1), ((3, 4),)),
    "atan2_hypot": Case(lambda a, b: minigrad.atan2(a, b) + minigrad.hypot(a, b), ((3, 4), (4,))),
    "fmod_remainder": Case(lambda a, b: minigrad.fmod(a, b) + a % b + a * (a // b), ((3, 4), (3, 4)),
                           positive=True),
    "cumsum_cumprod": Case(lambda a: a.cumsum(1) + a.cumprod(0).cumprod(1), ((3, 4),)),
    "cummax_cummin": Case(lambda a: a.cummax(1).values + a.cummin(0).values * a, ((3, 4),)),
    "svd_norms": Case(lambda a: minigrad.linalg.matrix_norm(a, "nuc") + minigrad.linalg.matrix_norm(a, 2)
                      - minigrad.linalg.matrix_norm(a, -2), ((3, 4),), tolerance=2e-4),
    "cumprod_with_zeros": Case(lambda a: (a * on(a, [[1, 0, 1, 1], [1, 1, 1, 0]], a.dtype)).cumprod(1), ((2, 4),)),
    "sum_all": Case(lambda a: a.sum(), ((3, 4),)),
    "sum_dim": Case(lambda a: a.sum((0, 2), keepdim=True), ((2, 3, 4),)),
    "amax": Case(lambda a: a.amax(1), ((3, 5),)),
    "amin": Case(lambda a: a.amin(0, keepdim=True), ((3, 5),)),
    "reshape": Case(lambda a: a.reshape(4, 3) * on(a, [1.0, 2.0, 3.0], a.dtype), ((3, 4),)),
    "permute": Case(lambda a: a.permute(2, 0, 1), ((2, 3, 4),)),
    "expand": Case(lambda a: a.expand(3, 4), ((1, 4),)),
    "sum_to": Case(lambda a: a.sum_to_size(1, 4), ((3, 4),)),
    "getitem_basic": Case(lambda a: a[1:, ::2], ((3, 5),)),
    "getitem_repeated_index": Case(lambda a: a[on(a, [0, 2, 0, 0])], ((3, 4),)),
    "getitem_mask": Case(lambda a: a[a.detach() > 0], ((4, 5),)),
    "index_add_into": Case(
        lambda v: shape_ops.IndexAddInto.apply(v, shape=(3, 2), key=(on(v, [2, 0, 2])._array,)), ((3, 2),)
    ),
    "index_put": Case(lambda a, v: shape_ops.IndexPut.apply(a, v, key=(slice(1, None), [0, 2])), ((3, 4), (2, 2))),
    "copy_slices": Case(lambda a, v: _write_through_view(a, v), ((3, 4), (4, 2))),
    "cat": Case(lambda a, b: minigrad.cat([a, b], 1), ((2, 3), (2, 2))),
    "stack": Case(lambda a, b: minigrad.stack([a, b], 0), ((2, 3), (2, 3))),
    "constant_pad": Case(lambda a: pad(a, (1, 2, 0, 1), value=0.5), ((2, 3, 4),)),
    "reflect_pad": Case(lambda a: pad(a, (2, 1), mode="reflect"), ((2, 3, 4),)),
    # (a * 1): .to() of a LEAF gives a new leaf here (see Tensor.to), so cast a non-leaf.
    "cast": Case(lambda a: (a * 1).to("float64").to(a.dtype) * 2, ((3, 4),)),
    "matmul": Case(lambda a, b: a @ b, ((3, 4), (4, 5))),
    "matmul_batched": Case(lambda a, b: a @ b, ((2, 3, 4), (4, 2))),
    "matmul_vector": Case(lambda a, b: a @ b, ((4,), (4, 3))),
    "softmax": Case(lambda a: a.softmax(1), ((3, 5),)),
    "log_softmax": Case(lambda a: a.log_softmax(0), ((3, 5),)),
    "mean_var": Case(lambda a: a.mean(1) + a.var(0).sum(), ((4, 5),)),
    "maximum": Case(lambda a, b: minigrad.maximum(a, b), ((3, 4), (3, 4))),
    "minimum": Case(lambda a, b: minigrad.minimum(a, b), ((3, 4), (3, 4))),
    "checkpoint": Case(lambda a: checkpoint(lambda t: t.tanh() * t, a, use_reentrant=False), ((3, 4),)),
    "max_with_indices": Case(lambda a: a.max(1).values * 2, ((3, 4),)),
    "std_scalar_ops": Case(lambda a: (a.std() + 1) * a / 2 - 3, ((3, 4),)),
    "nll_loss": Case(lambda x: F.nll_loss(x.log_softmax(1), on(x, [2, 0, 1])), ((3, 4),)),
    "linear": Case(lambda x, w, b: F.linear(x, w, b), ((4, 3), (2, 3), (2,))),
    "cross_entropy": Case(lambda x: F.cross_entropy(x, on(x, [0, 3, 1])), ((3, 4),)),
    "mse_loss": Case(lambda a, b: F.mse_loss(a, b), ((3, 4), (3, 4))),
    "batch_norm_train": Case(
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), ((4, 3, 2, 2), (3,), (3,))
    ),
    "max_pool2d": Case(lambda x: F.max_pool2d(x, 2), ((2, 3, 6, 6),)),
    # Its gradient as a function of the upstream gradient (scatter_to_winners; gather_winners
    # in backward); "* x" gives x a gradient too.
    "max_pool2d_gradient": Case(
        lambda x, dy: minigrad.autograd.grad(F.max_pool2d(x, 2), x, dy, create_graph=True)[0] * x,
        ((2, 3, 7, 6), (2, 3, 3, 3)),
    ),
    "max_pool2d_strided": Case(lambda x: F.max_pool2d(x, 3, stride=2, padding=1), ((2, 2, 7, 7),)),
    "max_pool2d_dilated": Case(
        lambda x: F.max_pool2d(x, 2, stride=1, dilation=2, ceil_mode=True), ((1, 2, 6, 5),)
    ),
    # Windows of one cell, and one window per column of a single plane: each tap a contiguous
    # piece of x, which the forward must copy, never return or update in place.
    "max_pool2d_one_cell": Case(lambda x: F.max_pool2d(x, 1), ((2, 2, 3, 3),)),
    "max_pool2d_column_windows": Case(lambda x: F.max_pool2d(x, (4, 1)), ((1, 1, 4, 3),)),
    "avg_pool2d": Case(lambda x: F.avg_pool2d(x, 2), ((2, 3, 6, 6),)),
    "avg_pool2d_padded": Case(
        lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), ((1, 2, 7, 6),)
    ),
    "adaptive_avg_pool2d": Case(lambda x: F.adaptive_avg_pool2d(x, (2, 3)), ((2, 2, 5, 7),)),
    "unfold": Case(lambda x: F.unfold(x, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2)), ((2, 3, 7, 6),)),
    "unfold_stride1": Case(lambda x: F.unfold(x, 3, padding=1), ((2, 2, 5, 6),)),
    "fold": Case(lambda c: F.fold(c, (6, 5), 3, stride=2, padding=1), ((2, 18, 9),)),
    # Issue 11's layers: composites, run here so every device computes them alike.
    "gelu": Case(lambda a: F.gelu(a) + F.gelu(a, approximate="tanh"), ((4, 5),)),
    "softplus_mish_elu": Case(lambda a: F.softplus(a, 2.0) + F.mish(a) + F.elu(a) + F.logsigmoid(a), ((4, 5),)),
    "prelu": Case(lambda a, w: F.prelu(a, w), ((2, 3, 4), (3,))),
    "layer_norm": Case(lambda x, w, b: F.layer_norm(x, (4,), w, b), ((3, 2, 4), (4,), (4,))),
    "group_norm": Case(lambda x, w, b: F.group_norm(x, 2, w, b), ((2, 4, 3), (4,), (4,))),
    "instance_norm": Case(lambda x: F.instance_norm(x), ((2, 3, 5),)),
    "rms_norm": Case(lambda x, w: F.rms_norm(x, (4,), w), ((3, 4), (4,))),
    "local_response_norm": Case(lambda x: F.local_response_norm(x, 3, alpha=0.5), ((2, 5, 3),)),
    "embedding": Case(lambda w: F.embedding(on(w, [[0, 2, 2], [3, 1, 0]]), w, padding_idx=1), ((4, 3),)),
    "embedding_bag_max": Case(
        lambda w: F.embedding_bag(on(w, [0, 2, 2, 3, 1]), w, on(w, [0, 2, 2]), mode="max"), ((4, 3),)
    ),
    "bce_with_logits": Case(
        lambda x, t: F.binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=t[0].detach().abs()),
        ((3, 4), (3, 4)),
    ),
    "regression_losses": Case(
        lambda a, b: F.smooth_l1_loss(a, b, beta=0.5) + F.huber_loss(a, b) + F.l1_loss(a, b), ((3, 4), (3, 4))
    ),
    "kl_div": Case(lambda x, t: F.kl_div(x.log_softmax(1), t.softmax(1), reduction="batchmean"), ((3, 4), (3, 4))),
    "cosine_distance": Case(
        lambda a, b: F.cosine_similarity(a, b) + F.pairwise_distance(a, b) + F.normalize(a).sum(1), ((3, 4), (3, 4))
    ),
    "bilinear": Case(lambda a, b, w: F.bilinear(a, b, w), ((2, 3), (2, 2), (4, 3, 2))),
    # indexing, sorting, layout and products (composites, plus the strided views and scatter_prod)
    "diagonal": Case(lambda a: a.diagonal(1, 0, 2) * 2, ((3, 2, 4),)),
    "unfold_dim": Case(lambda a: a.unfold(1, 3, 2) * 2, ((2, 7),)),
    "scatter_prod": Case(lambda a, s: a.scatter_reduce(0, on(a, [[0, 1], [0, 0], [2, 1]]), s, "prod"),
                         ((3, 2), (3, 2))),
    "scatter_amax": Case(lambda a, s: a.scatter_reduce(1, on(a, [[0, 0], [2, 1]]), s, "amax", include_self=False),
                         ((2, 3), (2, 2))),
    "gather_scatter_add": Case(lambda a, s: a.gather(1, on(a, [[0, 2], [1, 1]])).scatter_add(0, on(a, [[1, 0]]), s),
                               ((2, 3), (1, 2))),
    "sort_topk_median": Case(lambda a: a.sort(1).values * 2 + a.topk(2, 1).values.sum() + a.median(0).values.sum(),
                             ((3, 4),)),
    "einsum": Case(lambda a, b: minigrad.einsum("bij,jk->bik", a, b), ((2, 3, 4), (4, 2))),
    "flip_roll_repeat": Case(lambda a: a.flip(0).roll(1, 1).repeat(2, 1).tril(), ((3, 4),)),
    "masked_index_select": Case(lambda a: a.masked_fill(a.detach() > 0.5, 0.0).index_select(1, on(a, [2, 0, 2])),
                                ((3, 4),)),
    "cross_kron_diag_embed": Case(lambda a, b: minigrad.kron(minigrad.cross(a, b, 1), minigrad.diag_embed(a[0])),
                                  ((2, 3), (2, 3))),
}
for _name, (_x, _w, _kwargs) in CONV_CONFIGS.items():
    CASES[f"conv2d_{_name}"] = Case(
        lambda x, w, b, kwargs=_kwargs: F.conv2d(x, w, b, **kwargs), (_x, _w, (_w[0],)), tolerance=2e-4
    )

# Primitives whose conformance is covered by a dedicated test below, not by CASES.
COVERED_ELSEWHERE = {"to_device": "test_tensor_to_moves_data_and_grad"}


def forward_backward(case: Case, arrays: list[numpy.ndarray], device: str, dtype: str, upstream: Any):
    """Output and input gradients of ``sum(fn(*inputs) * upstream)`` on ``device`` in ``dtype``."""
    inputs = [minigrad.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in arrays]
    out = case.fn(*inputs)
    weights = minigrad.tensor(upstream(out.shape), dtype=out.dtype, device=device)
    (out * weights).sum().backward()
    return out, [t.grad for t in inputs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_primitive_forward_and_gradient_match_float64_host_reference(device: str, name: str) -> None:
    case = CASES[name]
    arrays = case.inputs()
    rng = numpy.random.default_rng(1)
    weights: dict[tuple, numpy.ndarray] = {}

    def upstream(shape: tuple) -> numpy.ndarray:
        if shape not in weights:
            weights[shape] = rng.uniform(0.5, 1.5, shape)
        return weights[shape]

    expected, expected_grads = forward_backward(case, arrays, "cpu", "float64", upstream)
    out, grads = forward_backward(case, arrays, device, "float32", upstream)

    assert_on(out, device)
    assert out.dtype == minigrad.float32, f"{name} turned float32 into {out.dtype}"
    assert out.shape == expected.shape
    tolerance = case.tolerance
    numpy.testing.assert_allclose(host(out), host(expected), rtol=tolerance, atol=tolerance, err_msg=name)
    for position, (grad, expected_grad) in enumerate(zip(grads, expected_grads)):
        assert grad is not None, f"{name}: no gradient for input {position}"
        assert_on(grad, device)
        assert grad.dtype == minigrad.float32
        numpy.testing.assert_allclose(
            host(grad), host(expected_grad), rtol=tolerance, atol=tolerance, err_msg=f"{name} grad {position}"
        )


def test_every_builtin_primitive_has_a_conformance_case() -> None:
    """Each built-in primitive is reached by some case, in forward or in backward (the cases'
    gradients are taken with ``create_graph=True`` so backward's ops are recorded too)."""
    reached: set[str] = set(COVERED_ELSEWHERE)
    for case in CASES.values():
        inputs = [minigrad.tensor(a, dtype="float32", requires_grad=True) for a in case.inputs()]
        out = case.fn(*inputs)
        grads = minigrad.autograd.grad(out.sum(), inputs, create_graph=True, allow_unused=True)
        reached |= _op_names([out, *[g for g in grads if g is not None]])
    builtin = {name for name, op in primitives().items() if op.__module__.startswith("minigrad.")}
    missing = sorted(builtin - reached)
    assert not missing, (
        f"built-in primitives with no conformance case: {missing}; add a Case for each to CASES in "
        "tests/backends/test_conformance.py"
    )


def _op_names(tensors: list[minigrad.Tensor]) -> set[str]:
    names, seen = set(), set()
    stack = [t.grad_fn for t in tensors if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.name)
        for edge in node.next_functions:
            if edge is not None and hasattr(edge[0], "next_functions"):  # a Node, not a leaf
                stack.append(edge[0])
    return names


# --- the backend's own methods ----------------------------------------------------------------
def test_factories_and_comparisons_stay_on_device(device: str) -> None:
    made = [
        minigrad.zeros(2, 3, device=device), minigrad.ones(2, device=device),
        minigrad.full((2,), 1.5, device=device), minigrad.eye(3, device=device),
        minigrad.arange(5, device=device), minigrad.linspace(0, 1, 4, device=device),
        minigrad.randn(3, device=device), minigrad.rand(3, device=device),
        minigrad.randint(0, 5, (4,), device=device), minigrad.randperm(5, device=device),
        minigrad.tensor([[1.0, 2.0]], device=device),
    ]
    x = made[-1]
    made += [x > 1, x == x, x.argmax(1), x.new_zeros(2), x.new_full((2,), 3.0), x.sum(dtype="float64")]
    for tensor in made:
        assert_on(tensor, device)
    assert made[0].dtype == minigrad.float32 and made[4].dtype == minigrad.int64
    assert sorted(host(made[9]).tolist()) == [0, 1, 2, 3, 4]


def test_random_numbers_are_reproducible_with_manual_seed(device: str) -> None:
    minigrad.manual_seed(7)
    first = [minigrad.randn(1000, device=device), minigrad.rand(1000, device=device),
             minigrad.randint(3, 9, (1000,), device=device)]
    minigrad.manual_seed(7)
    again = [minigrad.randn(1000, device=device), minigrad.rand(1000, device=device),
             minigrad.randint(3, 9, (1000,), device=device)]
    for a, b in zip(first, again):
        assert_on(a, device)
        numpy.testing.assert_array_equal(host(a), host(b))
    normal, uniform, integers = (host(t) for t in first)
    assert normal.dtype == numpy.float32 and abs(normal.mean()) < 0.15 and 0.85 < normal.std() < 1.15
    assert uniform.dtype == numpy.float32 and uniform.min() >= 0 and uniform.max() < 1
    assert integers.dtype == numpy.int64 and set(integers.tolist()) == set(range(3, 9))
    assert minigrad.randn(4, dtype="float16", device=device).dtype == minigrad.float16
    assert minigrad.randn(4, dtype="float64", device=device).dtype == minigrad.float64


def test_samplers_and_generators_stay_on_device_and_reproduce(device: str) -> None:
    def draw(generator=None):
        g = {"generator": generator}
        weights = minigrad.tensor([[1.0, 0.0, 3.0], [2.0, 2.0, 0.0]], device=device)
        return [minigrad.rand(5, device=device, **g), minigrad.randn(size=(5,), device=device, **g),
                minigrad.randint(0, 9, (5,), device=device, **g), minigrad.randperm(5, device=device, **g),
                minigrad.normal(weights, 1.0, **g), minigrad.bernoulli(weights / 4, **g),
                minigrad.multinomial(weights, 2, **g), minigrad.multinomial(weights, 50, True, **g),
                minigrad.poisson(weights, **g), minigrad.empty(4, device=device).uniform_(**g),
                minigrad.empty(4, device=device).exponential_(**g), minigrad.empty(4, device=device).random_(5, **g)]

    minigrad.manual_seed(5)
    first = draw()
    minigrad.manual_seed(5)
    for a, b in zip(first, draw()):
        assert_on(a, device)
        numpy.testing.assert_array_equal(host(a), host(b))
    assert 1 not in host(first[6])[0] and 2 not in host(first[7])[1]  # zero weights are never drawn
    from_generator = draw(minigrad.Generator(device).manual_seed(9))
    for a, b in zip(from_generator, draw(minigrad.Generator(device).manual_seed(9))):
        assert_on(a, device)
        numpy.testing.assert_array_equal(host(a), host(b))


def test_rng_state_round_trips(device: str) -> None:
    minigrad.manual_seed(3)
    minigrad.randn(10, device=device)
    state = minigrad.get_rng_state(device)
    expected = host(minigrad.rand(50, device=device))
    minigrad.set_rng_state(state, device)
    numpy.testing.assert_array_equal(host(minigrad.rand(50, device=device)), expected)


def test_dropout_is_reproducible_with_manual_seed(device: str) -> None:
    x = minigrad.ones(20000, device=device)
    minigrad.manual_seed(11)
    first = F.dropout(x, 0.3)
    minigrad.manual_seed(11)
    again = F.dropout(x, 0.3)
    assert_on(first, device)
    numpy.testing.assert_array_equal(host(first), host(again))
    values = host(first)
    assert set(numpy.unique(values).tolist()) <= {0.0, numpy.float32(1 / 0.7)}
    assert abs((values == 0).mean() - 0.3) < 0.02


def test_scatter_add_accumulates_repeated_indices(device: str) -> None:
    backend = backends.get(device)
    target = backend.xp.zeros((4, 2), dtype=numpy.float32)
    index = backend.asarray(numpy.array([1, 3, 1, 1]))
    values = backend.asarray(numpy.arange(8, dtype=numpy.float32).reshape(4, 2))
    backend.scatter_add(target, (index,), values)
    expected = numpy.zeros((4, 2), numpy.float32)
    numpy.add.at(expected, (numpy.array([1, 3, 1, 1]),), numpy.arange(8, dtype=numpy.float32).reshape(4, 2))
    numpy.testing.assert_array_equal(backend.to_numpy(target), expected)


def test_sliding_window_view_matches_numpy(device: str) -> None:
    backend = backends.get(device)
    data = numpy.arange(2 * 3 * 6 * 5, dtype=numpy.float32).reshape(2, 3, 6, 5)
    view = backend.sliding_window_view(backend.asarray(data), (3, 2), axis=(2, 3))
    expected = numpy.lib.stride_tricks.sliding_window_view(data, (3, 2), axis=(2, 3))
    assert backend.is_array(view)
    numpy.testing.assert_array_equal(backend.to_numpy(view), expected)


def _write_through_view(a, value):
    h = a * 2
    h[1:].T.mul_(value)  # an in-place op on a view of a view: h's grad_fn becomes copy_slices
    return h


# --- moving between devices -------------------------------------------------------------------
def test_tensor_to_moves_data_differentiably(device: str) -> None:
    x = minigrad.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    moved = x.to(device)
    assert_on(moved, device)
    numpy.testing.assert_array_equal(host(moved), host(x))
    assert moved.to(device) is moved  # already there: the same tensor
    # As in PyTorch, the move is part of the graph: the gradient comes back to the CPU leaf.
    (moved * minigrad.tensor([[2.0, 3.0], [4.0, 5.0]], device=device)).sum().backward()
    assert_on(x.grad, "cpu")
    numpy.testing.assert_array_equal(host(x.grad), [[2.0, 3.0], [4.0, 5.0]])
    back = moved.detach().to("cpu")
    assert_on(back, "cpu")


def test_module_to_moves_parameters_and_grads_in_place(device: str) -> None:
    layer = minigrad.nn.Linear(3, 2)
    weight = layer.weight
    layer.weight.grad = minigrad.ones(2, 3)
    layer.to(device)
    assert layer.weight is weight  # an optimizer built before .to still holds it
    assert_on(layer.weight, device)
    assert_on(layer.weight.grad, device)
    assert layer.weight.is_leaf and layer.weight.requires_grad
    layer.to("cpu")
    numpy.testing.assert_array_equal(host(layer.weight.grad), numpy.ones((2, 3)))


def test_ops_on_two_devices_are_refused_with_the_fix(device: str) -> None:
    if device == "cpu":
        pytest.skip("needs a second device: runs on cuda and fake_cuda")
    a, b = minigrad.ones(3), minigrad.ones(3, device=device)
    for op in (lambda: a + b, lambda: b * a, lambda: minigrad.cat([a, b]), lambda: a @ b):
        with pytest.raises(RuntimeError, match=r"same device.*\.to\(device\)"):
            op()


def test_module_to_moves_parameters_and_buffers_in_place(device: str) -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    parameters = list(model.parameters())
    assert model.to(device) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in parameters]
    for tensor in [*model.parameters(), *model.buffers()]:
        assert_on(tensor, device)
    out = model(minigrad.randn(2, 1, 4, 4, device=device))
    out.sum().backward()
    for p in model.parameters():
        assert_on(p.grad, device)
    model.to("cpu")
    for tensor in [*model.parameters(), *model.buffers()]:
        assert_on(tensor, "cpu")
        if tensor.grad is not None:
            assert_on(tensor.grad, "cpu")


def test_save_of_device_tensors_loads_on_cpu_or_map_location(device: str, tmp_path: Any) -> None:
    model = nn.Linear(3, 2).to(device)
    path = tmp_path / "checkpoint.npz"
    minigrad.save({"model": model.state_dict(), "x": minigrad.arange(4, device=device)}, path)
    loaded = minigrad.load(path)
    for tensor in [*loaded["model"].values(), loaded["x"]]:
        assert_on(tensor, "cpu")
    numpy.testing.assert_array_equal(host(loaded["model"]["weight"]), host(model.weight))
    on_device = minigrad.load(path, map_location=device)
    assert_on(on_device["x"], device)
    restored = nn.Linear(3, 2).to(device)
    restored.load_state_dict(loaded["model"])
    assert_on(restored.weight, device)
    numpy.testing.assert_array_equal(host(restored.weight), host(model.weight))


# --- optimizers and training ------------------------------------------------------------------
HOST_STATE = ("step", "mu_product")  # kept on the CPU, as in PyTorch


@pytest.mark.parametrize("make", [
    pytest.param(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01), id="sgd_momentum"),
    pytest.param(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), id="sgd_nesterov"),
    pytest.param(lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.01), id="adam"),
])
def test_optimizer_steps_on_device_equal_the_cpu_steps(device: str, make: Callable) -> None:
    rng = numpy.random.default_rng(0)
    start = [rng.standard_normal((3, 4)).astype(numpy.float32), rng.standard_normal(4).astype(numpy.float32)]
    gradients = [[rng.standard_normal(a.shape).astype(numpy.float32) for a in start] for _ in range(4)]

    def run(where: str) -> tuple[list, Any]:
        params = [minigrad.tensor(a, device=where, requires_grad=True) for a in start]
        optimizer = make(params)
        for step in gradients:
            for p, g in zip(params, step):
                p.grad = minigrad.tensor(g, device=where)
            optimizer.step()
        return params, optimizer

    expected, _ = run("cpu")
    params, optimizer = run(device)
    for p, e in zip(params, expected):
        assert_on(p, device)
        numpy.testing.assert_allclose(host(p), host(e), rtol=1e-5, atol=1e-6)
    for state in optimizer.state.values():  # state is created lazily on the parameter's device
        for key, value in state.items():
            if isinstance(value, minigrad.Tensor):
                # except the step count, which PyTorch keeps on the CPU (read on the host each step)
                assert_on(value, "cpu" if key in HOST_STATE else device)


def test_a_short_training_run_learns(device: str) -> None:
    """A tiny MLP on synthetic data for 20 steps: the loss falls, and matches the CPU run."""
    rng = numpy.random.default_rng(0)
    features = rng.standard_normal((64, 8)).astype(numpy.float32)
    labels = (features[:, 0] + features[:, 1] > 0).astype(numpy.int64) + (features[:, 2] > 1)

    def train(where: str) -> tuple[list[float], nn.Module]:
        minigrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
        model.to(where)
        optimizer = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        x, y = minigrad.tensor(features, device=where), minigrad.tensor(labels, device=where)
        losses = []
        for _ in range(20):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model

    expected, cpu_model = train("cpu")
    losses, model = train(device)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.6 * losses[0], f"the loss did not fall: {losses}"
    numpy.testing.assert_allclose(losses, expected, rtol=2e-3, atol=2e-4)
    for p, e in zip(model.parameters(), cpu_model.parameters()):
        assert_on(p, device)
        numpy.testing.assert_allclose(host(p), host(e), rtol=2e-3, atol=2e-4)
