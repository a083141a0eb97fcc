"""Inputs PyTorch refuses (Fidelity I items 8-10), run on both: minigrad must refuse each too,
with an error of PyTorch's class (so a ported `except RuntimeError` still catches it) and a
message naming the problem; and the cases PyTorch accepts (empty batches, negative seeds) work."""

from __future__ import annotations

import pytest

import minigrad

CASES = {
    "stack dim out of range": lambda t: t.stack([t.ones(2), t.ones(2)], dim=3),
    "cat dim out of range": lambda t: t.cat([t.ones(2), t.ones(2)], dim=1),
    "float kernel size": lambda t: t.nn.Conv2d(3, 6, (2.9, 3)),
    "float Linear size": lambda t: t.nn.Linear(2.5, 3),
    "float stride": lambda t: t.nn.functional.conv2d(t.randn(1, 1, 4, 4), t.randn(1, 1, 2, 2), stride=1.5),
    "Linear on int64": lambda t: t.nn.Linear(2, 3)(t.ones(1, 2, dtype=t.int64)),
    "Linear on float16": lambda t: t.nn.Linear(2, 3)(t.ones(1, 2, dtype=t.float16)),
    "tensor(None)": lambda t: t.tensor(None),
    "tensor(2**70)": lambda t: t.tensor(2**70),
    "tensor of a string": lambda t: t.tensor("a"),
    "bool linspace": lambda t: t.linspace(0, 1, 3, dtype=t.bool),
    "Flatten of 1-D": lambda t: t.nn.Flatten()(t.ones(3)),
    "broadcast mismatch": lambda t: t.ones(2, 3) + t.ones(4),
    "batched matmul mismatch": lambda t: t.ones(2, 3, 4) @ t.ones(3, 5, 6),
    "zeros(-1)": lambda t: t.zeros(-1),
    "randint(5, 2)": lambda t: t.randint(5, 2, (3,)),
    "negative channels": lambda t: t.nn.Conv2d(-3, 2, 3),
    "index out of range": lambda t: t.ones(3)[5],
    "float kernel": lambda t: t.nn.Conv2d(3, 6, 2.5),
    "max of nothing": lambda t: t.ones(0).max(),
    "argmax of nothing along dim": lambda t: t.ones(0, 2).argmax(0),
    "sub of bools": lambda t: t.tensor([True]) - t.tensor([False]),
    "float bitwise and": lambda t: t.ones(2) & t.ones(2),
    "leaf in-place": lambda t: t.ones(2, requires_grad=True).add_(1),
    "grad of a different shape": lambda t: setattr(t.zeros(2, requires_grad=True), "grad", t.zeros(3)),
}
ACCEPTED = {
    "empty batch conv": lambda t: tuple(t.nn.functional.conv2d(t.randn(0, 1, 4, 4), t.randn(2, 1, 3, 3)).shape),
    "negative seed": lambda t: t.manual_seed(-1) and None,
    "uint8 wraps a negative int": lambda t: (t.tensor([1], dtype=t.uint8) + -2).tolist(),
    "argmax keepdim without dim": lambda t: tuple(t.ones(2, 3).argmax(keepdim=True).shape),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_with_pytorchs_class(torch, name):
    with pytest.raises(Exception) as theirs:
        CASES[name](torch)
    with pytest.raises(Exception) as ours:
        CASES[name](minigrad)
    assert isinstance(ours.value, type(theirs.value)), (
        f"{name}: minigrad raised {type(ours.value).__name__} ({ours.value}), PyTorch {type(theirs.value).__name__}"
    )
    assert len(str(ours.value)) > 20 and "Traceback" not in str(ours.value)


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_inputs_pytorch_accepts_work(torch, name):
    assert ACCEPTED[name](minigrad) == ACCEPTED[name](torch)
