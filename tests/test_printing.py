"""A tensor prints as PyTorch prints it: the same numbers, widths, line breaks, summaries and
suffixes (``torch.`` reads ``minigrad.``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad


def same_repr(torch: Any, array: np.ndarray, **kwargs: Any) -> None:
    mine = repr(minigrad.tensor(array, **kwargs))
    theirs = repr(torch.tensor(array, **kwargs)).replace("torch.", "minigrad.")
    if mine != theirs:  # "minigrad.float64" is 3 characters longer: a suffix may wrap where torch's fits
        assert " ".join(mine.split()) == " ".join(theirs.split())


CASES = {
    "0-d float": np.array(3.0, np.float32),
    "0-d nan": np.array(np.nan, np.float32),
    "whole floats": np.array([1.0, 2.0, -3.0], np.float32),
    "fixed point": np.array([1.5, 2.25, -0.125], np.float32),
    "tiny values use scientific notation": np.array([1e-5, 1.0], np.float32),
    "a wide range uses scientific notation": np.array([1e10, 1.0], np.float32),
    "non-finite values": np.array([np.nan, 1.0, np.inf, -np.inf], np.float32),
    "all zeros": np.zeros((2, 3), np.float32),
    "negative zero": np.array([-0.0, 1.0], np.float32),
    "3-d": np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    "wraps at 80 columns": np.linspace(-300, 300, 40, dtype=np.float32),
    "summarised vector": np.arange(2000, dtype=np.float32),
    "summarised matrix": np.arange(5000, dtype=np.float32).reshape(5, 1000),
    "summarised in both dimensions": np.ones((1001, 1001), np.float32),
    "int64 (no dtype suffix)": np.array([[1, 2], [300, 4]], np.int64),
    "int32": np.array([1, -22], np.int32),
    "uint8": np.array([0, 255], np.uint8),
    "bool": np.array([True, False]),
    "float64": np.array([0.1, 0.2], np.float64),
    "float16": np.array([1.0, 2.5], np.float16),
    "empty vector": np.zeros(0, np.float32),
    "empty matrix": np.zeros((0, 3), np.float32),
    "empty int64": np.zeros(0, np.int64),
    "complex": np.array([1 + 2j, -3.5 - 1j], np.complex64),
    "complex with a tiny part": np.array([1e-9 + 1j], np.complex64),
}


@pytest.mark.parametrize("name", list(CASES))
def test_repr_matches_pytorch(torch: Any, name: str) -> None:
    same_repr(torch, CASES[name])


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)
RANDOM_ARRAYS = st.one_of(
    hnp.arrays(np.float32, SHAPES, elements=st.floats(width=32)),  # nan, inf, huge and tiny too
    hnp.arrays(np.float64, SHAPES, elements=st.floats(-1e6, 1e6).map(lambda v: round(v, 2))),
    hnp.arrays(np.int64, SHAPES, elements=st.integers(-(2**40), 2**40)),
)


@settings(max_examples=25, deadline=None)
@given(RANDOM_ARRAYS)
def test_repr_of_random_arrays_matches_pytorch(array: np.ndarray) -> None:
    import torch

    same_repr(torch, array)


def test_grad_fn_and_requires_grad_suffixes_match_pytorch(torch: Any) -> None:
    mine = minigrad.tensor([1.0, 2.0], requires_grad=True)
    theirs = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(mine) == repr(theirs) == "tensor([1., 2.], requires_grad=True)"
    assert repr(mine * 2) == repr(theirs * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr((mine * 2).sum()) == repr((theirs * 2).sum()) == "tensor(6., grad_fn=<SumBackward0>)"


def test_a_suffix_that_does_not_fit_goes_on_its_own_line(torch: Any) -> None:
    array = np.linspace(0, 1, 8, dtype=np.float64)
    mine = repr(minigrad.tensor(array, requires_grad=True))
    theirs = repr(torch.tensor(array, requires_grad=True)).replace("torch.", "minigrad.")
    assert mine == theirs and "\n       dtype=minigrad.float64" in mine


def test_set_printoptions_matches_pytorch(torch: Any) -> None:
    array = np.array([1.23456, 2.5, 1000.125], np.float32)
    try:
        for options in ({"precision": 2}, {"sci_mode": True}, {"threshold": 5, "edgeitems": 1},
                        {"linewidth": 20}, {"profile": "short"}):
            minigrad.set_printoptions(**options)
            torch.set_printoptions(**options)
            same_repr(torch, np.arange(12, dtype=np.float32) * 1.5)
            same_repr(torch, array)
            minigrad.set_printoptions(profile="default")
            torch.set_printoptions(profile="default")
    finally:
        minigrad.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_the_device_is_named_when_not_the_default_type() -> None:
    try:
        minigrad.set_default_device("cuda")  # only the name is read; no GPU is needed to print
        assert repr(minigrad.tensor([1.0], device="cpu")) == "tensor([1.], device='cpu')"
    finally:
        minigrad.set_default_device(None)
    assert repr(minigrad.tensor([1.0])) == "tensor([1.])"


def test_a_parameter_prints_as_pytorch(torch: Any) -> None:
    mine = repr(minigrad.nn.Parameter(minigrad.zeros(2)))
    assert mine == repr(torch.nn.Parameter(torch.zeros(2)))
