"""DataLoader worker processes: the same batches in the same order as without workers, seeded as
PyTorch seeds them, errors and dead workers reported instead of hangs, Ctrl-C stops everything."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad
from minigrad.data.worker import generate_numpy_seed
from minigrad.utils import data

REPO = Path(__file__).resolve().parents[2]


def numbered(count: int) -> data.TensorDataset:
    return data.TensorDataset(minigrad.arange(count).float(), minigrad.arange(count))


class Examples(data.Dataset):
    """Plain examples read one by one (no get_batch): a tuple of an array, an int and a float."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> Any:
        return np.full(3, index, np.float32), index, index / 4


class WhoAmI(data.Dataset):
    """Each example says which worker made it, with what seed, and the worker's first draws."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> Any:
        info = data.get_worker_info()
        return {"worker": info.id, "seed": info.seed, "workers": info.num_workers, "pid": os.getpid(),
                "python": random.random(), "numpy": float(np.random.rand()),
                "minigrad": minigrad.rand(1).item(), "initialised": getattr(info.dataset, "initialised", -1)}


def remember_worker(worker_id: int) -> None:
    data.get_worker_info().dataset.initialised = worker_id


def plain(batches: Any) -> list:
    return [values(batch) for batch in batches]


def values(batch: Any) -> Any:
    """Tensors as lists, inside lists and dicts too; other values as they are."""
    if isinstance(batch, minigrad.Tensor) or type(batch).__name__ == "Tensor":
        return (str(batch.dtype).split(".")[-1], batch.tolist())
    if isinstance(batch, (list, tuple)):
        return [values(field) for field in batch]
    return batch


# --- the same batches as without workers -------------------------------------------------------------


@pytest.mark.parametrize("num_workers", [1, 3])
@pytest.mark.parametrize("options", [
    {"batch_size": 4},
    {"batch_size": 5, "shuffle": True, "seed": 3, "drop_last": True},
    {"batch_size": 3, "shuffle": True, "generator": "seeded"},
    {"batch_size": 2, "sampler": [9, 0, 4, 4, 1]},
    {"batch_size": None},
])
def test_workers_give_the_batches_of_a_single_process(num_workers: int, options: dict) -> None:
    for dataset in (numbered(22), Examples(22)):
        def make(workers: int, dataset: Any = dataset) -> data.DataLoader:
            resolved = dict(options)
            if resolved.get("generator") == "seeded":
                resolved["generator"] = minigrad.Generator().manual_seed(11)
            return data.DataLoader(dataset, num_workers=workers, **resolved)

        expected = [plain(make(0)) for _ in range(1)]
        with_workers = [plain(make(num_workers)) for _ in range(1)]
        assert with_workers == expected


def test_a_resumed_run_replays_an_epoch_with_workers() -> None:
    original = data.DataLoader(numbered(30), batch_size=4, shuffle=True, seed=5, num_workers=2)
    epochs = [plain(original) for _ in range(3)]
    resumed = data.DataLoader(numbered(30), batch_size=4, shuffle=True, seed=5, num_workers=2, prefetch_factor=1)
    resumed.load_state_dict({"epoch": 2, "seed": 5})
    assert plain(resumed) == epochs[2] and epochs[0] != epochs[1]


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_batches_from_workers_live_on_this_processs_device(context: str) -> None:
    loader = data.DataLoader(numbered(10), batch_size=4, shuffle=True, seed=2, num_workers=1,
                             multiprocessing_context=context)
    batches = list(loader)
    assert plain(batches) == plain(data.DataLoader(numbered(10), batch_size=4, shuffle=True, seed=2))
    features, _ = batches[0]
    assert features.backend is minigrad.ones(1).backend  # rebuilt on this process's CPU backend
    assert (features + minigrad.ones(4)).tolist() == (features.numpy() + 1).tolist()


def test_persistent_workers_serve_every_epoch() -> None:
    loader = data.DataLoader(WhoAmI(), batch_size=1, num_workers=2, persistent_workers=True)
    first = [batch["pid"].item() for batch in loader]
    second = [batch["pid"].item() for batch in loader]
    assert first == second and len(set(first)) == 2
    plain_loader = data.DataLoader(numbered(9), batch_size=2, shuffle=True, seed=1, num_workers=2,
                                   persistent_workers=True)
    reference = data.DataLoader(numbered(9), batch_size=2, shuffle=True, seed=1)
    assert [plain(plain_loader) for _ in range(3)] == [plain(reference) for _ in range(3)]


# --- seeding and get_worker_info -----------------------------------------------------------------------


def test_numpy_seeds_of_workers_are_pytorchs(torch: Any) -> None:
    from torch.utils.data._utils.worker import _generate_state

    rng = np.random.default_rng(0)
    for base_seed in [0, 1, 2**32 + 5, *rng.integers(0, 2**63, 20).tolist()]:
        for worker_id in range(4):
            assert generate_numpy_seed(base_seed, worker_id) == list(_generate_state(base_seed, worker_id))


def test_workers_are_seeded_base_seed_plus_id_as_in_pytorch() -> None:
    def run(seed: int) -> list[dict]:
        loader = data.DataLoader(WhoAmI(), batch_size=None, num_workers=2, worker_init_fn=remember_worker,
                                 generator=minigrad.Generator().manual_seed(seed))
        return list(loader)

    examples = run(7)
    assert [example["worker"] for example in examples] == [0, 1, 0, 1]  # round robin, as PyTorch
    assert [example["initialised"] for example in examples] == [0, 1, 0, 1]  # worker_init_fn(id) ran
    assert all(example["workers"] == 2 for example in examples)
    base_seed = examples[0]["seed"]
    assert examples[1]["seed"] == base_seed + 1
    for example in examples[:2]:
        seed = example["seed"]
        assert example["python"] == random.Random(seed).random()
        minigrad.manual_seed(seed)
        assert example["minigrad"] == minigrad.rand(1).item()
        state = np.random.RandomState(generate_numpy_seed(base_seed, example["worker"]))
        assert example["numpy"] == state.rand()
    assert [e["numpy"] for e in run(7)] == [e["numpy"] for e in examples]  # the generator fixes them
    assert run(8)[0]["seed"] != base_seed


def test_get_worker_info_is_none_in_the_main_process() -> None:
    assert data.get_worker_info() is None


class Sharded(data.IterableDataset):
    def __init__(self, count: int, shard: bool) -> None:
        self.count, self.shard = count, shard

    def __iter__(self) -> Any:
        info = data.get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.count))
        return iter(range(info.id, self.count, info.num_workers))


@pytest.mark.parametrize("shard", [True, False])
@pytest.mark.parametrize("batch_size", [None, 3])
def test_an_iterable_dataset_in_workers_streams_as_in_pytorch(torch: Any, shard: bool, batch_size: Any) -> None:
    count = 10

    class TorchSharded(torch.utils.data.IterableDataset):
        def __iter__(self) -> Any:
            info = torch.utils.data.get_worker_info()
            if info is None or not shard:
                return iter(range(count))
            return iter(range(info.id, count, info.num_workers))

    ours = data.DataLoader(Sharded(count, shard), batch_size=batch_size, num_workers=2)
    theirs = torch.utils.data.DataLoader(TorchSharded(), batch_size=batch_size, num_workers=2)
    assert plain(ours) == plain(theirs)


# --- failures: reported, never a hang --------------------------------------------------------------------


class Failing(data.Dataset):
    def __init__(self, error: BaseException | None = None, exit_code: int | None = None, sleep: float = 0) -> None:
        self.error, self.exit_code, self.sleep = error, exit_code, sleep

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> int:
        if index == 5:
            if self.error is not None:
                raise self.error
            if self.exit_code is not None:
                os._exit(self.exit_code)
            time.sleep(self.sleep)
        return index


class CustomError(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code}: {detail}")


@pytest.mark.parametrize("error", [ValueError("bad row 5"), KeyError("row 5"), CustomError(5, "custom")])
def test_an_error_in_a_worker_is_raised_with_its_traceback(error: BaseException) -> None:
    expected = RuntimeError if isinstance(error, CustomError) else type(error)
    loader = data.DataLoader(Failing(error), batch_size=2, num_workers=2)
    with pytest.raises(expected) as caught:
        list(loader)
    message = str(caught.value)
    assert message.startswith(f"Caught {type(error).__name__} in DataLoader worker process 0.")
    assert "Original Traceback (most recent call last):" in message
    assert "in __getitem__" in message and "raise self.error" in message  # the worker's own traceback


def test_a_worker_that_dies_is_reported_without_a_hang() -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(data.DataLoader(Failing(exit_code=3), batch_size=2, num_workers=2))
    assert time.monotonic() - start < 10


def test_timeout_is_honoured() -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        list(data.DataLoader(Failing(sleep=30), batch_size=2, num_workers=1, timeout=0.5))
    assert time.monotonic() - start < 8  # the stuck worker is terminated, not waited for


def test_ctrl_c_stops_the_loader_and_its_workers() -> None:
    script = textwrap.dedent("""
        import sys, time
        sys.path.insert(0, sys.argv[1])
        import minigrad
        from minigrad.utils import data

        class Slow(data.Dataset):
            def __len__(self):
                return 1000
            def __getitem__(self, index):
                time.sleep(0.05)
                return index

        iterator = iter(data.DataLoader(Slow(), batch_size=4, num_workers=2))
        next(iterator)
        print(" ".join(str(worker.pid) for worker in iterator._workers), flush=True)
        for _ in iterator:
            pass
    """)
    process = subprocess.Popen([sys.executable, "-c", script, str(REPO)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in process.stdout.readline().split()]
        assert len(pids) == 2
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode != 0 and "KeyboardInterrupt" in stderr
    for pid in pids:  # the workers are gone too (not left behind as orphans)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def failing_init(worker_id: int) -> None:
    raise ValueError(f"worker {worker_id} could not start")


def test_an_error_in_worker_init_fn_is_raised_in_the_main_process() -> None:
    with pytest.raises(ValueError, match=r"(?s)Caught ValueError in DataLoader worker process \d.*could not start"):
        list(data.DataLoader(numbered(6), batch_size=2, num_workers=2, worker_init_fn=failing_init))
