"""DistributedSampler: the same index lists as torch.utils.data.DistributedSampler, given the
same epoch order (torch draws its permutation from its own generator; ours is NumPy's)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from minigrad.data import DataLoader, DistributedSampler
from minigrad.data import distributed as distributed_sampler

SIZES = [0, 1, 2, 3, 7, 10, 11, 64, 101]


@pytest.mark.parametrize("size", SIZES)
def test_unshuffled_index_lists_are_pytorchs(torch, size):
    from torch.utils.data import DistributedSampler as TorchSampler

    for replicas, drop_last in itertools.product([1, 2, 3, 4, 7, 13], [False, True]):
        for rank in range(replicas):
            ours = DistributedSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
            theirs = TorchSampler(range(size), replicas, rank, shuffle=False, drop_last=drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
            assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


@pytest.mark.parametrize("size", [5, 11, 64])
@pytest.mark.parametrize("replicas", [2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_padding_and_split_are_pytorchs_given_torchs_permutation(torch, monkeypatch, size, replicas,
                                                                          drop_last):
    from torch.utils.data import DistributedSampler as TorchSampler

    def torchs_order(self):
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        return torch.randperm(len(self.dataset), generator=generator).tolist()

    monkeypatch.setattr(distributed_sampler.DistributedSampler, "_epoch_order", torchs_order)
    for epoch in (0, 3):
        for rank in range(replicas):
            ours = DistributedSampler(range(size), replicas, rank, shuffle=True, seed=5, drop_last=drop_last)
            theirs = TorchSampler(range(size), replicas, rank, shuffle=True, seed=5, drop_last=drop_last)
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)


@pytest.mark.parametrize("size, replicas", [(10, 2), (11, 3), (100, 7)])
def test_the_ranks_partition_each_epoch(size, replicas):
    for epoch in range(3):
        shares = []
        for rank in range(replicas):
            sampler = DistributedSampler(range(size), replicas, rank, shuffle=True, seed=1, drop_last=True)
            sampler.set_epoch(epoch)
            shares.append(list(sampler))
        seen = [i for share in shares for i in share]
        assert len(seen) == len(set(seen)) == size - size % replicas  # disjoint, nothing repeated
        padded = [i for rank in range(replicas) for i in DistributedSampler(range(size), replicas, rank, seed=1)]
        assert set(padded) == set(range(size))  # without drop_last every example is seen


def test_epochs_differ_and_every_rank_agrees_on_the_order():
    first = DistributedSampler(range(50), 2, 0, seed=3)
    again = DistributedSampler(range(50), 2, 0, seed=3)
    epoch0 = list(first)
    first.set_epoch(1)
    assert list(first) != epoch0 and list(again) == epoch0  # set_epoch, not iteration, moves on
    assert list(DistributedSampler(range(50), 2, 0, seed=4)) != epoch0


def test_rank_zero_of_one_visits_dataloaders_order():
    # One replica: the epoch's order is the DataLoader's for that seed and epoch.
    loader = DataLoader(list(range(20)), batch_size=20, shuffle=True, seed=9)
    sampler = DistributedSampler(range(20), num_replicas=1, rank=0, seed=9)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        (batch,) = list(loader)
        assert batch.tolist() == list(sampler)


def test_bad_ranks_are_rejected_with_pytorchs_words(torch):
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(ValueError, match="init_process_group"):
        DistributedSampler(range(4))  # no process group to ask
    assert np.array_equal(list(DistributedSampler(range(4), 2, 1, shuffle=False)), [1, 3])
