"""The two vector convolutions on LeNet's three stride-1 correlations, in one run: the row kernel
(``backends/kernels/vector_conv.py``, vectors along each output row) against the plane kernel
(``backends/kernels/vector_plane_conv.py``, vectors along the flat output plane of narrow planes).

    python benchmarks/conv_kernels.py [--batch 64] [--rounds 7]

One thread (the caller's); rounds alternate between the kernels; medians in microseconds.
``NumbaKernels.conv2d`` chooses between them by what this measures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minigrad.backends.kernels import vector_conv, vector_plane_conv  # noqa: E402

#: (name, input (C, H, W), weight (O, C, KH, KW), padding): the forwards and the input gradients
#: (the full correlation of the upstream gradient with the flipped kernel).
CASES = [
    ("conv1 forward", (1, 28, 28), (6, 1, 5, 5), (2, 2)),
    ("conv2 forward", (6, 14, 14), (16, 6, 5, 5), (0, 0)),
    ("conv2 dL/dX", (16, 10, 10), (6, 16, 5, 5), (4, 4)),
    ("conv1 dL/dX", (6, 28, 28), (1, 6, 5, 5), (2, 2)),  # not in training: the images need none
]


def median_us(function, rounds: int, repeat: int = 10) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            function()
        samples.append((time.perf_counter() - start) / repeat * 1e6)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'batch ' + str(args.batch):20s} {'row us':>10s} {'plane us':>10s} {'plane/row':>10s}")
    for name, image, kernel, padding in CASES:
        x = rng.standard_normal((args.batch, *image)).astype(np.float32)
        weight = rng.standard_normal(kernel).astype(np.float32)
        out_size = tuple(size + 2 * p - k + 1 for size, p, k in zip(image[1:], padding, kernel[2:]))

        def row(x=x, weight=weight, padding=padding, out_size=out_size):
            return vector_conv.correlate(np, x, weight, None, padding, (1, 1), out_size)

        def plane(x=x, weight=weight, padding=padding, out_size=out_size):
            return vector_plane_conv.correlate(np, x, weight, None, padding, out_size)

        np.testing.assert_allclose(row(), plane(), rtol=1e-4, atol=1e-3)  # also compiles both
        times = {"row": [], "plane": []}
        for _ in range(args.rounds):
            times["row"] += median_us(row, 1)
            times["plane"] += median_us(plane, 1)
        r, p = statistics.median(times["row"]), statistics.median(times["plane"])
        print(f"{name:20s} {r:10.1f} {p:10.1f} {p / r:10.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
