"""What the vector kernels' on-disk machine-code cache saves: the first LeNet training step of a
fresh process, with the cache empty (every kernel is compiled) and filled (loaded).

    python benchmarks/kernel_cache.py                 # batch 64, 5 processes of each
    python benchmarks/kernel_cache.py --batch-size 16 --repeats 9

Each process builds LeNet, takes one step on one image (the warm-up ``lenet_mnist.py``'s memory
probe takes; it compiles nothing at this size), resets the peak-RSS mark, then times its first
real step and measures the peak RSS it added. "Cold" processes get an empty cache directory each,
"warm" ones the directory a cold one filled. Medians, with every value.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))


def first_step(batch_size: int, data_dir: str) -> dict:
    import lenet_mnist

    batches = lenet_mnist.mnist_batches(data_dir, batch_size, 2)
    trainer = lenet_mnist.MinigradTrainer(lenet_mnist.initial_state(0), "cpu")
    trainer.load([(images[:1], labels[:1]) for images, labels in batches[:1]])
    trainer.step(0)
    trainer.load(batches)
    lenet_mnist._reset_peak_rss()
    before = lenet_mnist._current_rss_kib()
    start = time.perf_counter()
    trainer.step(0)
    seconds = time.perf_counter() - start
    added = (lenet_mnist._peak_rss_kib() - before) / 1024
    start = time.perf_counter()
    trainer.step(1)
    return {"first_step_ms": seconds * 1e3, "peak_mib": added, "second_step_ms": (time.perf_counter() - start) * 1e3}


def in_subprocess(cache: str, batch_size: int, data_dir: str) -> dict:
    command = [sys.executable, __file__, "--child", "--batch-size", str(batch_size), "--data-dir", data_dir]
    environment = dict(os.environ, MINIGRAD_KERNEL_CACHE=cache)
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-dir", default=os.environ.get("MINIGRAD_DATA", str(REPO.parent / "shared/data/mnist")))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(first_step(args.batch_size, args.data_dir)))
        return 0
    runs: dict[str, list[dict]] = {"cold": [], "warm": []}
    for _ in range(args.repeats):  # alternating, so both see the same machine conditions
        with tempfile.TemporaryDirectory(prefix="kernel-cache-") as cache:
            runs["cold"].append(in_subprocess(cache, args.batch_size, args.data_dir))
            runs["warm"].append(in_subprocess(cache, args.batch_size, args.data_dir))
    print(f"LeNet, batch {args.batch_size}, first training step of a fresh process (median of {args.repeats}):")
    for name, values in runs.items():
        summary = {field: statistics.median(run[field] for run in values) for field in values[0]}
        print(f"  cache {name}: first step {summary['first_step_ms']:.1f} ms, peak RSS +{summary['peak_mib']:.1f} MiB, "
              f"second step {summary['second_step_ms']:.1f} ms   all peaks: "
              + " ".join(f"{run['peak_mib']:.1f}" for run in values))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
