"""DLPack and the CUDA array interface: NumPy, PyTorch and CuPy share a tensor's memory."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from tests.backends import fake_cupy

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.fixture
def fake_cuda(monkeypatch):
    yield from fake_cupy.installer(monkeypatch)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.integers(0, 4), max_size=3), dtype=st.sampled_from(DTYPES))
def test_numpy_and_torch_read_a_tensor_in_place(torch, shape, dtype):
    tensor = minigrad.tensor(np.arange(int(np.prod(shape))).reshape(shape) % 2).to(getattr(minigrad, dtype))
    as_numpy = np.from_dlpack(tensor)
    as_torch = torch.from_dlpack(tensor)
    assert as_numpy.shape == tuple(shape) and as_numpy.dtype == tensor.dtype
    assert str(as_torch.dtype) == f"torch.{dtype}" and tuple(as_torch.shape) == tuple(shape)
    np.testing.assert_array_equal(as_torch.numpy(), tensor.numpy())
    if tensor.numel():
        assert np.shares_memory(as_numpy, tensor.numpy())
        assert as_torch.data_ptr() == as_numpy.ctypes.data


def test_writes_are_seen_on_both_sides(torch):
    tensor = minigrad.zeros(2, 3)
    torch.from_dlpack(tensor)[1, 2] = 7.0
    assert tensor[1, 2].item() == 7.0
    source = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    shared = minigrad.from_dlpack(source)
    source[0, 0] = -1.0
    assert shared.dtype == minigrad.float64 and shared.device == "cpu" and shared[0, 0].item() == -1.0
    array = np.arange(4, dtype=np.int32)
    from_numpy = minigrad.from_dlpack(array)
    array[3] = 40
    assert from_numpy.tolist() == [0, 1, 2, 40] and from_numpy.dtype == minigrad.int32


def test_views_and_non_contiguous_tensors_keep_their_layout(torch):
    source = torch.arange(12.0).reshape(3, 4).t()  # strided
    tensor = minigrad.from_dlpack(source)
    np.testing.assert_array_equal(tensor.numpy(), source.numpy())
    back = torch.from_dlpack(minigrad.arange(12.0).reshape(3, 4)[:, 1::2])
    np.testing.assert_array_equal(back.numpy(), np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, 1::2])


def test_the_dlpack_device_and_the_rules_for_grad_follow_pytorch(torch):
    tensor = minigrad.ones(2, requires_grad=True)
    assert tensor.__dlpack_device__() == (1, 0) == torch.ones(2).__dlpack_device__()
    with pytest.raises(BufferError, match="detach"):
        np.from_dlpack(tensor)
    with pytest.raises(BufferError):  # PyTorch refuses the same way
        np.from_dlpack(torch.ones(2, requires_grad=True))
    assert np.from_dlpack(tensor.detach()).tolist() == [1.0, 1.0]
    assert minigrad.from_dlpack(tensor) is not tensor
    with pytest.raises(TypeError, match="needs an object with __dlpack__"):
        minigrad.from_dlpack([1, 2])


def test_cuda_tensors_have_the_cuda_array_interface(fake_cuda):
    tensor = minigrad.arange(6.0, device="cuda").reshape(2, 3)
    interface = tensor.__cuda_array_interface__
    assert interface == tensor._array.__cuda_array_interface__
    assert interface["shape"] == (2, 3) and interface["typestr"] == "<f4" and interface["version"] == 3
    cpu = minigrad.ones(2)
    assert not hasattr(cpu, "__cuda_array_interface__")  # as PyTorch: an AttributeError on CPU tensors
    with pytest.raises(AttributeError, match="tensor.cuda()"):
        cpu.__cuda_array_interface__  # noqa: B018
    with pytest.raises(RuntimeError, match="requires grad"):
        minigrad.ones(2, device="cuda", requires_grad=True).__cuda_array_interface__  # noqa: B018


def test_from_dlpack_puts_cuda_memory_on_its_gpu(fake_cuda):
    class CudaArray:  # what CuPy and torch.cuda tensors report
        def __init__(self, array, index):
            self.array, self.index = array, index

        def __dlpack_device__(self):
            return (2, self.index)

        def __dlpack__(self, **options):
            return self.array.__dlpack__()

    fake_cuda(device_count=2)
    tensor = minigrad.from_dlpack(CudaArray(np.arange(3.0), 1))
    assert tensor.device == "cuda:1" and tensor.tolist() == [0.0, 1.0, 2.0]

    class Elsewhere(CudaArray):
        def __dlpack_device__(self):
            return (4, 0)  # OpenCL

    with pytest.raises(RuntimeError, match="device type 4"):
        minigrad.from_dlpack(Elsewhere(np.arange(3.0), 0))
