"""Every built-in primitive's backward agrees with finite differences (float64).

Shapes are drawn by hypothesis, broadcasting and size-1 dimensions included; values are drawn
away from the points where an op is not differentiable (abs and relu at 0, clamp at its bounds,
log and sqrt at non-positive numbers, ties of max). ``CASES`` holds one case per primitive, and
``test_every_builtin_primitive_has_a_case`` fails when a primitive is added without one.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.autograd import gradcheck, primitives
from minigrad.nn import functional as F
from minigrad.ops import composite, elementwise, shape

CORE_OP_MODULES = {
    "minigrad.ops.arithmetic", "minigrad.ops.elementwise", "minigrad.ops.reduction",
    "minigrad.ops.shape", "minigrad.ops.linalg", "minigrad.ops.composite", "minigrad.ops.fold",
    "minigrad.ops.special",
    "minigrad.ops.strided", "minigrad.ops.gather_scatter",
    "minigrad.ops.unary", "minigrad.ops.binary", "minigrad.ops.scan", "minigrad.ops.decompositions",
    "minigrad.ops.classification",
}
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# --- strategies ----------------------------------------------------------------------------
shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
shapes_at_least_1d = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)
shapes_at_least_2d = st.lists(st.integers(1, 3), min_size=2, max_size=3).map(tuple)
rngs = st.integers(0, 2**32 - 1).map(np.random.default_rng)


@st.composite
def broadcast_pairs(draw):
    """Two shapes that broadcast together: some dims of one are 1, leading dims may be missing."""
    full = draw(shapes)
    reduced = [1 if draw(st.booleans()) else n for n in full]
    reduced = tuple(reduced[draw(st.integers(0, len(reduced))):])
    return (full, reduced) if draw(st.booleans()) else (reduced, full)


@st.composite
def dims_of(draw, ndim):
    """``None`` or a non-empty subset of the dims, sometimes negative."""
    if ndim == 0 or draw(st.booleans()):
        return None
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in chosen)


def leaf(rng, shape_, kind="any"):
    """A float64 leaf requiring grad, with values fit for the op under test."""
    if kind == "positive":
        values = rng.uniform(0.5, 2.0, shape_)
    elif kind == "nonzero":
        values = rng.choice([-1.0, 1.0], shape_) * rng.uniform(0.2, 2.0, shape_)
    elif kind == "unit":  # inside (-1, 1), away from its ends (asin, atanh, erfinv)
        values = rng.uniform(-0.9, 0.9, shape_)
    elif kind == "above_one":  # acosh
        values = rng.uniform(1.2, 3.0, shape_)
    elif kind == "distinct":  # no ties, neighbours further apart than gradcheck's eps
        count = int(np.prod(shape_))
        values = (rng.permutation(count) * 0.5 + rng.uniform(0, 0.1)).reshape(shape_)
    else:
        values = rng.uniform(-2.0, 2.0, shape_)
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# --- one case per primitive: draw -> (fn, inputs, gradcheck keyword arguments) -------------
CASES = {}


def case(name):
    def register(builder):
        CASES[name] = builder
        return builder

    return register


def _binary(operator, kind_b="any"):
    def builder(draw):
        shape_a, shape_b = draw(broadcast_pairs())
        rng = draw(rngs)
        return operator, [leaf(rng, shape_a), leaf(rng, shape_b, kind_b)], {}

    return builder


case("add")(_binary(lambda a, b: a + b))
case("sub")(_binary(lambda a, b: a - b))
case("mul")(_binary(lambda a, b: a * b))
case("div")(_binary(lambda a, b: a / b, kind_b="nonzero"))
case("maximum")(_binary(lambda a, b: minigrad.maximum(a, b)))  # random floats: no ties


@case("checkpoint")
def _checkpoint(draw):
    from minigrad.utils.checkpoint import checkpoint

    return (lambda a: checkpoint(lambda t: t.tanh() * t, a, use_reentrant=False)), [leaf(draw(rngs), draw(shapes))], {}


case("minimum")(_binary(lambda a, b: minigrad.minimum(a, b)))


@case("pow")
def _pow(draw):
    rng = draw(rngs)
    variant = draw(st.sampled_from(["tensor**tensor", "tensor**scalar", "scalar**tensor"]))
    if variant == "tensor**tensor":
        shape_a, shape_b = draw(broadcast_pairs())
        return (lambda a, b: a**b), [leaf(rng, shape_a, "positive"), leaf(rng, shape_b)], {}
    x = leaf(rng, draw(shapes), "positive")
    if variant == "tensor**scalar":
        exponent = draw(st.sampled_from([-2, -1.5, 0, 0.5, 1, 2, 3]))
        return (lambda a: a**exponent), [x], {}
    base = draw(st.sampled_from([0.5, 2, 3.0]))
    return (lambda b: base**b), [x], {}


def _unary(operator, kind="any"):
    def builder(draw):
        return operator, [leaf(draw(rngs), draw(shapes), kind)], {}

    return builder


case("neg")(_unary(lambda a: -a))
case("exp")(_unary(lambda a: a.exp()))
case("log")(_unary(lambda a: a.log(), "positive"))
case("sqrt")(_unary(lambda a: a.sqrt(), "positive"))
case("abs")(_unary(lambda a: a.abs(), "nonzero"))
case("relu")(_unary(lambda a: a.relu(), "nonzero"))
case("sigmoid")(_unary(lambda a: a.sigmoid()))
case("tanh")(_unary(lambda a: a.tanh()))
case("erf")(_unary(lambda a: a.erf()))


def _same_shapes(operator, kind_b="any"):
    def builder(draw):
        rng, shape = draw(rngs), draw(shapes)
        return operator, [leaf(rng, shape), leaf(rng, shape, kind_b)], {}

    return builder


# The fused backward ops (tanh's and ReLU's): differentiable again, in both inputs.
case("tanh_backward")(_same_shapes(lambda g, out: elementwise.TanhBackward.apply(g, out)))
case("threshold_backward")(_same_shapes(lambda g, out: elementwise.ThresholdBackward.apply(g, out), "nonzero"))


# Cross entropy's two primitives and log_softmax's fused backward (ops/classification.py).
@case("log_softmax")
def _log_softmax(draw):
    shape_ = draw(shapes_at_least_1d)
    dim = draw(st.integers(-len(shape_), len(shape_) - 1))
    return (lambda a: a.log_softmax(dim)), [leaf(draw(rngs), shape_)], {}


@case("log_softmax_backward")
def _log_softmax_backward(draw):
    from minigrad.ops.classification import LogSoftmaxBackward

    rng, shape_ = draw(rngs), draw(shapes_at_least_1d)
    dim = draw(st.integers(0, len(shape_) - 1))
    return (lambda g, out: LogSoftmaxBackward.apply(g, out, dim=dim)), [leaf(rng, shape_), leaf(rng, shape_)], {}


@case("nll_loss")
def _nll_loss(draw):
    rng = draw(rngs)
    rows, classes = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    target = minigrad.tensor(rng.integers(0, classes, rows))
    reduction = draw(st.sampled_from(["mean", "sum"]))
    return (lambda a: F.nll_loss(a, target, reduction=reduction)), [leaf(rng, (rows, classes))], {}


case("log1p")(_unary(lambda a: a.log1p(), "positive"))
case("expm1")(_unary(lambda a: a.expm1()))


# minigrad.ops.unary: the table of elementwise functions, then the piecewise-constant ones
for _name, _kind in [("sin", "any"), ("cos", "any"), ("tan", "unit"), ("asin", "unit"), ("acos", "unit"),
                     ("atan", "any"), ("sinh", "any"), ("cosh", "any"), ("asinh", "any"),
                     ("acosh", "above_one"), ("atanh", "unit"), ("log2", "positive"), ("log10", "positive"),
                     ("exp2", "any"), ("erfc", "any"),
                     ("erfinv", "unit"), ("sign", "nonzero"), ("floor", "any"), ("ceil", "any"),
                     ("trunc", "any")]:
    case(_name)(_unary(lambda a, name=_name: getattr(a, name)(), _kind))


@case("round")
def _round(draw):
    decimals = draw(st.sampled_from([0, 1, -1]))
    return (lambda a: a.round(decimals=decimals) * a), [leaf(draw(rngs), draw(shapes))], {}


case("atan2")(_binary(lambda a, b: minigrad.atan2(a, b), kind_b="nonzero"))
case("hypot")(_binary(lambda a, b: minigrad.hypot(a, b), kind_b="nonzero"))
case("fmod")(_binary(lambda a, b: minigrad.fmod(a, b), kind_b="nonzero"))
case("remainder")(_binary(lambda a, b: a % b, kind_b="nonzero"))
@case("div_rounded")
def _div_rounded(draw):
    # Rounded division is a step function of a / b: keep every quotient clear of the integer
    # steps, or the finite differences straddle one (and see a jump, not a derivative).
    shape_a, shape_b = draw(broadcast_pairs())
    rng = draw(rngs)
    b = leaf(rng, shape_b, "nonzero")
    shape_ = np.broadcast_shapes(shape_a, shape_b)
    quotient = rng.integers(-3, 3, shape_) + rng.uniform(0.2, 0.8, shape_)
    a = minigrad.tensor(np.asarray(quotient * b.detach().numpy(), dtype=np.float64), requires_grad=True)
    return (lambda a, b: a * (a // b) + minigrad.div(a, b, rounding_mode="trunc")), [a, b], {}


@case("cumsum")
def _cumsum(draw):
    shape_ = draw(shapes)
    dim = draw(st.integers(-max(len(shape_), 1), max(len(shape_), 1) - 1))
    return (lambda a: a.cumsum(dim)), [leaf(draw(rngs), shape_)], {}


@case("cumprod")
def _cumprod(draw):
    shape_ = draw(shapes_at_least_1d)
    dim = draw(st.integers(-len(shape_), len(shape_) - 1))
    rng = draw(rngs)
    values = rng.uniform(-2.0, 2.0, shape_)
    values[rng.random(shape_) < draw(st.sampled_from([0.0, 0.3]))] = 0.0  # exact zeros: PyTorch's special case
    x = minigrad.tensor(values, requires_grad=True)
    return (lambda a: a.cumprod(dim)), [x], {}


@case("cumulative_extremum")
def _cumulative_extremum(draw):
    shape_ = draw(shapes_at_least_1d)
    dim = draw(st.integers(-len(shape_), len(shape_) - 1))
    op = draw(st.sampled_from(["cummax", "cummin"]))
    x = leaf(draw(rngs), shape_, "distinct")  # no ties closer than gradcheck's step
    return (lambda a: getattr(a, op)(dim).values), [x], {}


@case("svd")
def _svd(draw):
    # Well separated singular values (the gradients of U and V divide by their gaps), and a
    # function of U and V that does not depend on their signs (U * U), as any loss must.
    rng = draw(rngs)
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = min(m, n)
    left = np.linalg.qr(rng.standard_normal(batch + (m, k)))[0]
    right = np.linalg.qr(rng.standard_normal(batch + (n, k)))[0]
    values = np.array([3.0, 2.0, 1.0][:k])
    a = minigrad.tensor((left * values) @ np.swapaxes(right, -1, -2), requires_grad=True)

    def sign_free_parts(t):
        u, s, vh = minigrad.linalg.svd(t, full_matrices=False)
        return minigrad.cat([(u * u).reshape(-1), (vh * vh).reshape(-1), s.reshape(-1)])

    return sign_free_parts, [a], {}


@case("clamp")
def _clamp(draw):
    low, high = draw(st.sampled_from([(-0.5, 0.5), (None, 0.3), (-0.3, None)]))
    rng = draw(rngs)
    values = rng.uniform(-2.0, 2.0, draw(shapes))
    for bound, step in ((low, 0.1), (high, 0.1)):
        if bound is not None:  # keep clear of the kink at each bound
            values = np.where(np.abs(values - bound) < 0.05, bound + step, values)
    x = minigrad.tensor(values, requires_grad=True)
    return (lambda a: a.clamp(low, high)), [x], {}


@case("where")
def _where(draw):
    shape_a, shape_b = draw(broadcast_pairs())
    rng = draw(rngs)
    condition_shape = draw(st.sampled_from([shape_a, shape_b]))
    condition = minigrad.tensor(rng.random(condition_shape) < 0.5)
    return (lambda a, b: minigrad.where(condition, a, b)), [leaf(rng, shape_a), leaf(rng, shape_b)], {}


@case("sum")
def _sum(draw):
    shape_ = draw(shapes)
    dim, keepdim = draw(dims_of(len(shape_))), draw(st.booleans())
    return (lambda a: a.sum(dim, keepdim)), [leaf(draw(rngs), shape_)], {}


def _extremum(method):
    def builder(draw):
        shape_ = draw(shapes)
        dim, keepdim = draw(dims_of(len(shape_))), draw(st.booleans())
        return (lambda a: getattr(a, method)(dim, keepdim)), [leaf(draw(rngs), shape_, "distinct")], {}

    return builder


case("amax")(_extremum("amax"))
case("amin")(_extremum("amin"))


@case("reshape")
def _reshape(draw):
    shape_ = draw(shapes_at_least_1d)
    count = int(np.prod(shape_))
    target = draw(st.sampled_from([(count,), (1, count), (count, 1), tuple(reversed(shape_)) + (1,)]))
    assume(target != shape_)
    return (lambda a: a.reshape(target)), [leaf(draw(rngs), shape_)], {}


@case("permute")
def _permute(draw):
    shape_ = draw(shapes_at_least_2d)
    order = draw(st.permutations(range(len(shape_))).filter(lambda p: list(p) != sorted(p)))
    return (lambda a: a.permute(*order)), [leaf(draw(rngs), shape_)], {}


@st.composite
def expansions(draw):
    """``(small, large)``: large grows some size-1 dims of small and may add leading dims."""
    small = draw(shapes)
    grown = tuple(draw(st.integers(1, 3)) if n == 1 else n for n in small)
    large = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) + grown
    assume(large != small)
    return small, large


@case("expand")
def _expand(draw):
    small, large = draw(expansions())
    return (lambda a: a.expand(*large)), [leaf(draw(rngs), small)], {}


@case("sum_to")
def _sum_to(draw):
    small, large = draw(expansions())
    return (lambda a: a.sum_to_size(small)), [leaf(draw(rngs), large)], {}


@st.composite
def index_keys(draw, shape_):
    """A key mixing ints, slices (negative steps too), None, Ellipsis and at most one integer
    array (with repeats) or boolean mask."""
    parts, advanced = [], False
    for n in shape_[: draw(st.integers(1, len(shape_)))]:
        kinds = ["slice", "int", "none"] + ([] if advanced else ["array", "mask"])
        kind = draw(st.sampled_from(kinds))
        if kind == "slice":
            step = draw(st.sampled_from([1, 2, -1, -2]))
            parts.append(slice(None, None, step) if draw(st.booleans()) else slice(n - 1, None, step))
        elif kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "none":
            parts.extend([None, slice(None)])
        elif kind == "array":
            parts.append(np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4))))
            advanced = True
        else:
            parts.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
            advanced = True
    if draw(st.booleans()):
        parts.append(Ellipsis)  # after the parts, so each part still indexes the dim it was drawn for
    return tuple(parts)


@case("getitem")
def _getitem(draw):
    shape_ = draw(shapes_at_least_1d)
    key = draw(index_keys(shape_))
    return (lambda a: a[key]), [leaf(draw(rngs), shape_)], {}


@case("index_add_into")
def _index_add_into(draw):
    n = draw(st.integers(1, 4))
    rows = np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5)))  # repeats
    width = draw(st.integers(1, 3))
    values = leaf(draw(rngs), (len(rows), width))
    return (lambda v: shape.IndexAddInto.apply(v, shape=(n, width), key=rows)), [values], {}


@case("index_put")
def _index_put(draw):
    shape_ = draw(shapes_at_least_1d)
    key = draw(index_keys(shape_))
    hits = np.zeros(shape_)
    np.add.at(hits, key, 1)
    # A cell written twice keeps one of the values (which one is unspecified, as in PyTorch):
    # finite differences cannot see the other, so repeated cells are left to the torch tests.
    assume(hits.max(initial=0) <= 1)
    a = leaf(draw(rngs), shape_)
    value = leaf(draw(rngs), minigrad.zeros(shape_)[key].shape)  # PyTorch's order of dims

    def setitem_on_a_non_leaf(a, value):
        h = a * 1.5
        h[key] = value * 2  # recorded: index_put, then h takes its result in place
        return h

    return setitem_on_a_non_leaf, [a, value], {}


@case("copy_slices")
def _copy_slices(draw):
    shape_ = draw(shapes_at_least_1d)
    start = draw(st.integers(0, shape_[0] - 1))
    transpose = draw(st.booleans()) and len(shape_) >= 2
    a = leaf(draw(rngs), shape_)
    view_shape = np.zeros(shape_)[start:].shape
    if transpose:
        view_shape = view_shape[::-1]
    value = leaf(draw(rngs), view_shape)

    def write_through_a_view(a, value):
        h = a * 1.5
        view = h[start:]
        if transpose:
            view = view.permute(*reversed(range(view.ndim)))
        view.mul_(value)  # rebases h: its grad_fn becomes copy_slices
        return h * h

    return write_through_a_view, [a, value], {}


@case("cat")
def _cat(draw):
    base = draw(shapes_at_least_1d)
    dim = draw(st.integers(-len(base), len(base) - 1))
    rng = draw(rngs)
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        piece = list(base)
        piece[dim] = draw(st.integers(1, 3))
        pieces.append(leaf(rng, tuple(piece)))
    return (lambda *xs: minigrad.cat(xs, dim)), pieces, {}


@case("constant_pad")
def _constant_pad(draw):
    shape_ = draw(shapes_at_least_1d)
    widths = draw(st.lists(st.integers(0, 2), min_size=2, max_size=2 * len(shape_)))
    widths = widths[: len(widths) // 2 * 2]
    widths[0] = max(widths[0], 1)  # at least some padding, else pad returns its input
    value = draw(st.sampled_from([0.0, -1.5]))
    return (lambda a: composite.pad(a, widths, value=value)), [leaf(draw(rngs), shape_)], {}


@case("matmul")
def _matmul(draw):
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch_a, batch_b = draw(broadcast_pairs().filter(lambda p: len(p[0]) + len(p[1]) <= 3))
    shape_a = (k,) if draw(st.booleans()) else batch_a + (n, k)
    shape_b = (k,) if draw(st.booleans()) else batch_b + (k, m)
    rng = draw(rngs)
    return (lambda a, b: a @ b), [leaf(rng, shape_a), leaf(rng, shape_b)], {}


@case("cast")
def _cast(draw):
    # Through float32 and back: float32's rounding needs a larger step and tolerance.
    def round_trip(a):
        return shape.Cast.apply(shape.Cast.apply(a, dtype=minigrad.float32), dtype=minigrad.float64)

    return round_trip, [leaf(draw(rngs), draw(shapes))], {"eps": 1e-3, "atol": 1e-3}


@case("to_device")
def _to_device(draw):
    # Needs the fake_device fixture (a second device); the test requests it for every case.
    return (lambda a: shape.ToDevice.apply(a, device="fakecpu") * 2), [leaf(draw(rngs), draw(shapes))], {}


@st.composite
def window_arguments(draw):
    """An image size and unfold/fold arguments under which at least one window fits."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = tuple(
        draw(st.integers(max(d * (k - 1) + 1 - 2 * p, 1), 6)) for k, d, p in zip(kernel, dilation, padding)
    )
    return size, {"kernel_size": kernel, "dilation": dilation, "padding": padding, "stride": stride}


