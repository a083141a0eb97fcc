"""``minigrad.device`` objects, and moving tensors (with their gradients) between devices.

A second device is a NumPy backend registered under another name for the test's duration.
"""

from __future__ import annotations

import numpy as np
import pytest
from minigrad.backends.numpy_backend import NumpyBackend

import minigrad
from minigrad import backends


class OtherCpuBackend(NumpyBackend):
    type = "othercpu"


@pytest.fixture
def other_device():
    saved = dict(backends._factories), dict(backends._probes), dict(backends._cache)
    backends.register("othercpu", lambda index: OtherCpuBackend())
    yield "othercpu"
    for registry, before in zip((backends._factories, backends._probes, backends._cache), saved):
        registry.clear()
        registry.update(before)


def test_device_parsing_and_equality():
    assert minigrad.device("cpu") == "cpu" and minigrad.device("cpu").index == 0
    cuda = minigrad.device("cuda:1")
    assert (cuda.type, cuda.index) == ("cuda", 1) and str(cuda) == "cuda:1"
    assert minigrad.device("cuda") == minigrad.device("cuda", 0) == "cuda:0"
    assert minigrad.device("cuda", 1) == cuda and cuda != "cuda:0" and cuda != "not a device:x"
    assert repr(minigrad.device("cpu")) == "device(type='cpu')"
    assert repr(cuda) == "device(type='cuda', index=1)"
    assert len({minigrad.device("cuda:1"), minigrad.device("cuda", 1)}) == 1
    assert minigrad.device(minigrad.device("cuda:2")).index == 2


@pytest.mark.parametrize("bad", ["cuda:x", "", ":0", "cuda:-1"])
def test_bad_device_strings_are_explained(bad):
    with pytest.raises(ValueError, match="device"):
        minigrad.device(bad)


def test_a_device_must_be_a_string():
    with pytest.raises(TypeError, match="string like 'cpu'"):
        minigrad.device(3)


def test_tensor_device():
    t = minigrad.zeros(2)
    assert t.device == "cpu" and t.device == minigrad.device("cpu") and not t.is_cuda
    assert t.to("cpu") is t and t.cpu() is t


def test_moving_a_leaf_is_differentiable_as_in_pytorch(other_device):
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    moved = w.to(other_device)
    assert moved.device == "othercpu:0" and not moved.is_leaf and moved.requires_grad
    (moved * moved).sum().backward()
    assert w.grad.device == "cpu"
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    both = w.to(other_device, "float64")
    assert both.device == "othercpu:0" and both.dtype == minigrad.float64


def test_moving_a_non_leaf_is_differentiable(other_device):
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    moved = (w * 3).to(minigrad.device(other_device))
    assert moved.grad_fn.name == "to_device"
    moved.sum().backward()
    assert w.grad.device == "cpu"
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_factories_accept_a_device(other_device):
    t = minigrad.ones(2, 3, device=other_device)
    assert t.device == "othercpu:0"
    assert minigrad.zeros_like(t).device == "othercpu:0"
    assert (t * 2).device == "othercpu:0"


def test_cuda_without_a_gpu_is_a_clear_error():
    reason = backends.available().get("cuda")
    if reason is None:
        pytest.skip("this machine has a usable CUDA GPU")
    with pytest.raises(backends.BackendUnavailableError) as error:
        minigrad.zeros(2, device="cuda")
    assert str(error.value) == reason  # the same explanation available() gives
