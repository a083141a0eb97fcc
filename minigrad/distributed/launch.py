"""What a training script needs to run the same way on one process or under ``mpiexec -n N``.

    job = launch.start(args)                 # joins the process group when mpiexec started us
    loader = job.train_loader(train_set, batch_size, seed)   # this rank's share, new every epoch
    model = job.wrap(model)                  # DistributedDataParallel when world_size > 1
    metrics = job.combine(metrics, test_count)               # every rank's numbers as one

Started without a launcher (or with one rank) every call is the plain single-process behaviour,
so ``scripts/train_mnist.py`` is unchanged there. Under MPI rank 0 alone logs, shows progress
bars and writes checkpoints; ``--batch-size`` stays the per-rank batch (PyTorch's examples).

Because the ranks take interleaved shares of one epoch order (:class:`DistributedSampler`),
step ``i`` of ``N`` ranks with batch ``B`` sees exactly the examples of step ``i`` of one process
with batch ``N * B``: the data-parallel run takes the same steps, up to float rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from minigrad import distributed as dist
from minigrad.distributed import job_abort
from minigrad.distributed.process_group import launched_by_mpi, local_rank


class Job:
    """How this process takes part: ``rank``, ``world_size``, ``is_main`` (rank 0)."""

    def __init__(self, rank: int = 0, world_size: int = 1) -> None:
        self.rank = rank
        self.world_size = world_size
        self.is_main = rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def train_loader(self, dataset: Any, batch_size: int, seed: int) -> Any:
        """A shuffling loader of ``dataset``: the whole of it, or this rank's share."""
        from minigrad.data import DataLoader

        if not self.distributed:
            return DataLoader(dataset, batch_size=batch_size, shuffle=True, seed=seed)
        return ShardedLoader(dataset, batch_size, seed, self.rank, self.world_size)

    def test_loader(self, dataset: Any, batch_size: int) -> Any:
        """A loader of this rank's share of ``dataset`` (every ``world_size``-th example, no
        padding, so that :meth:`combine` counts each test example once)."""
        from minigrad.data import DataLoader, Subset

        if self.distributed:
            dataset = Subset(dataset, range(self.rank, len(dataset), self.world_size))
        return DataLoader(dataset, batch_size=batch_size)

    def wrap(self, model: Any) -> Any:
        """``DistributedDataParallel(model)`` on several ranks, else ``model`` itself."""
        if not self.distributed:
            return model
        from minigrad.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)

    def combine(self, metrics: dict[str, float], test_count: int) -> dict[str, float]:
        """One epoch's numbers for the whole job: test loss and accuracy over all ranks' test
        examples, training loss and accuracy averaged, images/s summed, seconds the slowest."""
        if not self.distributed:
            return metrics
        everyone: list = [None] * self.world_size
        dist.all_gather_object(everyone, (metrics, test_count))
        total = sum(count for _, count in everyone)
        combined = dict(metrics)
        for key in ("test_loss", "test_accuracy"):
            combined[key] = sum(m[key] * count for m, count in everyone) / total
        correct = sum(round(m["test_accuracy"] * count) for m, count in everyone)
        combined["test_accuracy"] = correct / total
        for key in ("train_loss", "train_accuracy"):
            combined[key] = sum(m[key] for m, _ in everyone) / self.world_size
        combined["train_images_per_second"] = sum(m["train_images_per_second"] for m, _ in everyone)
        combined["train_seconds"] = max(m["train_seconds"] for m, _ in everyone)
        return combined

    def exit_code(self, code: int) -> int:
        """``code``, after ending every rank when this one failed (an MPI launcher would
        otherwise wait for the ranks still blocked in a collective)."""
        if code != 0 and self.distributed:
            job_abort.abort(code)
        return code


class ShardedLoader:
    """Batches of this rank's :class:`DistributedSampler` share of ``dataset``, a new shuffled
    order every epoch; ``len``, ``batch_size``, ``set_epoch`` and ``state_dict`` as DataLoader."""

    def __init__(self, dataset: Any, batch_size: int, seed: int, rank: int, world_size: int) -> None:
        from minigrad.data import DistributedSampler

        self.dataset = dataset
        self.batch_size = batch_size
        self.sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed)
        self.epoch = 0

    def __len__(self) -> int:
        return math.ceil(len(self.sampler) / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        from minigrad.data import DataLoader, Subset

        self.sampler.set_epoch(self.epoch)
        self.epoch += 1
        return iter(DataLoader(Subset(self.dataset, list(self.sampler)), batch_size=self.batch_size))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "seed": self.sampler.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.sampler.seed = state["seed"]
        self.set_epoch(state["epoch"])


_job = Job()


def start(args: Any = None) -> Job:
    """Join the process group if an MPI launcher started this process with several ranks.

    With ``args`` (a training script's flags): ranks other than 0 get ``args.quiet = True``,
    and ``args.device == "cuda"`` becomes this rank's own GPU (``cuda:<local rank>``).
    """
    global _job
    if dist.is_initialized():
        _job = Job(dist.get_rank(), dist.get_world_size())
    elif launched_by_mpi():
        device = getattr(args, "device", "cpu")
        backend = "mpi" if str(device).startswith("cpu") else "cpu:mpi,cuda:nccl"
        dist.init_process_group(backend, device_id=_gpu_of(device))
        _job = Job(dist.get_rank(), dist.get_world_size())
    if args is not None and _job.distributed:
        args.quiet = args.quiet or not _job.is_main
        args.device = local_device(args.device)
    return _job


def current() -> Job:
    """The job :func:`start` found (a single process before it is called)."""
    return _job


def local_device(device: str) -> str:
    """``"cuda"`` as this rank's own GPU (``cuda:<local rank mod GPU count>``); other devices as given."""
    if str(device) != "cuda" or not dist.is_initialized():
        return device
    engine = dist.process_group.default_group().devices.get("cuda")
    return f"cuda:{engine.device_index}" if engine is not None else device


def _gpu_of(device: str) -> int | None:
    text = str(device)
    if not text.startswith("cuda"):
        return None
    return int(text.split(":", 1)[1]) if ":" in text else None


__all__ = ["Job", "ShardedLoader", "start", "current", "local_device", "local_rank"]