@case("unfold")
def _unfold(draw):
    (h, w), kwargs = draw(window_arguments())
    channels = draw(st.integers(1, 2))
    return (lambda x: F.unfold(x, **kwargs)), [leaf(draw(rngs), (draw(st.integers(1, 2)), channels, h, w))], {}


@case("fold")
def _fold(draw):
    (h, w), kwargs = draw(window_arguments())
    channels = draw(st.integers(1, 2))
    blocks = F.unfold(minigrad.zeros(1, channels, h, w, dtype=minigrad.float64), **kwargs).shape[1:]
    return (lambda c: F.fold(c, (h, w), **kwargs)), [leaf(draw(rngs), (draw(st.integers(1, 2)), *blocks))], {}


@case("diagonal")
def _diagonal(draw):
    shape_ = draw(shapes_at_least_2d)
    offset = draw(st.integers(-2, 2))
    dim1, dim2 = draw(st.sampled_from([(0, 1), (1, 0), (-1, 0)]))
    return (lambda x: x.diagonal(offset, dim1, dim2)), [leaf(draw(rngs), shape_)], {}


@case("unfold_dim")
def _unfold_dim(draw):
    shape_ = draw(shapes_at_least_1d)
    dim = draw(st.integers(0, len(shape_) - 1))
    size, step = draw(st.integers(0, shape_[dim])), draw(st.integers(1, 3))
    return (lambda x: x.unfold(dim, size, step)), [leaf(draw(rngs), shape_)], {}


