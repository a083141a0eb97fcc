"""Per-op timings against PyTorch, and the framework's own overhead per op.

    python benchmarks/ops.py [--batch 64] [--repeat 30] [--json ops.json]

Ops (LeNet's shapes): conv2d forward, its weight gradient (dW), its input gradient (dX),
max-pool forward and backward, linear forward+backward. Overhead: a chain of 100 small ops on
a 4-element tensor, forward and backward, which measures Python cost per op, not arithmetic.
Each case alternates minigrad and PyTorch rounds; medians in microseconds.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from settle import settle  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402


def median_us(function, repeat: int) -> float:
    settle()  # the other framework's idle threads go to sleep first (see settle.py)
    function()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def cases(torch, batch: int):
    rng = np.random.default_rng(0)

    def pair(*shape):
        array = rng.standard_normal(shape).astype(np.float32)
        return (minigrad.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True))

    x1, tx1 = pair(batch, 1, 28, 28)
    w1, tw1 = pair(6, 1, 5, 5)
    x2, tx2 = pair(batch, 6, 14, 14)
    w2, tw2 = pair(16, 6, 5, 5)
    p, tp = pair(batch, 6, 28, 28)
    a, ta = pair(batch, 400)
    lw, tlw = pair(120, 400)
    lb, tlb = pair(120)
    torch_f = torch.nn.functional

    def conv_grads(conv, x, w, padding, want):
        # Only the wanted input requires grad, so each framework computes only that gradient
        # (minigrad's engine does not prune by ``inputs=``, PyTorch's does).
        x, w = x.detach().requires_grad_(want == "x"), w.detach().requires_grad_(want == "w")
        out = conv(x, w, padding=padding)
        seed = out.detach() * 0 + 1
        return lambda: out.backward(seed, retain_graph=True)

    yield "conv1 forward (N,1,28,28)*(6,1,5,5) pad 2", lambda: F.conv2d(x1, w1, padding=2), \
        lambda: torch_f.conv2d(tx1, tw1, padding=2)
    yield "conv2 forward (N,6,14,14)*(16,6,5,5)", lambda: F.conv2d(x2, w2), lambda: torch_f.conv2d(tx2, tw2)
    yield "conv1 dW", conv_grads(F.conv2d, x1, w1, 2, "w"), conv_grads(torch_f.conv2d, tx1, tw1, 2, "w")
    yield "conv2 dW", conv_grads(F.conv2d, x2, w2, 0, "w"), conv_grads(torch_f.conv2d, tx2, tw2, 0, "w")
    yield "conv2 dX", conv_grads(F.conv2d, x2, w2, 0, "x"), conv_grads(torch_f.conv2d, tx2, tw2, 0, "x")
    yield "max_pool2d forward (N,6,28,28)", lambda: F.max_pool2d(p, 2), lambda: torch_f.max_pool2d(tp, 2)

    def pool_backward(pool, x):
        out = pool(x, 2)
        seed = out.detach() * 0 + 1
        return lambda: out.backward(seed, retain_graph=True)

    yield "max_pool2d backward", pool_backward(F.max_pool2d, p), pool_backward(torch_f.max_pool2d, tp)

    def linear_step(linear, x, w, b):
        return lambda: linear(x, w, b).sum().backward()

    yield (
        "linear 400->120 forward+backward",
        linear_step(F.linear, a, lw, lb),
        linear_step(torch_f.linear, ta, tlw, tlb),
    )

    def chain(module, x):
        def run():
            y = x
            for _ in range(25):
                y = (y * 1.0001 + 0.5).tanh() - 0.25
            y.sum().backward()
        return run

    small, tsmall = pair(4)
    yield "overhead: 100 tiny ops fwd+bwd", chain(minigrad, small), chain(torch, tsmall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    rows = []
    print(f"{'op':45s} {'minigrad us':>12s} {'pytorch us':>12s} {'ratio':>7s}")
    for name, mine, theirs in cases(torch, args.batch):
        mine_times, their_times = [], []
        for _ in range(3):  # alternate rounds so both see the same machine conditions
            mine_times.append(median_us(mine, args.repeat))
            their_times.append(median_us(theirs, args.repeat))
        m, t = statistics.median(mine_times), statistics.median(their_times)
        rows.append({"op": name, "minigrad_us": m, "pytorch_us": t, "time_ratio": m / t})
        print(f"{name:45s} {m:12.1f} {t:12.1f} {m / t:7.2f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"batch": args.batch, "ops": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
