"""Training throughput of LeNet-5 on real MNIST: minigrad against PyTorch, in one run.

    python benchmarks/lenet_mnist.py                      # CPU, batch 64 and 256
    python benchmarks/lenet_mnist.py --device cuda --batch-sizes 64 1024
    python benchmarks/lenet_mnist.py --json results.json

Both frameworks train the same LeNet-5 (conv 6@5x5 pad 2, max-pool, conv 16@5x5, max-pool,
120, 84, 10, ReLU; SGD with momentum; float32) from the SAME initial weights on the SAME MNIST
batches. Timing windows alternate A B A B after a warm-up, so both see the same machine
conditions, each after a pause in which the other's idle threads go to sleep (``settle.py``);
medians are reported. Because both train identically, their losses after the same
first steps must agree closely (printed): the benchmark is also a correctness check.

Peak memory is measured in a fresh subprocess per framework (peak RSS during 40 training steps
minus RSS before them, after a one-image step that loads each library's lazily loaded parts),
so one framework's allocations do not hide the other's. minigrad's JIT-compiled kernels are
loaded there from its machine-code cache (``backends/kernels/object_cache``), which the
throughput run before it filled, as PyTorch's kernels come compiled; the one-time cost of an
empty cache (each geometry compiled once per machine) is ``benchmarks/kernel_cache.py``'s
measurement. At small batches the figure is a few MiB and moves by ~0.5 MiB from run to run for
both frameworks (where the C allocator happens to place each buffer), so it is measured
``--memory-repeats`` times, alternating, and the median is reported with every run's value.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from minigrad.models import LeNet  # noqa: E402
from settle import settle  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import optim  # noqa: E402
from minigrad.data import MNIST  # noqa: E402

LEARNING_RATE, MOMENTUM = 0.01, 0.9


def mnist_batches(data_dir: str, batch_size: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The first ``count`` batches of the (normalised) MNIST training set, as host arrays."""
    dataset = MNIST(data_dir, train=True, download=False)
    batches = []
    for i in range(count):
        indices = np.arange(i * batch_size, (i + 1) * batch_size) % len(dataset)
        images, labels = dataset.get_batch(indices)
        batches.append((images.numpy(), labels.numpy()))
    return batches


def torch_lenet(torch):
    nn = torch.nn

    class TorchLeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.pool2 = nn.MaxPool2d(2)
            self.flatten = nn.Flatten()
            self.fc1 = nn.Linear(400, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)
            self.relu = nn.ReLU()

        def forward(self, x):
            x = self.pool1(self.relu(self.conv1(x)))
            x = self.pool2(self.relu(self.conv2(x)))
            x = self.flatten(x)
            return self.fc3(self.relu(self.fc2(self.relu(self.fc1(x)))))

    return TorchLeNet()


class MinigradTrainer:
    name = "minigrad"

    def __init__(self, state: dict[str, np.ndarray], device: str) -> None:
        self.device = device
        self.model = LeNet()
        self.model.load_state_dict({k: minigrad.tensor(v) for k, v in state.items()})
        self.model.to(device)
        self.optimizer = optim.SGD(self.model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
        self.batches: list = []

    def load(self, batches: list) -> None:
        self.batches = [(minigrad.tensor(x, device=self.device), minigrad.tensor(y, device=self.device))
                        for x, y in batches]

    def step(self, index: int):
        images, labels = self.batches[index % len(self.batches)]
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(images), labels)
        loss.backward()
        self.optimizer.step()
        return loss

    def synchronize(self) -> None:
        minigrad.cuda.synchronize() if self.device.startswith("cuda") else None


class TorchTrainer:
    name = "pytorch"

    def __init__(self, torch, state: dict[str, np.ndarray], device: str) -> None:
        self.torch, self.device = torch, device
        self.model = torch_lenet(torch)
        self.model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
        self.model.to(device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
        self.batches: list = []

    def load(self, batches: list) -> None:
        self.batches = [(self.torch.from_numpy(x).to(self.device), self.torch.from_numpy(y).to(self.device))
                        for x, y in batches]

    def step(self, index: int):
        images, labels = self.batches[index % len(self.batches)]
        self.optimizer.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(images), labels)
        loss.backward()
        self.optimizer.step()
        return loss

    def synchronize(self) -> None:
        if self.device.startswith("cuda"):
            self.torch.cuda.synchronize()


def initial_state(seed: int) -> dict[str, np.ndarray]:
    """LeNet's initial weights, drawn once by minigrad and given to both frameworks."""
    minigrad.manual_seed(seed)
    return {k: v.numpy().copy() for k, v in LeNet().state_dict().items()}


def time_window(trainer, first_step: int, steps: int) -> float:
    trainer.synchronize()
    settle()  # the previous window's idle threads go to sleep first (see settle.py)
    start = time.perf_counter()
    for i in range(first_step, first_step + steps):
        trainer.step(i)
    trainer.synchronize()
    return time.perf_counter() - start


def throughput(trainers: list, batch_size: int, warmup: int, windows: int, steps: int) -> dict:
    """Alternate A B A B timing windows after a warm-up; return images/s medians."""
    rates: dict[str, list[float]] = {t.name: [] for t in trainers}
    step = 0
    for trainer in trainers:
        time_window(trainer, 0, warmup)
    step = warmup
    for window in range(windows):
        order = trainers if window % 2 == 0 else list(reversed(trainers))
        for trainer in order:
            rates[trainer.name].append(batch_size * steps / time_window(trainer, step, steps))
        step += steps
    return {name: statistics.median(values) for name, values in rates.items()} | {
        f"{name}_all": values for name, values in rates.items()
    }