@case("scatter_prod")
def _scatter_prod(draw):
    rng = draw(rngs)
    rows = draw(st.integers(1, 3))
    index = minigrad.tensor(rng.integers(0, rows, (draw(st.integers(1, 4)), 2)))
    include_self = draw(st.booleans())
    src = leaf(rng, tuple(index.shape), "nonzero")
    if draw(st.booleans()):  # zero factors: the product-of-the-others rule
        with minigrad.no_grad():
            src[0, 0] = 0.0
    return (lambda x, s: x.scatter_reduce(0, index, s, "prod", include_self=include_self)), [
        leaf(rng, (rows, 2), "nonzero"), src], {}


# --- the tests -------------------------------------------------------------------------------
def builtin_primitive_names():
    return {name for name, cls in primitives().items() if cls.__module__ in CORE_OP_MODULES}


def graph_names(output):
    """Names of every node in the graph behind ``output`` (iterative walk)."""
    names, seen = set(), set()
    stack = [output.grad_fn] if output.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.name)
        stack.extend(edge[0] for edge in node.next_functions if edge is not None and edge[0] is not None
                     and not isinstance(edge[0], minigrad.Tensor))
    return names


def test_every_builtin_primitive_has_a_case():
    missing = builtin_primitive_names() - set(CASES)
    assert not missing, f"primitives without a gradcheck case: {sorted(missing)}"
    assert len(builtin_primitive_names()) >= 29


