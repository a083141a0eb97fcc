"""User-defined ops: ``minigrad.autograd.Function`` works as ``torch.autograd.Function``."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad.autograd import Function, gradcheck, gradgradcheck, primitives


# PyTorch's documentation example, ported by changing the import only
# (https://pytorch.org/docs/stable/autograd.html#function).
class Exp(Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class ScaledProduct(Function):
    """``scale * a * b`` with a Python-number argument and a keyword attribute."""

    name = "test.scaled_product"
    calls: list = []

    @staticmethod
    def forward(ctx, a, b, scale, *, offset=0.0):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale + offset

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        ScaledProduct.calls.append(ctx.needs_input_grad)
        grad_a = grad_output * b * ctx.scale if ctx.needs_input_grad[0] else None
        grad_b = grad_output * a * ctx.scale if ctx.needs_input_grad[1] else None
        return grad_a, grad_b, None


class SplitSigns(Function):
    """Two outputs: the positive and the negative part."""

    name = "test.split_signs"

    @staticmethod
    def forward(ctx, x):
        positive = x.relu()
        ctx.save_for_backward(x)
        return positive, x - positive

    @staticmethod
    def backward(ctx, grad_positive, grad_negative):
        (x,) = ctx.saved_tensors
        mask = (x > 0).to(x.dtype)
        return grad_positive * mask + grad_negative * (1 - mask)


def leaf(values):
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_torch_docs_exp_example(torch):
    values = np.array([0.5, -1.0, 2.0])
    x = leaf(values)
    output = Exp.apply(x)
    output.sum().backward()
    reference = torch.tensor(values, requires_grad=True)
    torch.exp(reference).sum().backward()
    np.testing.assert_allclose(output.detach().numpy(), np.exp(values))
    np.testing.assert_allclose(x.grad.numpy(), reference.grad.numpy())
    assert gradcheck(Exp.apply, [leaf(values)])
    assert gradgradcheck(Exp.apply, [leaf(values)])  # backward uses Tensor ops: differentiable


def test_functions_are_registered_by_name():
    registry = primitives()
    assert registry["test.scaled_product"] is ScaledProduct
    assert registry[f"{__name__}.Exp"] is Exp  # no name given: module-qualified
    out = ScaledProduct.apply(leaf([1.0]), leaf([2.0]), 3.0)
    assert out.grad_fn.name == "test.scaled_product"


def test_custom_function_passes_gradcheck_with_attributes():
    a, b = leaf([[0.5, -1.0]]), leaf([2.0, 0.25])
    assert gradcheck(lambda p, q: ScaledProduct.apply(p, q, 1.5, offset=2.0), [a, b])
    out = ScaledProduct.apply(a, b, 1.5, offset=2.0)
    assert out.grad_fn.attrs == {"offset": 2.0}
    np.testing.assert_allclose(out.detach().numpy(), [[3.5, 1.625]])


def test_needs_input_grad_tells_backward_what_to_compute():
    ScaledProduct.calls.clear()
    a, constant = leaf([1.0, 2.0]), minigrad.tensor([3.0, 4.0], dtype="float64")
    ScaledProduct.apply(a, constant, 2.0).sum().backward()
    assert ScaledProduct.calls == [(True, False, False)]
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 8.0])
    assert constant.grad is None


def test_multiple_outputs():
    x = leaf([1.5, -0.5, 2.0, -3.0])
    positive, negative = SplitSigns.apply(x)
    np.testing.assert_array_equal(positive.detach().numpy(), [1.5, 0.0, 2.0, 0.0])
    (positive * 2 + negative * 3).sum().backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0, 2.0, 3.0])
    x.grad = None
    positive.sum().backward()  # only one output used: the other gets a zero gradient
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0, 0.0])
    assert gradcheck(SplitSigns.apply, [leaf([1.5, -0.5, 2.0])])


def test_wrong_number_of_gradients_is_explained():
    class TooFew(Function):
        name = "test.too_few"

        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    out = TooFew.apply(leaf([1.0]), leaf([2.0]))
    with pytest.raises(RuntimeError, match="returned 1 gradients, but forward took 2"):
        out.backward()


def test_no_graph_under_no_grad_and_forward_itself_records_nothing():
    x = leaf([1.0, 2.0])
    with minigrad.no_grad():
        out = Exp.apply(x)
    assert out.grad_fn is None and not out.requires_grad
    out = Exp.apply(x)
    assert out.grad_fn.name.endswith("Exp")
    assert out.grad_fn.next_functions == ((x, 0),)  # forward's own exp is not in the graph
