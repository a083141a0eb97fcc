"""How the CPU backend asks the C allocator to treat array buffers (glibc's malloc only).

NumPy takes every array buffer from ``malloc``. glibc serves a large request by ``mmap`` and
hands a freed heap top back to the OS once it passes a "trim threshold"; both limits start
small and adapt only to what was freed so far. A training step frees and asks again for the
same activation-sized buffers (megabytes each) every step, and each time the adaptive limits
let go of one, its next use starts on fresh pages from the OS: every 4 KiB page is a page fault
and a zeroing, paid again each step (``benchmarks/`` counts them: LeNet at batch 256 took ~2,200
faults a step). Fixed limits keep those buffers in the heap and reuse them.

The cost is memory the process keeps after freeing it: up to ``KEPT_FREE_BYTES`` of freed heap
is not handed back. ``MINIGRAD_MALLOC_TUNING=0`` leaves malloc as it was.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["HEAP_ARRAY_BYTES", "KEPT_FREE_BYTES", "tune_malloc_for_arrays"]

#: Buffers up to this size come from the heap (reused) instead of a fresh ``mmap`` each time.
HEAP_ARRAY_BYTES = 32 * 1024 * 1024
#: Freed memory at the heap's top is handed back to the OS only past this much.
KEPT_FREE_BYTES = 128 * 1024 * 1024

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h> parameter numbers
_M_MMAP_THRESHOLD = -3

_tuned: bool | None = None


def tune_malloc_for_arrays() -> bool:
    """Set glibc's ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` (once per process) so that
    array buffers are reused instead of page-faulted in afresh. Returns whether malloc is tuned:
    False on other C libraries and platforms, or with ``MINIGRAD_MALLOC_TUNING=0``."""
    global _tuned
    if _tuned is None:
        _tuned = _tune()
    return _tuned


def _tune() -> bool:
    if os.environ.get("MINIGRAD_MALLOC_TUNING", "1").strip() == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)  # the C library this process already runs on
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return False  # glibc's own symbol: musl and others have other mallocs
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success. Fixing either limit turns off glibc's adaptation of both.
    return bool(mallopt(_M_MMAP_THRESHOLD, HEAP_ARRAY_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, KEPT_FREE_BYTES))