def test_base_classes_are_not_registered_as_ops():
    assert "minigrad.autograd.function.Primitive" not in primitives()
    assert all(name and "Primitive" not in name for name in primitives())


@pytest.mark.parametrize("name", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_primitive_passes_gradcheck(name, data, fake_device):
    fn, inputs, options = CASES[name](data.draw)
    output = fn(*inputs)
    assert name in graph_names(output), f"the {name} case does not exercise the {name} primitive"
    assert gradcheck(fn, inputs, **options)


def test_gradcheck_detects_a_wrong_gradient():
    class WrongSquare(minigrad.autograd.Function):
        name = "test.wrong_square"

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x  # should be 2 * x

    x = minigrad.tensor([0.5, -1.0], dtype=minigrad.float64, requires_grad=True)
    with pytest.raises(minigrad.autograd.GradcheckError, match="input 0"):
        gradcheck(WrongSquare.apply, [x])
    assert gradcheck(WrongSquare.apply, [x], raise_exception=False) is False


def test_gradcheck_refuses_float32():
    x = minigrad.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda a: a * 2, [x])


def test_gradcheck_perturbs_non_contiguous_inputs():
    x = minigrad.tensor(np.arange(6.0).reshape(2, 3).T / 4, requires_grad=True)  # a transposed view
    assert not x._array.flags.c_contiguous
    assert gradcheck(lambda a: (a * a).exp().sum(0), [x])
