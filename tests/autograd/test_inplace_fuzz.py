"""Random programs mixing views, in-place edits and out-of-place ops, run on minigrad and torch:
the values, the gradients (first and second order) and the errors must agree."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.autograd.twins import assert_twins

# Each step: (name, function(lib, tensors, rng_values) -> new tensor or None). In-place steps
# edit the tensor they are given (maybe a view); the others append a new tensor.
STEPS = {
    "mul": lambda lib, t, c: t * c,
    "add_tensor": lambda lib, t, u: t + u,
    "tanh": lambda lib, t, c: t.tanh(),
    "exp": lambda lib, t, c: (t * 0.3).exp(),
    "relu": lambda lib, t, c: t.relu(),
    "view_row": lambda lib, t, c: t[1:],
    "view_t": lambda lib, t, c: t.t(),
    "view_reshape": lambda lib, t, c: t.reshape(-1),
    "mul_": lambda lib, t, c: t.mul_(c),
    "add_": lambda lib, t, u: t.add_(u),
    "iadd_scalar": lambda lib, t, c: t.__iadd__(c),
    "relu_": lambda lib, t, c: t.relu_(),
    "tanh_": lambda lib, t, c: t.tanh_(),
    "clamp_": lambda lib, t, c: t.clamp_(-c, c),
    "setitem_mask": lambda lib, t, c: t.__setitem__(t > c, 0.5),
    "setitem_first": lambda lib, t, c: t.__setitem__(0, c),
    "zero_": lambda lib, t, c: t.zero_(),
    "copy_": lambda lib, t, u: t.copy_(u * 0.5),
    "sigmoid_": lambda lib, t, c: t.sigmoid_(),
    "div_": lambda lib, t, c: t.div_(c),
    "pow": lambda lib, t, c: t**2,
    "matmul": lambda lib, t, u: t @ u.t() if t.ndim == 2 and u.ndim == 2 and t.shape[1] == u.shape[1] else None,
    "detach_mul_": lambda lib, t, c: t.detach().mul_(c),  # an untracked edit: saved values go stale
    "data_add_": lambda lib, t, c: t.data.add_(c),  # PyTorch's .data: untracked, no error
    "sum_keepdim": lambda lib, t, c: t.sum(0, keepdim=True) if t.ndim else None,
}
TWO_TENSOR = {"add_tensor", "add_", "matmul", "copy_"}


@st.composite
def programs(draw):
    steps = []
    for _ in range(draw(st.integers(1, 7))):
        name = draw(st.sampled_from(sorted(STEPS)))
        steps.append((name, draw(st.integers(0, 10)), draw(st.integers(0, 10)), draw(st.floats(0.2, 1.5))))
    return steps


def run_program(steps, values):
    def program(lib):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        pool = [x * 1.5]  # a non-leaf to start from: in-place ops on it are allowed
        for name, i, j, c in steps:
            t = pool[i % len(pool)]
            other = pool[j % len(pool)]
            if name in TWO_TENSOR:
                if other.shape != t.shape and name != "matmul":
                    continue
                result = STEPS[name](lib, t, other)
            else:
                if name in ("view_t",) and t.ndim != 2:
                    continue
                if name == "view_row" and (t.ndim == 0 or t.shape[0] < 2):
                    continue
                if name == "setitem_first" and t.ndim == 0:
                    continue
                result = STEPS[name](lib, t, c)
            if result is not None and result is not t and name not in ("detach_mul_", "data_add_"):
                pool.append(result)
        loss = sum((t * t).sum() for t in pool)
        (g,) = lib.autograd.grad(loss, x, create_graph=True, allow_unused=True)
        g = lib.zeros_like(x) if g is None else g
        gg = lib.autograd.grad(g.sum(), x, allow_unused=True)[0] if g.requires_grad else None
        return {"loss": loss, "g": g, "gg": lib.zeros_like(x) if gg is None else gg}

    return program


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(steps=programs(), seed=st.integers(0, 2**16))
def test_random_inplace_programs_match_torch(torch, steps, seed):
    values = np.random.default_rng(seed).uniform(-1.0, 1.0, (3, 2))
    assert_twins(run_program(steps, values), torch)
