"""Zero-copy exchange with NumPy, CuPy, PyTorch and others: DLPack and the CUDA array interface.

``numpy.from_dlpack(t)``, ``torch.from_dlpack(t)`` and ``cupy.from_dlpack(t)`` read a minigrad
tensor's memory in place; ``minigrad.from_dlpack(x)`` does the same for their arrays. Both
directions share memory: a write on one side is seen on the other (but not counted by autograd's
version counter, as in PyTorch). As in PyTorch, a tensor that requires grad is not exported (the
other library would bypass autograd): ``.detach()`` it first.
"""

from __future__ import annotations

from typing import Any

# DLPack's device types (dlpack.h, DLDeviceType) that minigrad's backends can hold.
_DLPACK_CPU, _DLPACK_CUDA, _DLPACK_CUDA_HOST, _DLPACK_CUDA_MANAGED = 1, 2, 3, 13


class InteropMethods:
    """``Tensor.__dlpack__``, ``__dlpack_device__`` and ``__cuda_array_interface__``."""

    __slots__ = ()
    _array: Any
    requires_grad: bool
    device: Any

    def __dlpack__(self, *, stream: Any = None, max_version: tuple[int, int] | None = None,
                   dl_device: tuple[int, int] | None = None, copy: bool | None = None) -> Any:
        """A DLPack capsule of this tensor's memory (the array API standard's protocol)."""
        if self.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")  # PyTorch's class
        # Pass only what was given: NumPy 1.x's __dlpack__ knows only `stream`.
        options = {name: value for name, value in (("stream", stream), ("max_version", max_version),
                                                   ("dl_device", dl_device), ("copy", copy)) if value is not None}
        return self._array.__dlpack__(**options)

    def __dlpack_device__(self) -> tuple[int, int]:
        """``(device type, index)`` as DLPack numbers them: (1, 0) is the CPU, (2, n) CUDA GPU n."""
        device_type, index = self._array.__dlpack_device__()
        return int(device_type), int(index)

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        """Numba's CUDA array interface of a CUDA tensor's memory (CuPy, Numba, PyTorch read it)."""
        array = self._array
        if not hasattr(array, "__cuda_array_interface__"):
            # An AttributeError, so hasattr(cpu_tensor, "__cuda_array_interface__") is False (PyTorch's).
            raise AttributeError(f"Can't get __cuda_array_interface__ on a {self.device} tensor. If CUDA data is "
                                 "required use tensor.cuda() to copy tensor to device memory.")
        if self.requires_grad:
            raise RuntimeError("Can't get __cuda_array_interface__ on a tensor that requires grad. If gradients "
                               "aren't required, use tensor.detach() to get a tensor that doesn't require grad.")
        return array.__cuda_array_interface__


def from_dlpack(ext_tensor: Any) -> Any:
    """A minigrad Tensor sharing the memory of ``ext_tensor`` (a NumPy or CuPy array, a torch
    tensor, anything with ``__dlpack__`` and ``__dlpack_device__``), like ``torch.from_dlpack``.

    CPU memory gives a ``cpu`` tensor, CUDA memory of GPU n a ``cuda:n`` tensor.
    """
    from minigrad import backends
    from minigrad.backends.dtypes import check_array_dtype
    from minigrad.tensor import Tensor

    if isinstance(ext_tensor, Tensor):
        return Tensor._make(ext_tensor._array, ext_tensor.backend)
    if not hasattr(ext_tensor, "__dlpack__") or not hasattr(ext_tensor, "__dlpack_device__"):
        raise TypeError(f"from_dlpack needs an object with __dlpack__ and __dlpack_device__ (a NumPy or CuPy "
                        f"array, a torch tensor...), got {type(ext_tensor).__name__}")
    device_type, index = ext_tensor.__dlpack_device__()
    if device_type in (_DLPACK_CPU, _DLPACK_CUDA_HOST):
        backend = backends.get("cpu")
    elif device_type in (_DLPACK_CUDA, _DLPACK_CUDA_MANAGED):
        backend = backends.get(f"cuda:{int(index)}")
    else:
        raise RuntimeError(f"from_dlpack: DLPack device type {int(device_type)} is not one minigrad has "
                           "(CPU or CUDA); copy the data to the CPU first")
    with backend.activate("from_dlpack"):
        array = backend.xp.from_dlpack(ext_tensor)
    check_array_dtype(array.dtype)
    return Tensor._make(array, backend)
