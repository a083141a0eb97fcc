"""What each kernel set buys: LeNet training-step time per CPU kernel set, and PyTorch's, in one run.

    python benchmarks/kernels.py [--batch-sizes 16 64 256] [--rounds 5] [--steps 10]

Kernel sets (``backends/kernels``): ``reference`` (every primitive's reference realisation),
``numpy`` (the NumPy kernels), ``numba`` (with numba's, when installed). All train the same
LeNet from the same weights on the same (random) batches; rounds alternate between the sets
and PyTorch (2 threads), so all see the same machine conditions. Medians in ms per step.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lenet_mnist import LEARNING_RATE, MOMENTUM, initial_state, torch_lenet  # noqa: E402
from minigrad.backends.kernels import cpu_kernels, numba_kernels  # noqa: E402
from minigrad.models import LeNet  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import backends, optim  # noqa: E402


def minigrad_step(state, images, labels):
    model = LeNet()
    model.load_state_dict({k: minigrad.tensor(v) for k, v in state.items()})
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    x, y = minigrad.tensor(images), minigrad.tensor(labels)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def torch_step(torch, state, images, labels):
    model = torch_lenet(torch)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="steps per timed window")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write results as JSON")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    names = ["reference", "numpy"] + (["numba"] if numba_kernels.available() else [])
    kernel_sets = {name: cpu_kernels(name) for name in names}
    cpu = backends.get("cpu")
    rng = np.random.default_rng(0)
    print(f"{'batch':>5s} " + " ".join(f"{n + ' ms':>12s}" for n in [*names, "pytorch"]) + "   best/pytorch")
    results = []
    for batch in args.batch_sizes:
        images = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, batch)
        state = initial_state(0)
        steps = {name: minigrad_step(state, images, labels) for name in names}
        steps["pytorch"] = torch_step(torch, state, images, labels)
        times: dict[str, list[float]] = {name: [] for name in steps}
        losses: dict[str, float] = {}
        for round_ in range(args.rounds + 1):  # the first round warms up (and compiles numba's loops)
            for name, step in steps.items():
                if name in kernel_sets:
                    cpu.kernels = kernel_sets[name]
                start = time.perf_counter()
                for _ in range(args.steps):
                    losses[name] = step()
                if round_:
                    times[name].append((time.perf_counter() - start) / args.steps * 1e3)
        cpu.kernels = cpu_kernels()
        medians = {name: statistics.median(values) for name, values in times.items()}
        best = min(medians[n] for n in names)
        print(f"{batch:5d} " + " ".join(f"{medians[n]:12.2f}" for n in steps) + f"   {best / medians['pytorch']:.2f}",
              flush=True)
        results.append({"batch_size": batch, "ms_per_step": medians, "last_loss": losses})
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
