"""``minigrad.accelerator``: the device-neutral questions of ``torch.accelerator``.

minigrad's one accelerator type is CUDA (through CuPy); the CPU is not an accelerator, so
without a GPU ``is_available()`` is False, ``current_accelerator()`` None and ``device_count()`` 0.
None of them raises or imports CuPy when it is missing.
"""

from __future__ import annotations

from typing import Any

from minigrad import cuda
from minigrad.device import device as Device

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available", "synchronize"]


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU) can be used here."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> Device | None:
    """``device(type='cuda', index=N)`` for the current GPU, or None when there is none (also
    what a CPU-only PyTorch build answers, whatever ``check_available``)."""
    if is_available():
        return Device("cuda", cuda.current_device())
    return None


def device_count() -> int:
    """The number of accelerator devices (GPUs) available; 0 without one."""
    return cuda.device_count() if is_available() else 0


def current_device_index() -> int:
    """The index of the current GPU; -1 without one (PyTorch's value)."""
    return cuda.current_device() if is_available() else -1


def synchronize(device: Any = None) -> None:
    """Wait for every queued kernel on the accelerator ``device`` (default: the current one)."""
    cuda.synchronize(device)
