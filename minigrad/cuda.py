"""``minigrad.cuda``: is there a GPU, how many, wait for it, seed it (``torch.cuda``'s names).

Nothing here imports CuPy until a function needs it, and the questions (``is_available``,
``device_count``) answer ``False``/``0`` instead of raising when CuPy or the GPU is missing.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

from minigrad.backends.cupy_backend import OutOfMemoryError

__all__ = [
    "OutOfMemoryError", "current_device", "device_count", "is_available", "manual_seed",
    "synchronize",
]


def _cupy_installed() -> bool:
    if sys.modules.get("cupy") is not None:
        return True
    try:
        return importlib.util.find_spec("cupy") is not None
    except (ImportError, ValueError):
        return False


def is_available() -> bool:
    """Whether ``device="cuda"`` works here (CuPy installed and at least one GPU). Never raises."""
    if not _cupy_installed():
        return False  # answered without importing anything
    from minigrad.backends.cupy_backend import unavailable_reason

    try:
        return unavailable_reason() is None
    except Exception:
        return False


def device_count() -> int:
    """How many GPUs minigrad can use (0 without CuPy or a driver). Never raises."""
    if not _cupy_installed():
        return 0
    from minigrad.backends.cupy_backend import gpu_count, import_cupy

    try:
        return gpu_count(import_cupy())
    except Exception:
        return 0


def current_device() -> int:
    """The index ``N`` of the current GPU (``"cuda"`` means ``"cuda:N"`` for raw CuPy work)."""
    from minigrad.backends.cupy_backend import gpu_count, import_cupy

    cupy = import_cupy()
    gpu_count(cupy)  # a clear error when there is no GPU
    return int(cupy.cuda.runtime.getDevice())


def synchronize(device: Any = None) -> None:
    """Wait until every queued kernel on ``device`` (default: the current GPU) has finished.

    Time GPU work with it: kernels run asynchronously, so a timer stopped without it measures
    only how long launching took.
    """
    from minigrad import backends

    backends.get(f"cuda:{current_device()}" if device is None else device).synchronize()


def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator. Silently does nothing without a GPU (as PyTorch).

    ``minigrad.manual_seed`` seeds every device, the CPU included; prefer it.
    """
    if not is_available():
        return
    from minigrad import backends

    backends.get(f"cuda:{current_device()}").manual_seed(int(seed))
