"""CPU time per LeNet training step, minigrad against PyTorch, one thread each, interleaved.

    python benchmarks/step_cpu_time.py [--repo PATH] [--batch-sizes 16 64 256] [--json PATH]

For a shared, loaded machine, where wall-clock timings of multi-threaded code mostly measure
the scheduler (a thread barrier waits for a descheduled thread): the process's CPU time is far
less sensitive to other load. One thread each (run it with ``OPENBLAS_NUM_THREADS=1
NUMBA_NUM_THREADS=1``; PyTorch is set to one thread here), so it compares the work each
framework does, not how it spreads over cores. ``--repo`` times another checkout of minigrad
(an older commit, for before/after numbers). Same weights, same batch; medians of 7 rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path


def measure(batch: int, rounds: int, images_per_round: int) -> dict[str, float]:
    """Median CPU ms per training step of each framework at ``batch``."""
    import numpy as np
    import torch
    from lenet_mnist import LEARNING_RATE, MOMENTUM, torch_lenet
    from minigrad.models import LeNet

    import minigrad
    import minigrad.nn.functional as F
    from minigrad import optim

    minigrad.manual_seed(0)
    model = LeNet()
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    theirs = torch_lenet(torch)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    their_optimizer = torch.optim.SGD(theirs.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, batch)
    x, y = minigrad.tensor(images), minigrad.tensor(labels)
    tx, ty = torch.from_numpy(images), torch.from_numpy(labels)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    def their_step():
        their_optimizer.zero_grad()
        torch.nn.functional.cross_entropy(theirs(tx), ty).backward()
        their_optimizer.step()

    for _ in range(3):  # warm-up (and numba's first-use compilation)
        step()
        their_step()
    steps = max(1, images_per_round // batch)
    times: dict[str, list[float]] = {"minigrad": [], "pytorch": []}
    for _ in range(rounds):
        for name, run in (("minigrad", step), ("pytorch", their_step)):
            start = time.process_time()
            for _ in range(steps):
                run()
            times[name].append((time.process_time() - start) / steps * 1e3)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent),
                        help="the minigrad checkout to time (default: this one)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--images", type=int, default=640, help="images per timed round")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args()
    sys.path.insert(0, args.repo)
    import minigrad  # from --repo, before lenet_mnist (which puts this checkout first) imports it

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import torch

    print(f"minigrad from {Path(minigrad.__file__).parent.parent}", file=sys.stderr)

    torch.set_num_threads(1)
    results = []
    for batch in args.batch_sizes:
        medians = measure(batch, args.rounds, args.images)
        ratio = medians["pytorch"] / medians["minigrad"]
        results.append({"batch_size": batch, "cpu_ms_per_step": medians, "throughput_ratio": ratio})
        print(f"batch {batch:4d}: minigrad {medians['minigrad']:7.2f} ms | pytorch {medians['pytorch']:7.2f} ms "
              f"| minigrad/pytorch throughput {ratio:.2f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"repo": args.repo, "runs": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
