"""minigrad.distributed.launch: what train_mnist.py calls to run on one or several ranks."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad.data import DataLoader, TensorDataset
from minigrad.distributed import launch


def numbered(count: int) -> TensorDataset:
    return TensorDataset(minigrad.arange(count))


@pytest.mark.parametrize("count", [64, 69])
def test_step_i_of_two_ranks_holds_the_examples_of_step_i_of_one_process_with_twice_the_batch(count):
    single = DataLoader(numbered(count), batch_size=8, shuffle=True, seed=3)
    shards = [launch.ShardedLoader(numbered(count), 4, seed=3, rank=r, world_size=2) for r in (0, 1)]
    for epoch in range(2):
        whole = [set(batch.tolist()) for (batch,) in single]
        parts = [[set(batch.tolist()) for (batch,) in shard] for shard in shards]
        assert len(shards[0]) == len(parts[0]) == len(parts[1]) == -(-count // 8)
        for step, examples in enumerate(whole):
            joined = parts[0][step] | parts[1][step]
            # With 69 examples the last step is padded by repeating the epoch's first one.
            assert examples <= joined and len(joined - examples) <= 2, (epoch, step)


def test_the_sharded_loader_resumes_its_epoch_like_a_dataloader():
    loader = launch.ShardedLoader(numbered(20), 4, seed=1, rank=1, world_size=2)
    next(iter(loader))
    state = loader.state_dict()
    assert state == {"epoch": 1, "seed": 1}
    epoch1 = [b.tolist() for (b,) in loader]
    other = launch.ShardedLoader(numbered(20), 4, seed=9, rank=1, world_size=2)
    other.load_state_dict(state)
    assert [b.tolist() for (b,) in other] == epoch1


def test_a_single_process_job_changes_nothing():
    job = launch.Job()
    assert not job.distributed and job.is_main and job.world_size == 1
    model = minigrad.nn.Linear(2, 2)
    assert job.wrap(model) is model
    assert isinstance(job.train_loader(numbered(8), 4, seed=0), DataLoader)
    assert len(job.test_loader(numbered(8), 4).dataset) == 8
    metrics = {"test_accuracy": 0.5}
    assert job.combine(metrics, 8) is metrics and job.exit_code(2) == 2


def test_combined_metrics_count_every_test_example_once(monkeypatch):
    job = launch.Job(rank=0, world_size=2)
    per_rank = [
        ({"test_loss": 1.0, "test_accuracy": 3 / 5, "train_loss": 2.0, "train_accuracy": 0.5,
          "train_images_per_second": 100.0, "train_seconds": 4.0}, 5),
        ({"test_loss": 2.0, "test_accuracy": 4 / 4, "train_loss": 4.0, "train_accuracy": 0.7,
          "train_images_per_second": 90.0, "train_seconds": 5.0}, 4),
    ]

    def fake_all_gather_object(object_list, obj):
        assert obj == per_rank[0]
        object_list[:] = per_rank

    monkeypatch.setattr(launch.dist, "all_gather_object", fake_all_gather_object)
    combined = job.combine(*per_rank[0])
    assert combined["test_accuracy"] == 7 / 9
    assert np.isclose(combined["test_loss"], (1.0 * 5 + 2.0 * 4) / 9)
    assert combined["train_loss"] == 3.0 and np.isclose(combined["train_accuracy"], 0.6)
    assert combined["train_images_per_second"] == 190.0 and combined["train_seconds"] == 5.0
    assert len(job.test_loader(numbered(9), 4).dataset) == 5  # rank 0 of 2: examples 0, 2, 4, 6, 8
