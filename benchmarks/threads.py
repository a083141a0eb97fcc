"""What the second core buys: LeNet training-step time at 1 and 2 threads, minigrad and PyTorch.

    python benchmarks/threads.py [--batch-sizes 16 64 256] [--rounds 7] [--steps 10]

minigrad's only multi-threaded work is OpenBLAS's GEMMs (its NumPy copies and numba loops run
on one core), so its thread count is OpenBLAS's, set between rounds through threadpoolctl;
PyTorch's is ``torch.set_num_threads``. All four configurations train the same LeNet from the
same weights on the same batches, in interleaved rounds within one process, so that all see
the same machine conditions (on a shared machine separate processes differ by more than the
effect measured). Medians in ms per step, and each framework's speed-up from the second thread.
Switching PyTorch's pool between rounds costs it at small batches: its 2-thread step at batch 16
measured 6.3 ms here against 3.6-4.1 ms in ``lenet_mnist.py``; read batch 16 with that in mind.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kernels import minigrad_step, torch_step  # noqa: E402
from lenet_mnist import initial_state  # noqa: E402

CONFIGURATIONS = [("minigrad", 1), ("minigrad", 2), ("pytorch", 1), ("pytorch", 2)]


def blas_controller():
    """The OpenBLAS NumPy uses, as threadpoolctl's controller (its thread count can be set)."""
    from threadpoolctl import ThreadpoolController

    found = ThreadpoolController().select(internal_api="openblas").lib_controllers
    if not found:
        raise SystemExit("NumPy is not linked against OpenBLAS here: nothing to set the thread count of")
    return found[0]


def measure(torch, blas, batch: int, rounds: int, steps: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median ms per step of each configuration at ``batch``, and the loss each reached, both
    keyed ``"<framework> <threads>"``."""
    rng = np.random.default_rng(0)
    state = initial_state(0)
    images = rng.standard_normal((batch, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    # One model per configuration: each trains its own copy, so each sees the same steps.
    runs = {(name, threads): minigrad_step(state, images, labels) if name == "minigrad"
            else torch_step(torch, state, images, labels) for name, threads in CONFIGURATIONS}
    times: dict[tuple, list[float]] = {key: [] for key in runs}
    losses: dict[tuple, float] = {}

    def use(threads: int) -> None:
        blas.set_num_threads(threads)
        torch.set_num_threads(threads)

    for key, step in runs.items():  # warm-up (numba compiles, caches fill)
        use(key[1])
        step()
    for _ in range(rounds):
        for key, step in runs.items():
            use(key[1])
            step()  # untimed: the first step after a switch pays for waking or starting threads
            start = time.perf_counter()
            for _ in range(steps):
                losses[key] = step()
            times[key].append((time.perf_counter() - start) / steps * 1e3)
    use(2)
    return ({f"{name} {threads}": statistics.median(times[(name, threads)]) for name, threads in runs},
            {f"{name} {threads}": losses[(name, threads)] for name, threads in runs})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=10, help="steps per timed window")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write results as JSON")
    args = parser.parse_args()
    import torch

    blas = blas_controller()
    header = " ".join(f"{f'{name} {threads}t ms':>14s}" for name, threads in CONFIGURATIONS)
    print(f"{'batch':>5s} {header}   2nd thread: minigrad  pytorch")
    results = []
    for batch in args.batch_sizes:
        row, losses = measure(torch, blas, batch, args.rounds, args.steps)
        gains = {name: row[f"{name} 1"] / row[f"{name} 2"] for name in ("minigrad", "pytorch")}
        cells = " ".join(f"{row[f'{name} {threads}']:14.2f}" for name, threads in CONFIGURATIONS)
        print(f"{batch:5d} {cells}   {gains['minigrad']:8.2f}x {gains['pytorch']:8.2f}x", flush=True)
        results.append({"batch": batch, "ms_per_step": row, "last_loss": losses, "second_thread_speedup": gains})
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
