"""No primitive writes into its inputs, and only view ops return memory shared with an input.

Every registered primitive's ``forward`` is wrapped with two checks: its array inputs hold the
same values after the call, and no output may share memory with an input unless the primitive
is a view (``is_view = True``) or writes in place by design (``writes_in_place = True``: the
CopySlices node of an in-place write through a view). Then every case of the gradcheck suite
(drawn by hypothesis) and of the backend conformance suite is run forward and backward, with
``create_graph=True`` so that backward's ops run as recorded primitives too. A new primitive is
covered as soon as it has its (required) cases there.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import primitives

# The two suites whose cases this file reuses; pytest puts each test folder on sys.path.
gradcheck_suite = importlib.import_module("test_gradcheck_primitives")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
conformance_suite = importlib.import_module("test_conformance")

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def builtin_primitives() -> dict:
    return {name: op for name, op in primitives().items() if op.__module__.startswith("minigrad.")}


@contextmanager
def watching_every_primitive(ops=None):
    """Wrap every built-in primitive's forward (or those of ``ops``) with the checks; yields
    ``(seen, problems)``: the names of the primitives that ran and what they did wrong."""
    seen: set[str] = set()
    problems: list[str] = []
    originals = {}

    def checked(op, forward):
        def forward_with_checks(ctx, *args, **attrs):
            inputs = [a for a in args if isinstance(a, np.ndarray)]
            before = [a.copy() for a in inputs]
            result = forward(ctx, *args, **attrs)
            seen.add(op.name)
            for position, (array, copy) in enumerate(zip(inputs, before)):
                if not np.array_equal(array, copy, equal_nan=True):
                    problems.append(f"{op.name} wrote into its input {position}")
            if not (op.is_view or getattr(op, "writes_in_place", False)):
                outputs = result if isinstance(result, tuple) else (result,)
                for index, out in enumerate(outputs):
                    if any(np.may_share_memory(out, array) for array in inputs):
                        problems.append(f"{op.name}: output {index} shares memory with an input")
            return result

        return forward_with_checks

    for op in (ops or builtin_primitives().values()):
        originals[op] = inspect.getattr_static(op, "forward")
        op.forward = staticmethod(checked(op, op.forward))
    try:
        yield seen, problems
    finally:
        for op, forward in originals.items():
            op.forward = forward


def forward_and_backward(fn, inputs):
    """Run ``fn`` and its gradient (recorded, so backward's primitives run and are checked)."""
    out = fn(*inputs)
    weights = minigrad.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape), dtype=out.dtype, device=out.device)
    minigrad.autograd.grad((out * weights).sum(), inputs, create_graph=True, allow_unused=True)


@pytest.mark.parametrize("name", sorted(gradcheck_suite.CASES))
@SETTINGS
@given(data=st.data())
def test_gradcheck_case_leaves_its_inputs_alone_and_returns_fresh_memory(name, data, fake_device):
    fn, inputs, _ = gradcheck_suite.CASES[name](data.draw)
    with watching_every_primitive() as (seen, problems):
        forward_and_backward(fn, inputs)
    assert not problems, problems
    assert name in seen


@pytest.mark.parametrize("name", sorted(conformance_suite.CASES))
def test_conformance_case_leaves_its_inputs_alone_and_returns_fresh_memory(name):
    case = conformance_suite.CASES[name]
    inputs = [minigrad.tensor(a, requires_grad=True) for a in case.inputs()]
    with watching_every_primitive() as (_, problems):
        forward_and_backward(case.fn, inputs)
    assert not problems, problems


def test_every_builtin_primitive_is_checked(fake_device):
    """The gradcheck cases are named after their primitive (and each test above asserts it
    ran); the conformance cases reach the rest (pooling, convolution)."""
    reached = set(gradcheck_suite.CASES)
    for case in conformance_suite.CASES.values():
        inputs = [minigrad.tensor(a, requires_grad=True) for a in case.inputs()]
        with watching_every_primitive() as (seen, _):
            forward_and_backward(case.fn, inputs)
        reached |= seen
    missing = sorted(set(builtin_primitives()) - reached)
    assert not missing, f"primitives the aliasing checks never ran: {missing}"


def test_the_checks_catch_a_primitive_that_writes_its_input_or_returns_it():
    class Sloppy(minigrad.autograd.Primitive):
        name = "test.sloppy_double"

        @staticmethod
        def forward(ctx, a):
            a *= 2  # the bug: writes the input...
            return a  # ...and returns it

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    try:
        with watching_every_primitive([Sloppy]) as (seen, problems):
            Sloppy.apply(x)
    finally:
        minigrad.autograd.function.REGISTRY.pop("test.sloppy_double", None)
    assert seen == {"test.sloppy_double"}
    assert problems == [
        "test.sloppy_double wrote into its input 0",
        "test.sloppy_double: output 0 shares memory with an input",
    ]


# --- the reported max_pool2d cases, against PyTorch ---------------------------------------------
@pytest.mark.parametrize(
    ("shape", "kernel"),
    [((1, 1, 4, 4), 4), ((1, 1, 4, 4), (4, 1)), ((1, 1, 4, 4), (1, 4)), ((1, 1, 4, 4), 1), ((2, 3, 4, 4), 1),
     ((1, 1, 5, 5), 4), ((1, 1, 4, 4), 2)],
)
def test_max_pool2d_leaves_its_input_unchanged_and_returns_fresh_memory(torch, shape, kernel):
    count = int(np.prod(shape))
    x = minigrad.arange(float(count)).reshape(shape)
    x_torch = torch.arange(float(count)).reshape(shape)
    y, y_torch = F.max_pool2d(x, kernel), torch.nn.functional.max_pool2d(x_torch, kernel)
    np.testing.assert_array_equal(y.numpy(), y_torch.numpy())
    np.testing.assert_array_equal(x.numpy(), x_torch.numpy())  # 0..count-1, untouched
    y.add_(100)
    y_torch.add_(100)
    np.testing.assert_array_equal(x.numpy(), x_torch.numpy())  # the output is not a view of x
    assert not np.may_share_memory(y.numpy(), x.numpy())
