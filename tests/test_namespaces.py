"""PyTorch's namespaces and small objects, reachable after ``import minigrad`` as after
``import torch``: ``utils.data``, ``accelerator``, the default device and dtype, ``Size``,
``dtype`` and ``Tensor.type()``."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import minigrad

# --- minigrad.utils.data ----------------------------------------------------------------------------


def test_utils_data_is_the_data_package_itself() -> None:
    import minigrad.utils.data.distributed

    assert minigrad.utils.data is importlib.import_module("minigrad.data")
    assert minigrad.utils.data.distributed is importlib.import_module("minigrad.data.distributed")
    assert minigrad.utils.data.DataLoader is minigrad.data.DataLoader
    from minigrad.utils.data.distributed import DistributedSampler

    assert DistributedSampler is minigrad.data.DistributedSampler


def test_utils_data_is_an_attribute_right_after_import_minigrad() -> None:
    script = "import minigrad; print(minigrad.utils.data.DataLoader.__module__)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "minigrad.data.dataloader"


# --- minigrad.accelerator -----------------------------------------------------------------------------


def test_accelerator_answers_as_a_cpu_only_pytorch(torch: Any) -> None:
    if minigrad.cuda.is_available():
        assert minigrad.accelerator.is_available()
        assert minigrad.accelerator.current_accelerator().type == "cuda"
        assert minigrad.accelerator.device_count() == minigrad.cuda.device_count()
        return
    assert minigrad.accelerator.is_available() is torch.accelerator.is_available() is False
    assert minigrad.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert minigrad.accelerator.device_count() == torch.accelerator.device_count() == 0


def test_the_tutorials_device_line_runs() -> None:
    # PyTorch's tutorials: pick the accelerator when there is one, else the CPU.
    accelerator = minigrad.accelerator
    device = accelerator.current_accelerator().type if accelerator.is_available() else "cpu"
    assert minigrad.zeros(1, device=device).device.type == device


# --- default device and dtype ---------------------------------------------------------------------------


def test_default_device_starts_as_the_cpu(torch: Any) -> None:
    assert minigrad.get_default_device() == minigrad.device("cpu")
    assert repr(minigrad.get_default_device()) == repr(torch.get_default_device())


def test_set_default_device_moves_the_factories() -> None:
    # The fake device of the backend tests stands in for a GPU: a registered second device type.
    from minigrad import backends

    calls = []
    cpu = backends.get("cpu")

    class Elsewhere(type(cpu)):
        type = "elsewhere"

    backends.register("elsewhere", lambda index: calls.append(index) or Elsewhere())
    try:
        minigrad.set_default_device("elsewhere")
        assert minigrad.get_default_device().type == "elsewhere"
        assert minigrad.zeros(2).device.type == "elsewhere"
        assert minigrad.tensor([1.0]).device.type == "elsewhere"
        assert minigrad.zeros(2, device="cpu").device.type == "cpu"  # an explicit device wins
    finally:
        minigrad.set_default_device(None)
    assert minigrad.zeros(2).device.type == "cpu"
    with pytest.raises(RuntimeError, match="unknown device type"):
        minigrad.set_default_device("tpu")


def test_default_dtype_starts_as_float32(torch: Any) -> None:
    assert minigrad.get_default_dtype() == minigrad.float32
    assert str(minigrad.get_default_dtype()) == str(torch.get_default_dtype()).replace("torch.", "minigrad.")


@pytest.mark.parametrize("make", [
    lambda m: m.tensor([1.5]), lambda m: m.zeros(2), lambda m: m.ones(2), lambda m: m.rand(2),
    lambda m: m.randn(2), lambda m: m.arange(0.5), lambda m: m.full((2,), 1.5), lambda m: m.empty(2),
    lambda m: m.tensor([1, 2]) * 1.5, lambda m: m.tensor([1, 2]) / 2, lambda m: m.tensor([1]).exp(),
    lambda m: m.tensor([1, 2]).float(),
])
def test_set_default_dtype_is_honoured_as_in_pytorch(torch: Any, make: Any) -> None:
    try:
        minigrad.set_default_dtype(minigrad.float64)
        torch.set_default_dtype(torch.float64)
        assert str(make(minigrad).dtype) == str(make(torch).dtype).replace("torch.", "minigrad.")
    finally:
        minigrad.set_default_dtype(minigrad.float32)
        torch.set_default_dtype(torch.float32)
    assert str(make(minigrad).dtype) == str(make(torch).dtype).replace("torch.", "minigrad.")


def test_set_default_dtype_refuses_non_floating_dtypes(torch: Any) -> None:
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)
    with pytest.raises(TypeError, match="floating-point"):
        minigrad.set_default_dtype(minigrad.int64)
    assert minigrad.get_default_dtype() == minigrad.float32


def test_python_types_as_dtypes_are_pytorchs(torch: Any) -> None:
    for python_type in (float, int, bool, complex):
        mine = minigrad.zeros(1, dtype=python_type).dtype
        assert str(mine) == str(torch.zeros(1, dtype=python_type).dtype).replace("torch.", "minigrad.")


# --- minigrad.Size ------------------------------------------------------------------------------------


def test_size_is_a_tuple_that_prints_as_pytorchs(torch: Any) -> None:
    shape = minigrad.zeros(2, 3).shape
    assert isinstance(shape, minigrad.Size) and isinstance(shape, tuple)
    assert shape == (2, 3) and minigrad.zeros(2, 3).size() == shape
    assert repr(shape) == str(shape) == repr(torch.zeros(2, 3).shape).replace("torch.", "minigrad.")
    assert shape.numel() == 6 and minigrad.Size([]).numel() == 1
    assert minigrad.zeros(2, 3).size(1) == 3 and type(minigrad.zeros(2, 3).size(1)) is int


def test_size_slices_and_sums_stay_sizes(torch: Any) -> None:
    mine, theirs = minigrad.Size([2, 3, 4]), torch.Size([2, 3, 4])
    for op in (lambda s: s[1:], lambda s: s + (5,), lambda s: (1,) + s, lambda s: s * 2):
        result, expected = op(mine), op(theirs)
        assert type(result) is minigrad.Size and type(expected) is torch.Size
        assert tuple(result) == tuple(expected)
    assert mine[0] == 2 and type(mine[0]) is int
    assert pickle.loads(pickle.dumps(mine)) == mine
    with pytest.raises(TypeError, match="int"):
        minigrad.Size([2.5])


# --- minigrad.dtype -----------------------------------------------------------------------------------

DTYPE_NAMES = ["float16", "float32", "float64", "complex64", "complex128", "int8", "int16",
               "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtypes_print_and_describe_themselves_as_pytorchs(torch: Any, name: str) -> None:
    mine, theirs = getattr(minigrad, name), getattr(torch, name)
    assert isinstance(mine, minigrad.dtype)
    assert repr(mine) == str(mine) == repr(theirs).replace("torch.", "minigrad.")
    assert mine.is_floating_point == theirs.is_floating_point
    assert mine.is_complex == theirs.is_complex
    assert mine.is_signed == theirs.is_signed
    assert mine.itemsize == theirs.itemsize
    assert str(minigrad.zeros(1, dtype=mine).dtype) == repr(mine)


def test_dtype_aliases_are_pytorchs(torch: Any) -> None:
    for alias in ("float", "double", "half", "long", "int", "cfloat", "cdouble"):
        assert repr(getattr(minigrad, alias)) == repr(getattr(torch, alias)).replace("torch.", "minigrad.")


def test_dtypes_are_hashable_and_equal_only_to_themselves() -> None:
    assert minigrad.float32 == minigrad.float32 and minigrad.float32 != minigrad.float64
    assert len({minigrad.float32, minigrad.float32, minigrad.int64}) == 2
    assert minigrad.tensor([1.0]).dtype is minigrad.float32  # one object per dtype
    assert pickle.loads(pickle.dumps(minigrad.float64)) is minigrad.float64


def test_dtypes_still_work_where_numpy_dtypes_are_expected() -> None:
    # backends/ computes with NumPy dtypes; code written against them keeps working.
    assert minigrad.float32 == np.float32 and minigrad.float32 == np.dtype("float32")
    assert np.zeros(2, dtype=minigrad.float64).dtype == np.float64
    assert np.dtype(minigrad.int8) == np.int8
    assert {np.dtype("float32"): "found"}[minigrad.float32] == "found"
    assert minigrad.float32.kind == "f" and minigrad.float32.name == "float32"


def test_dtype_to_real_and_to_complex_are_pytorchs(torch: Any) -> None:
    assert repr(minigrad.complex64.to_real()) == repr(torch.complex64.to_real()).replace("torch.", "minigrad.")
    assert repr(minigrad.float64.to_complex()) == repr(torch.float64.to_complex()).replace("torch.", "minigrad.")


# --- Tensor.type() ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_type_names_are_pytorchs(torch: Any, name: str) -> None:
    mine = minigrad.zeros(1, dtype=getattr(minigrad, name)).type()
    theirs = torch.zeros(1, dtype=getattr(torch, name)).type()
    assert mine == theirs.replace("torch.", "minigrad.")


def test_type_converts_to_a_dtype_or_a_type_name(torch: Any) -> None:
    x = minigrad.tensor([1.5, 2.5])
    assert x.type(minigrad.float64).dtype == minigrad.float64
    assert x.type("minigrad.IntTensor").tolist() == torch.tensor([1.5, 2.5]).type("torch.IntTensor").tolist()
    assert x.type("torch.LongTensor").dtype == minigrad.int64
    assert x.type(minigrad.float32) is x  # nothing to convert, as PyTorch
    with pytest.raises(ValueError, match="invalid type"):
        x.type("minigrad.NoSuchTensor")


# --- finfo and iinfo -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["float16", "float32", "float64", None])
def test_finfo_matches_pytorch(torch: Any, name: str | None) -> None:
    mine = minigrad.finfo() if name is None else minigrad.finfo(getattr(minigrad, name))
    theirs = torch.finfo() if name is None else torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(mine, field) == getattr(theirs, field), field
    assert repr(mine) == repr(theirs)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_pytorch(torch: Any, name: str) -> None:
    mine, theirs = minigrad.iinfo(getattr(minigrad, name)), torch.iinfo(getattr(torch, name))
    assert (mine.bits, mine.min, mine.max, mine.dtype) == (theirs.bits, theirs.min, theirs.max, theirs.dtype)
    assert repr(mine) == repr(theirs)


@pytest.mark.parametrize(("info", "name"), [("finfo", "int32"), ("iinfo", "float32"), ("iinfo", "bool")])
def test_info_of_the_wrong_kind_of_dtype_is_a_type_error(torch: Any, info: str, name: str) -> None:
    with pytest.raises(TypeError):
        getattr(torch, info)(getattr(torch, name))
    with pytest.raises(TypeError, match=r"minigrad\.\w+"):
        getattr(minigrad, info)(getattr(minigrad, name))
