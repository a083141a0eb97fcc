"""A pause before each timed window, so one framework's idle threads do not slow the next.

After a GEMM, NumPy's OpenBLAS keeps its worker threads spinning for a while (and PyTorch's
OpenMP threads do the same), so a window that starts right after the other framework's ran on a
machine with a core taken. Measured at batch 64 on 2 cores (LeNet steps, images/s, medians):
PyTorch right after minigrad 6,878, after PyTorch 10,021, after a 0.5 s pause 9,687; with
OPENBLAS_NUM_THREADS=1 PyTorch after minigrad 9,962. Windows that alternated without a pause
therefore understated PyTorch (this benchmark's ratios before 2026-12-04 did).
"""

from __future__ import annotations

import time

#: Longer than OpenBLAS's and libgomp's spin before their threads sleep.
SETTLE_SECONDS = 0.5


def settle() -> None:
    time.sleep(SETTLE_SECONDS)
