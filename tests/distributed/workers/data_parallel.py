"""DistributedDataParallel on 2 real ranks, checked against one process on the full batch.

Every rank also trains the single-process reference itself (same seed, same data), so each
rank can compare its replica with it. Usage: ``data_parallel.py CHECKPOINT_DIR [MNIST_DIR]``.
Prints ``data parallel ok on rank R``.
"""

from __future__ import annotations

import copy
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
from minigrad.models import LeNet

import minigrad
import minigrad.distributed as dist
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import optim
from minigrad.nn.parallel import DistributedDataParallel as DDP


def batches(mnist_dir: str | None, steps: int, size: int) -> list[tuple]:
    """``steps`` float64 batches of ``size`` images: real MNIST when there, else random."""
    if mnist_dir:
        from minigrad.data import MNIST

        images, labels = MNIST(mnist_dir, train=False, download=False).get_batch(np.arange(steps * size))
        images = images.numpy().astype(np.float64)
        labels = labels.numpy()
    else:
        rng = np.random.default_rng(0)
        images = rng.standard_normal((steps * size, 1, 28, 28))
        labels = rng.integers(0, 10, steps * size)
    return [(images[i * size:(i + 1) * size], labels[i * size:(i + 1) * size]) for i in range(steps)]


def shard(array: np.ndarray, rank: int, world: int) -> np.ndarray:
    per_rank = len(array) // world
    return array[rank * per_rank:(rank + 1) * per_rank]


def max_difference(a: nn.Module, b: nn.Module) -> float:
    pairs = zip(a.parameters(), b.parameters())
    return max(float(np.abs(p.detach().numpy() - q.detach().numpy()).max()) for p, q in pairs)


def check_training_matches_one_process(rank: int, world: int, mnist_dir: str | None) -> None:
    """2 ranks x batch 32 for 20 SGD steps == 1 process x batch 64 (float64, to 1e-6)."""
    minigrad.manual_seed(1 + rank)  # different initial weights: DDP must copy rank 0's
    replica = LeNet().double()
    minigrad.manual_seed(1)
    reference = LeNet().double()
    model = DDP(replica)
    assert max_difference(replica, reference) == 0.0, "construction did not copy rank 0's weights"
    sgd = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    reference_sgd = optim.SGD(reference.parameters(), lr=0.05, momentum=0.9)
    for images, labels in batches(mnist_dir, steps=20, size=64):
        x, y = minigrad.tensor(shard(images, rank, world)), minigrad.tensor(shard(labels, rank, world))
        sgd.zero_grad()
        F.cross_entropy(model(x), y).backward()
        sgd.step()
        reference_sgd.zero_grad()
        F.cross_entropy(reference(minigrad.tensor(images)), minigrad.tensor(labels)).backward()
        reference_sgd.step()
    difference = max_difference(replica, reference)
    assert difference < 1e-6, f"rank {rank}: weights differ from one process by {difference}"
    print(f"rank {rank}: 20 steps, largest weight difference from 1 process x batch 64: {difference:.2e}",
          flush=True)


class Branches(nn.Module):
    """A parameter used twice, one used only on rank 1, one used nowhere."""

    def __init__(self) -> None:
        super().__init__()
        self.shared = nn.Linear(4, 4)
        self.only_on_rank_1 = nn.Linear(4, 4)
        self.never = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x: minigrad.Tensor, rank: int) -> minigrad.Tensor:
        hidden = self.shared(self.shared(x).tanh())
        if rank == 1:
            hidden = hidden + self.only_on_rank_1(x)
        return self.head(hidden)


def check_buckets_shared_and_unused_parameters(rank: int, world: int) -> None:
    minigrad.manual_seed(3)
    model = Branches().double()
    reference = copy.deepcopy(model)
    ddp = DDP(model, bucket_cap_mb=1e-6)  # a bucket per parameter
    assert len(ddp.reducer.buckets) == len(list(model.parameters()))
    inputs = [minigrad.tensor(np.random.default_rng(r).standard_normal((5, 4))) for r in range(world)]
    ddp(inputs[rank], rank).pow(2).mean().backward()
    # What the average over ranks must be, from each rank's own local gradient.
    local = []
    for r in range(world):
        reference.zero_grad()
        reference(inputs[r], r).pow(2).mean().backward()
        local.append({name: None if p.grad is None else p.grad.numpy().copy()
                      for name, p in reference.named_parameters()})
    for name, param in model.named_parameters():
        grads = [g[name] for g in local]
        if all(g is None for g in grads):
            assert param.grad is None, f"{name} was used nowhere but got a gradient"
            continue
        want = sum(g if g is not None else 0 for g in grads) / world
        np.testing.assert_allclose(param.grad.numpy(), want, rtol=1e-12, atol=1e-14, err_msg=name)


def check_no_sync_accumulates_then_averages(rank: int, world: int) -> None:
    minigrad.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)).double()
    reference = copy.deepcopy(model)
    ddp = DDP(model)
    parts = [minigrad.tensor(np.random.default_rng(10 * r + k).standard_normal((4, 3))) for r in range(world)
             for k in range(2)]
    with ddp.no_sync():
        ddp(parts[2 * rank]).sum().backward()
    reference(parts[2 * rank]).sum().backward()
    np.testing.assert_array_equal(model[0].weight.grad.numpy(), reference[0].weight.grad.numpy(),
                                  err_msg="inside no_sync() the gradient must stay this rank's own")
    ddp(parts[2 * rank + 1]).sum().backward()
    reference.zero_grad()
    for part in parts:
        reference(part).sum().backward()
    for param, ref in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(param.grad.numpy(), ref.grad.numpy() / world, rtol=1e-12)


def check_buffers_follow_rank_0(rank: int) -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).double()
    ddp = DDP(model)
    model[1].running_mean._array[...] = 10.0 * rank + 1  # replicas drift apart
    ddp.eval()
    ddp(minigrad.randn(2, 1, 5, 5, dtype="float64"))
    assert model[1].running_mean.tolist() == [1.0, 1.0], "forward did not broadcast rank 0's buffers"


def check_checkpoint_round_trip(rank: int, folder: Path) -> None:
    minigrad.manual_seed(5)
    ddp = DDP(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    keys = list(ddp.state_dict())
    assert keys == ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"], keys
    path = folder / "ddp.npz"
    if rank == 0:
        minigrad.save(ddp.state_dict(), path)
    dist.barrier()
    minigrad.manual_seed(99 + rank)
    restored = DDP(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    restored.load_state_dict(minigrad.load(path))
    for key, value in ddp.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    x = minigrad.randn(6, 3)
    ddp(x).sum().backward()
    restored(x).sum().backward()
    for a, b in zip(ddp.parameters(), restored.parameters()):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def main() -> None:
    folder = Path(sys.argv[1])
    mnist_dir = sys.argv[2] if len(sys.argv) > 2 else None
    dist.init_process_group("mpi", timeout=timedelta(seconds=90))
    rank, world = dist.get_rank(), dist.get_world_size()
    check_training_matches_one_process(rank, world, mnist_dir)
    check_buckets_shared_and_unused_parameters(rank, world)
    check_no_sync_accumulates_then_averages(rank, world)
    check_buffers_follow_rank_0(rank)
    check_checkpoint_round_trip(rank, folder)
    dist.destroy_process_group()
    print(f"data parallel ok on rank {rank}", flush=True)


if __name__ == "__main__":
    main()
