"""The CPU backend's malloc tuning (backends/host_memory.py): array buffers that a training
step frees and asks for again are reused from the heap, not page-faulted in afresh."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap

import minigrad.backends as backends

# Three 5 MiB arrays made and freed, round after round: the shape of a training step's
# activations. glibc's adaptive limits hand the freed 15 MiB back to the OS each round.
ROUNDS_OF_ARRAYS = textwrap.dedent(
    """
    import resource
    import numpy as np
    import minigrad
    print(minigrad.backends.get("cpu").malloc_tuned)

    def rounds(count):
        for _ in range(count):
            arrays = [np.ones(5 * 2**20 // 4, np.float32) for _ in range(3)]
            del arrays

    rounds(3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    rounds(10)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
    """
)


def _is_glibc_linux() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return hasattr(ctypes.CDLL(None), "gnu_get_libc_version")
    except OSError:
        return False


def _run(tuning: str) -> tuple[bool, float]:
    env = {**os.environ, "MINIGRAD_MALLOC_TUNING": tuning}
    lines = subprocess.run([sys.executable, "-c", ROUNDS_OF_ARRAYS], env=env, capture_output=True, text=True,
                           check=True, timeout=120).stdout.split()
    return lines[0] == "True", float(lines[1])


def test_the_cpu_backend_tunes_malloc_exactly_on_glibc():
    tuned = backends.get("cpu").malloc_tuned
    expected = _is_glibc_linux() and os.environ.get("MINIGRAD_MALLOC_TUNING", "1").strip() != "0"
    assert tuned is expected


def test_freed_array_buffers_are_reused_without_page_faults():
    tuned, faults = _run("1")
    untuned, faults_untuned = _run("0")
    assert untuned is False  # the opt-out leaves malloc alone
    if not _is_glibc_linux():
        assert tuned is False
        return
    assert tuned is True
    # 15 MiB of fresh pages would be ~3,800 faults a round; reused buffers need none. (Without
    # the tuning glibc faults them in again: faults_untuned, ~1,000 a round on Debian's glibc.)
    assert faults < 20, f"{faults} page faults a round with tuning, {faults_untuned} without"
