"""Higher-order gradients: backward is written with Tensor ops, so with ``create_graph=True``
the gradient is itself a graph that can be differentiated again, to any order."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad.autograd import Function, GradcheckError, grad, gradgradcheck
from minigrad.ops import composite


def leaf(values):
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("point", [-2.0, -0.7, 0.0, 0.3, 1.5])
def test_fourth_derivative_of_tanh_matches_the_closed_form(point):
    x = leaf(point)
    derivative = x.tanh()
    derivatives = []
    for _ in range(4):
        (derivative,) = grad(derivative, x, create_graph=True)
        derivatives.append(derivative.item())
    t = np.tanh(point)
    s = 1 - t * t
    closed_forms = [s, -2 * t * s, (6 * t * t - 2) * s, 8 * t * (2 - 3 * t * t) * s]
    np.testing.assert_allclose(derivatives, closed_forms, rtol=1e-10, atol=1e-12)


def test_grad_with_create_graph_can_be_differentiated():
    x = leaf([1.0, -2.0, 0.5])
    (first,) = grad((x**3).sum(), x, create_graph=True)
    assert first.requires_grad and first.grad_fn is not None
    np.testing.assert_allclose(first.detach().numpy(), 3 * x.detach().numpy() ** 2)
    first.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())


def test_backward_with_create_graph_gives_a_differentiable_dot_grad():
    x = leaf([0.5, 2.0])
    (x.exp() * x).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None  # (x + 1) e^x, recorded
    (second,) = grad(x.grad.sum(), x)
    np.testing.assert_allclose(second.numpy(), (x.detach().numpy() + 2) * np.exp(x.detach().numpy()))


def mlp_loss(w1, w2, inputs, targets):
    """Cross-entropy of a two-layer tanh network plus weight decay; the same code runs on
    minigrad and torch tensors."""
    logits = (inputs @ w1).tanh() @ w2
    return (-(logits.log_softmax(-1) * targets).sum(-1)).mean() + (w1 * w1).sum() * 0.01


def test_hessian_vector_product_of_a_small_mlp_matches_torch(torch):
    rng = np.random.default_rng(3)
    inputs, w1, w2 = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    targets = np.eye(2)[rng.integers(0, 2, 5)]
    v1, v2 = rng.standard_normal(w1.shape), rng.standard_normal(w2.shape)

    p1, p2 = leaf(w1), leaf(w2)
    loss = mlp_loss(p1, p2, minigrad.tensor(inputs), minigrad.tensor(targets))
    g1, g2 = grad(loss, [p1, p2], create_graph=True)
    dot = (g1 * minigrad.tensor(v1)).sum() + (g2 * minigrad.tensor(v2)).sum()
    h1, h2 = grad(dot, [p1, p2])

    def torch_loss(a, b):
        return mlp_loss(a, b, torch.tensor(inputs), torch.tensor(targets))

    _, (t1, t2) = torch.autograd.functional.hvp(
        torch_loss, (torch.tensor(w1), torch.tensor(w2)), (torch.tensor(v1), torch.tensor(v2))
    )
    np.testing.assert_allclose(h1.numpy(), t1.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(h2.numpy(), t2.numpy(), rtol=1e-9, atol=1e-12)


def test_a_gradient_that_requires_grad_stays_connected_through_dtype_casts():
    # The upstream gradient v is a leaf that requires grad; casting it (to deliver a float32
    # gradient, or in a cast's backward) must stay differentiable, not become a new leaf.
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    v = leaf([1.0, 1.0])
    y = (x * 3).double()
    (g,) = grad(y, x, grad_outputs=v, create_graph=True)
    assert g.dtype == minigrad.float32
    (dv,) = grad(g.sum(), v)
    np.testing.assert_array_equal(dv.numpy(), [3.0, 3.0])
    y = x + minigrad.tensor([0.5, 0.5], dtype="float64")  # float64: add passes v straight through
    (g,) = grad(y, x, grad_outputs=v, create_graph=True)
    assert g.dtype == minigrad.float32
    (dv,) = grad(g.sum(), v)
    np.testing.assert_array_equal(dv.numpy(), [1.0, 1.0])


RNG = np.random.default_rng(11)
SECOND_ORDER = {
    "mul": (lambda a, b: a * b * a, [RNG.standard_normal((2, 3)), RNG.standard_normal(3)]),
    "div": (lambda a, b: a / b, [RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)]),
    "pow": (lambda a, b: a**b, [RNG.uniform(0.5, 2, 3), RNG.standard_normal(3)]),
    "rpow": (lambda a: 2.0**a, [RNG.standard_normal(3)]),
    "exp_log_sqrt": (lambda a: a.exp() + a.log() * a.sqrt(), [RNG.uniform(0.5, 2, 4)]),
    "sigmoid_tanh": (lambda a: a.sigmoid() * a.tanh(), [RNG.standard_normal(4)]),
    "softmax": (lambda a: a.softmax(-1), [RNG.standard_normal((2, 3))]),
    "log_softmax": (lambda a: a.log_softmax(0), [RNG.standard_normal((3, 2))]),
    "matmul": (lambda a, b: (a @ b) * (a @ b), [RNG.standard_normal((2, 3)), RNG.standard_normal(3)]),
    "getitem_repeated": (lambda a: a[[0, 0, 2]] ** 2, [RNG.standard_normal((3, 2))]),
    "amax": (lambda a: a.amax(0) * a.sum(0), [RNG.permutation(6).reshape(3, 2) * 0.5]),
    "var_std": (lambda a: a.var(0) + a.std(), [RNG.standard_normal((3, 2))]),
    "where_clamp": (lambda a: minigrad.where(a > 0, a * a, a.clamp(-0.5, 0.5) ** 3),
                    [np.array([0.3, -0.2, 1.1, -1.0])]),
    "cat_pad": (lambda a, b: composite.pad(minigrad.cat([a, b * b], 1), (1, 1), mode="reflect") ** 2,
                [RNG.standard_normal((2, 2)), RNG.standard_normal((2, 1))]),
    "reductions": (lambda a: (a.sum(1, keepdim=True) * a).mean(), [RNG.standard_normal((2, 3))]),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_gradgradcheck(name):
    fn, arrays = SECOND_ORDER[name]
    assert gradgradcheck(fn, [leaf(a) for a in arrays])


def test_gradgradcheck_catches_a_backward_that_breaks_the_graph():
    class DetachedSquare(Function):
        name = "test.detached_square"

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 2 * x.detach()  # right first derivative, no second one

    x = leaf([0.5, -1.5])
    assert minigrad.autograd.gradcheck(DetachedSquare.apply, [x])
    with pytest.raises(GradcheckError):
        gradgradcheck(DetachedSquare.apply, [x])
