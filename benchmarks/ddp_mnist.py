"""Data-parallel training throughput of LeNet on real MNIST: 1 and 2 ranks, minigrad's
DistributedDataParallel (MPI) against PyTorch's (gloo), in one run.

    python benchmarks/ddp_mnist.py                     # batch 64 per rank, 1 and 2 ranks
    python benchmarks/ddp_mnist.py --json ddp.json

Every measurement is one MPI job (``mpiexec -n RANKS``) with one BLAS thread per rank, so 2
ranks use 2 cores. Jobs alternate frameworks and world sizes, round after round, so all see the
same machine conditions; medians of the timed windows are reported. Images/s counts every
rank's images; scaling efficiency is images/s on 2 ranks / (2 x images/s on 1 rank).

Both frameworks start from the same weights and train on the same batches (rank r takes the
r-th slice of each global batch), so rank 0's loss after the warm-up steps must agree closely
between them (printed): the benchmark checks correctness too. PyTorch's ranks meet over gloo
on 127.0.0.1; mpiexec only starts them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.lenet_mnist import MinigradTrainer, TorchTrainer, initial_state, mnist_batches  # noqa: E402

FRAMEWORKS = ("minigrad", "pytorch")


def mpiexec() -> str:
    beside_python = Path(sys.executable).parent / "mpiexec"  # the mpich wheel's
    return str(beside_python) if beside_python.exists() else "mpiexec"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- one rank of one job ---------------------------------------------------------------------------
def worker(args: argparse.Namespace) -> None:
    rank, world = int(os.environ.get("PMI_RANK", 0)), int(os.environ.get("PMI_SIZE", 1))
    if args.worker == "pytorch":
        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        torch.set_num_threads(1)
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{args.port}", rank=rank, world_size=world)
        trainer = TorchTrainer(torch, initial_state(args.seed), "cpu")
        trainer.model = DistributedDataParallel(trainer.model)
    else:
        import minigrad.distributed as dist
        from minigrad.nn.parallel import DistributedDataParallel

        dist.init_process_group("mpi")
        trainer = MinigradTrainer(initial_state(args.seed), "cpu")
        trainer.model = DistributedDataParallel(trainer.model)
    size = args.batch_size
    batches = [(x[rank * size:(rank + 1) * size], y[rank * size:(rank + 1) * size])
               for x, y in mnist_batches(args.data_dir, size * world, 16)]
    trainer.load(batches)
    loss = None
    for step in range(args.warmup):
        loss = trainer.step(step)
    rates = []
    step = args.warmup
    for _ in range(args.windows):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(args.steps):
            trainer.step(step)
            step += 1
        dist.barrier()
        rates.append(world * size * args.steps / (time.perf_counter() - start))
    if rank == 0:
        print(json.dumps({"images_per_second": rates, "loss_after_warmup": float(loss.item())}), flush=True)
    dist.destroy_process_group()


# --- the orchestrator ------------------------------------------------------------------------------
def run_job(framework: str, ranks: int, args: argparse.Namespace) -> dict:
    command = [mpiexec(), "-n", str(ranks), sys.executable, __file__, "--worker", framework,
               "--port", str(free_port()), "--batch-size", str(args.batch_size), "--steps", str(args.steps),
               "--windows", str(args.windows), "--warmup", str(args.warmup), "--seed", str(args.seed),
               "--data-dir", args.data_dir]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{framework} on {ranks} ranks failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64, help="per rank (default 64)")
    parser.add_argument("--rounds", type=int, default=2, help="jobs per framework and world size")
    parser.add_argument("--windows", type=int, default=3, help="timed windows per job")
    parser.add_argument("--steps", type=int, default=20, help="training steps per window")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--frameworks", nargs="+", default=list(FRAMEWORKS), choices=FRAMEWORKS)
    default_data = os.environ.get("MINIGRAD_SHARED_DATA", str(REPO.parent / "shared/data/mnist"))
    parser.add_argument("--data-dir", default=default_data)
    parser.add_argument("--json", default=None, metavar="PATH", help="also write results as JSON")
    parser.add_argument("--worker", choices=FRAMEWORKS, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0

    jobs = [(framework, ranks) for ranks in args.ranks for framework in args.frameworks]
    rates: dict = {job: [] for job in jobs}
    losses: dict = {}
    for round_number in range(args.rounds):
        for framework, ranks in jobs if round_number % 2 == 0 else list(reversed(jobs)):
            measured = run_job(framework, ranks, args)
            rates[(framework, ranks)] += measured["images_per_second"]
            losses[(framework, ranks)] = measured["loss_after_warmup"]
    results = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "batch_size_per_rank": args.batch_size, "blas_threads_per_rank": 1, "runs": []}
    for framework in args.frameworks:
        medians = {ranks: statistics.median(rates[(framework, ranks)]) for ranks in args.ranks}
        run = {"framework": framework, "images_per_second": medians,
               "all_windows": {ranks: rates[(framework, ranks)] for ranks in args.ranks},
               "rank0_loss_after_warmup": {ranks: losses[(framework, ranks)] for ranks in args.ranks}}
        if 1 in medians:
            run["scaling_efficiency"] = {r: medians[r] / (r * medians[1]) for r in args.ranks if r > 1}
        results["runs"].append(run)
        line = f"{framework:9s}" + "".join(f" | {r} rank{'s' if r > 1 else ''} {medians[r]:8,.0f} images/s"
                                             for r in args.ranks)
        line += "".join(f" | efficiency x{r} {e:.2f}" for r, e in run.get("scaling_efficiency", {}).items())
        line += " | loss " + " ".join(f"{losses[(framework, r)]:.5f}" for r in args.ranks)
        print(line, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
