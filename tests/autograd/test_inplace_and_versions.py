"""In-place ops as PyTorch has them: version counters catch edits of saved tensors, in-place
ops on non-leaves are recorded (the graph is rebased, views included), saved values are known
by their role and never by object identity. Every program runs on minigrad and on torch."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad.autograd import Primitive
from tests.autograd.twins import assert_twins

VERSION_ERROR = "modified by an inplace operation"


def leaf(lib, values, dtype="float64"):
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)


# --- saved values by role (item 2) -------------------------------------------------------------
def test_a_detached_operand_is_a_constant_in_the_second_derivative(torch):
    def program(lib):
        x = leaf(lib, [1.5, -2.0])
        (first,) = lib.autograd.grad((x * x.detach()).sum(), x, create_graph=True)
        return {"first": first, "connected": first.requires_grad}

    ours = assert_twins(program, torch)
    assert not ours["connected"]  # d/dx of x.detach() is 0: no path back to x at all, as in torch


def test_second_derivative_of_a_polynomial_through_pow(torch):
    def program(lib):
        x = leaf(lib, [3.0])
        (first,) = lib.autograd.grad((x**2 + x**3).sum(), x, create_graph=True)
        (second,) = lib.autograd.grad(first.sum(), x)
        return {"first": first, "second": second}

    ours = assert_twins(program, torch)
    assert ours["second"].tolist() == [20.0]


class SavesAnUnnamedView(Primitive):
    name = "test.saves_an_unnamed_view"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a.reshape(a.shape))  # neither ctx.input(0) nor ctx.constant(...)
        return a * a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * 2 * a


def test_a_primitive_that_saves_a_raw_array_is_refused():
    x = minigrad.tensor([3.0], dtype=minigrad.float64, requires_grad=True)
    with pytest.raises(TypeError, match=r"ctx.input\(i\), ctx.output\(i\) or ctx.constant"):
        SavesAnUnnamedView.apply(x)


class Cube(minigrad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = x * x * x
        ctx.save_for_backward(x, out)  # Function flavour: recognised by Tensor identity
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return grad * 3 * out / x


def test_a_function_saves_its_input_and_output_tensors_by_identity():
    x = minigrad.tensor([2.0], dtype=minigrad.float64, requires_grad=True)
    y = Cube.apply(x)
    (first,) = minigrad.autograd.grad(y.sum(), x, create_graph=True)
    assert first.tolist() == [12.0]
    assert first.grad_fn is not None  # saved x and out connect to the graph


# --- version counters (item 3) -------------------------------------------------------------------
def test_editing_a_saved_input_in_place_fails_at_backward(torch):
    def program(lib):
        w = leaf(lib, [1.0, 2.0, 3.0], "float32")
        x = lib.ones(3)
        y = (w * x).sum()
        x.mul_(100)
        y.backward()
        return {"grad": w.grad}

    ours = assert_twins(program, torch)
    assert VERSION_ERROR in str(ours["error"])
    assert "is at version 1; expected version 0" in str(ours["error"])
    assert "MulBackward0" in str(ours["error"])


def test_an_output_edited_under_no_grad_is_caught(torch):
    def program(lib):
        x = leaf(lib, [0.5, 1.0])
        y = x.exp()  # exp saves its output
        with lib.no_grad():
            y.add_(1)
        y.sum().backward()
        return {"grad": x.grad}

    assert VERSION_ERROR in str(assert_twins(program, torch)["error"])


def test_an_optimizer_step_between_two_backwards_of_a_retained_graph_is_caught(torch):
    def program(lib):
        w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        loss = (w * w).sum()
        loss.backward(retain_graph=True)
        lib.optim.SGD([w], lr=0.1).step()
        loss.backward()
        return {"grad": w.grad}

    assert VERSION_ERROR in str(assert_twins(program, torch)["error"])


def test_detach_shares_the_version_counter_but_data_does_not(torch):
    def through_detach(lib):
        x = leaf(lib, [1.0, 2.0])
        y = (x * x).sum()
        x.detach().mul_(2)  # an edit of x's storage: the saved x is stale
        y.backward()
        return {"grad": x.grad}

    def through_data(lib):
        x = leaf(lib, [1.0, 2.0])
        y = (x * x).sum()
        x.data.mul_(2)  # PyTorch's .data: not tracked, backward uses the new values
        y.backward()
        return {"grad": x.grad, "version": x._version}

    assert VERSION_ERROR in str(assert_twins(through_detach, torch)["error"])
    ours = assert_twins(through_data, torch)
    assert ours["grad"].tolist() == [4.0, 8.0]


def test_views_share_the_version_counter(torch):
    def program(lib):
        base = lib.ones(4, dtype=lib.float64)
        w = leaf(lib, [1.0, 2.0])
        y = (w * base[:2]).sum()  # saves the view base[:2]
        base[3] = 5.0  # another part of the same storage: PyTorch still counts it
        y.backward()
        return {"grad": w.grad}

    assert VERSION_ERROR in str(assert_twins(program, torch)["error"])


def test_version_numbers_follow_pytorch(torch):
    def program(lib):
        x = lib.zeros(3)
        v = x[1:]
        x.add_(1)
        v.mul_(2)
        x[0] = 4.0
        x.zero_()
        return {"x": x._version, "v": v._version, "fresh": lib.zeros(2)._version}

    assert_twins(program, torch)


# --- in-place ops on non-leaves are recorded (item 4) --------------------------------------------
INPLACE_PROGRAMS = {
    "iadd": lambda lib, h, w: h.__iadd__(1),
    "imul_by_a_leaf": lambda lib, h, w: h.__imul__(w),
    "mul_": lambda lib, h, w: h.mul_(w),
    "div_": lambda lib, h, w: h.div_(w + 3),
    "pow_": lambda lib, h, w: h.pow_(2),
    "sqrt_": lambda lib, h, w: h.abs_().sqrt_(),
    "exp_": lambda lib, h, w: h.exp_(),
    "sigmoid_": lambda lib, h, w: h.sigmoid_(),
    "tanh_": lambda lib, h, w: h.tanh_(),
    "relu_": lambda lib, h, w: h.relu_(),
    "F.relu(inplace)": lambda lib, h, w: lib.nn.functional.relu(h, inplace=True),
    "nn.ReLU(inplace)": lambda lib, h, w: lib.nn.ReLU(inplace=True)(h),
    "clamp_": lambda lib, h, w: h.clamp_(-0.5, 1.0),
    "setitem_mask": lambda lib, h, w: h.__setitem__(h > 0.5, 0.0),
    "setitem_tensor": lambda lib, h, w: h.__setitem__((slice(None), 1), w[:2] * 2),
    "setitem_index": lambda lib, h, w: h.__setitem__((slice(None), lib.tensor([0, 2])), w[1:] * 3),
    "zero_": lambda lib, h, w: h.zero_(),
    "fill_": lambda lib, h, w: h.fill_(2.5),
    "copy_": lambda lib, h, w: h.copy_(w * 4),
    "view_mul_": lambda lib, h, w: h[1:].mul_(w),
    "view_of_view_add_": lambda lib, h, w: h[:, 1:].t().add_(w[:2].reshape(2, 1)),
    "augmented_view": lambda lib, h, w: h[:, 0].__iadd__(w[:2]),
    "reshape_view_zero_": lambda lib, h, w: h.reshape(-1)[::2].zero_(),
}


@pytest.mark.parametrize("name", sorted(INPLACE_PROGRAMS))
def test_inplace_ops_on_non_leaves_match_torch(torch, name):
    edit = INPLACE_PROGRAMS[name]

    def program(lib):
        x = leaf(lib, [[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])
        w = leaf(lib, [0.7, -0.2, 1.1])
        h = x * 2 - 0.5
        edit(lib, h, w)
        out = (h * h).sum() + h.sum()
        (gx, gw) = lib.autograd.grad(out, (x, w), create_graph=True, allow_unused=True)
        total = gx.sum() + (0 if gw is None else gw.sum())
        # Through the rebased graph again; where the first gradient is constant, torch gives it
        # no graph at all, minigrad sometimes a graph of zeros: the values must agree.
        ggx = lib.autograd.grad(total, x, allow_unused=True)[0] if total.requires_grad else None
        ggx = lib.zeros_like(x) if ggx is None else ggx
        return {"h": h, "gx": gx, "gw": gw, "ggx": ggx}

    assert_twins(program, torch)


def test_inplace_ops_inside_a_model_forward_train_as_in_torch(torch):
    def program(lib):
        lib.manual_seed(0)
        x = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), dtype=lib.float32)
        layer = lib.nn.Linear(4, 3)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(np.linspace(-0.5, 0.5, 12).reshape(3, 4), dtype=lib.float32))
            layer.bias.fill_(0.1)
        h = layer(x)
        h += 1
        h = lib.nn.functional.relu(h, inplace=True)
        h = h * 1.5
        h[h > 1.2] = 0
        h.clamp_(max=1.0)
        h.sum().backward()
        return {"h": h, "w": layer.weight.grad, "b": layer.bias.grad}

    assert_twins(program, torch)


def test_editing_relus_output_in_place_is_caught_as_in_torch(torch):
    def program(lib):
        x = leaf(lib, [[-1.0, 0.5], [2.0, -0.3]])
        h = lib.nn.functional.relu(x * 2, inplace=True)  # relu saves its output
        h[h > 1.2] = 0
        h.sum().backward()
        return {"grad": x.grad}

    assert VERSION_ERROR in str(assert_twins(program, torch)["error"])


def test_inplace_refusals_match_torch(torch):
    programs = {
        "leaf": lambda lib: leaf(lib, [1.0, 2.0]).add_(1),
        "view_of_a_leaf": lambda lib: leaf(lib, [1.0, 2.0])[:1].mul_(2),
        "expanded": lambda lib: lib.ones(2).expand(3, 2).add_(1),
        "float_into_int": lambda lib: lib.ones(2, dtype=lib.int64).__iadd__(1.5),
        "grow_by_broadcast": lambda lib: lib.ones(2).__iadd__(lib.ones(3, 2)),
    }
    for name, program in programs.items():
        result = assert_twins(lambda lib, program=program: {"out": program(lib)}, torch)
        assert "error" in result, name
    assert "leaf Variable" in str(assert_twins(lambda lib: {"out": programs["leaf"](lib)}, torch)["error"])


def test_a_leaf_is_updated_in_place_under_no_grad(torch):
    def program(lib):
        w = leaf(lib, [1.0, 2.0])
        with lib.no_grad():
            w.sub_(0.5)
            w[0] = 3.0
            w *= 2
        return {"w": w, "version": w._version, "leaf": w.is_leaf, "requires_grad": w.requires_grad}

    assert_twins(program, torch)


def test_in_place_ops_keep_the_tensor_object_and_grad_identity(torch):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    assert h.add_(1) is h and (h.__imul__(3)) is h
    (x * 3).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first and x.grad.tolist() == [6.0, 6.0]  # accumulated in place, as torch


def test_views_made_before_an_in_place_op_read_the_new_values_in_backward(torch):
    def program(lib):
        x = leaf(lib, [1.0, 2.0, 3.0, 4.0])
        h = x * 2
        before = h[0:2]  # a view of h, made before h changes
        overlapping = h[1:3]
        h.mul_(3)
        h[1:2].add_(x[:1])  # an edit through another view: CopySlices on h
        loss = (before * before).sum() + (overlapping * x[1:3]).sum()
        (g,) = lib.autograd.grad(loss, x)
        return {"g": g, "before": before, "overlapping": overlapping}

    assert_twins(program, torch)
