"""Both CPU cores for one large convolution: each half of the batch on its own thread.

NumPy's copies and numba's loops run on one core, and OpenBLAS's second thread buys a LeNet
step little (``benchmarks/threads.py``); a convolution's two half-batches are independent, so
two Python threads can each take one, with OpenBLAS held to one thread meanwhile (two threads
each asking OpenBLAS for two would share two cores four ways). The GIL is released inside the
GEMMs, the large copies and the numba loops, where the time goes.

OpenBLAS's thread count is process-wide: while a split runs, NumPy GEMMs elsewhere in the
process use one thread too. One split runs at a time (another caller meanwhile runs its
convolution whole), so the count is always restored to what it was.

Needs threadpoolctl (the ``fast`` extra) and NumPy on OpenBLAS; without them nothing splits.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import numpy

#: A convolution splits when its input has at least this many numbers: below, the handoff to
#: the other thread and the concatenation cost more than the second core gains.
SPLIT_MIN_NUMBERS = 2**17


class BatchSplit:
    """Runs ``compute(part)`` on both halves of a batch at once and joins the results."""

    def __init__(self, blas: Any, min_numbers: int = SPLIT_MIN_NUMBERS) -> None:
        self.blas, self.min_numbers = blas, min_numbers
        self._lock = threading.Lock()
        self._pool: Any = None
        self._pool_pid = -1

    def __repr__(self) -> str:
        return f"<BatchSplit min_numbers={self.min_numbers}>"

    def pays(self, x: Any) -> bool:
        """Whether an input this large is worth splitting (two images at least)."""
        return x.shape[0] >= 2 and x.size >= self.min_numbers

    def __call__(self, compute: Callable[[Any], Any], x: Any) -> Any:
        """``compute`` of the whole batch, from its halves (None when ``compute`` gives None)."""
        if not self._lock.acquire(blocking=False):  # another split holds the BLAS setting
            return compute(x)
        try:
            pool = self._worker()
            threads = self.blas.get_num_threads()
            self.blas.set_num_threads(1)
            try:
                half = x.shape[0] // 2
                second = pool.submit(compute, x[half:])
                first = compute(x[:half])
                rest = second.result()
            finally:
                self.blas.set_num_threads(threads)
        finally:
            self._lock.release()
        if first is None or rest is None:
            return None
        return numpy.concatenate([first, rest])

    def _worker(self) -> Any:
        # A forked child inherits the pool object but not its thread: it makes its own.
        if self._pool is None or self._pool_pid != os.getpid():
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(1, thread_name_prefix="minigrad-conv")
            self._pool_pid = os.getpid()
        return self._pool


def batch_split() -> BatchSplit | None:
    """A :class:`BatchSplit` for this process's OpenBLAS, or None (no threadpoolctl, NumPy not
    on OpenBLAS, or a single core)."""
    if (os.cpu_count() or 1) < 2:
        return None
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    found = ThreadpoolController().select(internal_api="openblas").lib_controllers
    return BatchSplit(found[0]) if found else None