def same_steps_losses(make_trainers, batches: list, steps: int = 5) -> dict[str, float]:
    """Fresh trainers from the same weights, ``steps`` identical SGD steps: the last losses.

    Few steps on purpose: LeNet's early training passes a sharp transition where float32
    rounding differences (even PyTorch CPU against PyTorch CUDA) grow to ~10% within ~100
    steps, so a long run compares chaos, not correctness. After 5 steps they agree to ~1e-6.
    """
    trainers = make_trainers()
    for trainer in trainers:
        trainer.load(batches)
        for i in range(steps - 1):
            trainer.step(i)
    return {t.name: float(t.step(steps - 1).item()) for t in trainers}


def peak_memory_subprocess(framework: str, args: argparse.Namespace, batch_size: int) -> float | None:
    """Peak RSS (MiB) that training adds, measured in a fresh interpreter."""
    command = [sys.executable, __file__, "--memory-probe", framework, "--batch-sizes", str(batch_size),
               "--device", args.device, "--data-dir", args.data_dir]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        return None
    return float(result.stdout.strip().splitlines()[-1])


def memory_probe(framework: str, args: argparse.Namespace) -> None:
    batch_size = args.batch_sizes[0]
    batches = mnist_batches(args.data_dir, batch_size, 20)
    state = initial_state(args.seed)
    if framework == "pytorch":
        import torch

        torch.set_num_threads(args.threads)
        trainer = TorchTrainer(torch, state, args.device)
    else:
        trainer = MinigradTrainer(state, args.device)
    # One step on ONE image first, for both frameworks: libraries load lazily on first use
    # (numba's compiler and compiled kernels for minigrad, about 100 MiB; PyTorch's CPU
    # kernels), and that one-time cost of the library is not training memory. One image
    # allocates almost nothing that the measured steps could reuse.
    trainer.load([(images[:1], labels[:1]) for images, labels in batches[:1]])
    trainer.step(0)
    trainer.load(batches)
    # Loading MNIST peaks higher than a training step does, so the process's high-water mark
    # must be reset after loading or training would show 0 MiB. Linux resets it through
    # /proc/self/clear_refs; elsewhere ru_maxrss (never reset) is the best available.
    before = _current_rss_kib() if _reset_peak_rss() else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for i in range(40):
        trainer.step(i)
    after = _peak_rss_kib() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print((after - before) / 1024)


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _current_rss_kib() -> int | None:
    return _status_kib("VmRSS")


def _peak_rss_kib() -> int | None:
    return _status_kib("VmHWM")


def _reset_peak_rss() -> bool:
    """Set the peak-RSS mark (VmHWM) to the current RSS; False where the OS cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _current_rss_kib() is not None


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--windows", type=int, default=6, help="timed windows per framework")
    parser.add_argument("--steps", type=int, default=20, help="training steps per window")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    parser.add_argument("--seed", type=int, default=0)
    default_data = os.environ.get("MINIGRAD_SHARED_DATA", str(REPO.parent / "shared/data/mnist"))
    parser.add_argument("--data-dir", default=default_data)
    parser.add_argument("--json", default=None, metavar="PATH", help="also write results as JSON")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--memory-repeats", type=int, default=3, help="peak-memory subprocesses per framework")
    parser.add_argument("--memory-probe", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args.memory_probe, args)
        return 0

    try:
        import torch

        torch.set_num_threads(args.threads)
        # Same arithmetic on both sides: PyTorch's cuDNN convolutions default to TF32 on
        # NVIDIA GPUs, which would make its losses drift from minigrad's float32 ones.
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    except ImportError:
        torch = None
        print("PyTorch is not installed: measuring minigrad alone (pip install torch==2.13.0)", file=sys.stderr)

    results = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "device": args.device, "torch": getattr(torch, "__version__", None), "runs": []}
    for batch_size in args.batch_sizes:
        batches = mnist_batches(args.data_dir, batch_size, 16)
        state = initial_state(args.seed)

        def make_trainers(state=state):
            made = [MinigradTrainer(state, args.device)]
            if torch is not None:
                made.append(TorchTrainer(torch, state, args.device))
            return made

        trainers = make_trainers()
        for trainer in trainers:
            trainer.load(batches)
        rates = throughput(trainers, batch_size, args.warmup, args.windows, args.steps)
        losses = same_steps_losses(make_trainers, batches)
        run = {"batch_size": batch_size, "images_per_second": rates, "loss_after_same_steps": losses}
        if torch is not None:
            run["ratio_minigrad_to_pytorch"] = rates["minigrad"] / rates["pytorch"]
            if not args.no_memory:
                peaks: dict[str, list] = {"minigrad": [], "pytorch": []}
                for _ in range(args.memory_repeats):
                    for name in peaks:
                        peaks[name].append(peak_memory_subprocess(name, args, batch_size))
                run["peak_training_memory_mib"] = {
                    name: statistics.median(values) if None not in values else None for name, values in peaks.items()
                } | {f"{name}_all": values for name, values in peaks.items()}
        results["runs"].append(run)
        line = f"batch {batch_size:5d}: minigrad {rates['minigrad']:9,.0f} images/s"
        if torch is not None:
            line += (f" | pytorch {rates['pytorch']:9,.0f} images/s | ratio {run['ratio_minigrad_to_pytorch']:.2f}"
                     f" | loss minigrad {losses['minigrad']:.5f} pytorch {losses['pytorch']:.5f}")
            if "peak_training_memory_mib" in run:
                memory = run["peak_training_memory_mib"]
                line += (f" | peak MiB (median of {args.memory_repeats}) minigrad {_mib(memory['minigrad'])}"
                         f" {[_mib(v) for v in memory['minigrad_all']]} pytorch {_mib(memory['pytorch'])}"
                         f" {[_mib(v) for v in memory['pytorch_all']]}")
        print(line, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
