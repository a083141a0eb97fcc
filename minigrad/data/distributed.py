"""``DistributedSampler``: each rank's share of a dataset, so that every example is seen once
per epoch across ranks (``torch.utils.data.DistributedSampler``'s rules).

Rank ``r`` of ``n`` takes every ``n``-th index of the epoch's order, starting at ``r``. When
the dataset does not divide evenly, the order is padded by repeating its first indices (every
rank gets the same number of batches, so none waits in a collective), or, with
``drop_last=True``, cut to a multiple of ``n``. The shuffled order of epoch ``e`` is the
permutation drawn from ``numpy.random.default_rng([seed, e])``: the same on every rank, the
same as ``DataLoader``'s for that seed and epoch, and not the same permutation as PyTorch's
(whose generator is torch's own); the padding and the split are PyTorch's exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np


class DistributedSampler:
    """Indices of ``dataset`` for one rank.

    Args:
        dataset: anything with ``len()``.
        num_replicas: how many ranks share the data (default: the world size).
        rank: this rank (default: ``minigrad.distributed.get_rank()``).
        shuffle: a new order every epoch (call :meth:`set_epoch` before each epoch).
        seed: the seed of the shuffled orders; must be the same on every rank.
        drop_last: drop the tail instead of padding with repeated indices.
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from minigrad import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available (pip install mpi4py mpich)")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive int, got {num_replicas!r}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        count = len(dataset)
        if drop_last and count % self.num_replicas != 0:
            # Drop the tail so that every rank gets the same amount of data.
            self.num_samples = math.ceil((count - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(count / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def _epoch_order(self) -> list[int]:
        count = len(self.dataset)
        if self.shuffle:
            return np.random.default_rng([self.seed, self.epoch]).permutation(count).tolist()
        return list(range(count))

    def __iter__(self) -> Iterator[int]:
        indices = self._epoch_order()
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s order next (the same call on every rank, before each epoch)."""
        self.epoch = epoch
