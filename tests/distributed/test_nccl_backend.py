"""The NCCL backend: its code on 2 ranks with a fake CuPy and a fake NCCL that exchanges over
MPI (no GPU here), its watchdog, and the same checks on real GPUs where there are some."""

from __future__ import annotations

from datetime import timedelta

import pytest

import minigrad
import minigrad.distributed as dist
from minigrad.distributed.nccl_backend import StreamOrderedWork, Watchdog
from minigrad.distributed.process_group import _parse_backend
from tests.conftest import cuda_available, requires_cuda
from tests.distributed import fake_nccl


def test_nccl_code_path_on_two_ranks_with_fake_cupy_and_nccl(run_ranks):
    result = run_ranks("nccl_fake.py", timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    for rank in (0, 1):
        assert f"nccl (fake) ok on rank {rank}" in result.stdout, result.stdout


@pytest.mark.cuda
@requires_cuda
def test_nccl_on_real_gpus(run_ranks):
    import cupy

    ranks = min(2, cupy.cuda.runtime.getDeviceCount())
    result = run_ranks("nccl_fake.py", "--real", ranks=ranks, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    for rank in range(ranks):
        assert f"nccl (real) ok on rank {rank}" in result.stdout, result.stdout


class FakeEvent:
    def __init__(self, done: bool = False) -> None:
        self.done = done


def test_the_watchdog_reports_the_oldest_overdue_collective_once():
    reports = []
    watchdog = Watchdog(timedelta(seconds=0.05), reports.append, poll_seconds=0.01)
    finished, stuck = FakeEvent(done=True), FakeEvent()
    watchdog.watch("broadcast", finished, "rank 0 of 2")
    watchdog.watch("all_reduce", stuck, "rank 0 of 2")
    watchdog._thread.join(timeout=5)  # the thread stops after reporting
    assert len(reports) == 1
    assert "NCCL all_reduce on rank 0 of 2 timed out after 0.05 s (watchdog)" in reports[0]
    assert "another rank did not join it" in reports[0]
    work = StreamOrderedWork("all_reduce", stuck, watchdog, timedelta(seconds=1), "rank 0 of 2")
    with pytest.raises(dist.DistBackendError, match="watchdog"):
        work.wait()


def test_the_watchdog_forgets_finished_collectives():
    reports = []
    watchdog = Watchdog(timedelta(seconds=10), reports.append, poll_seconds=60)
    events = [FakeEvent(done=True), FakeEvent(done=True), FakeEvent()]
    for event in events:
        watchdog.watch("all_reduce", event, "rank 0 of 1")
    watchdog.check()
    assert len(watchdog._pending) == 1 and reports == []
    watchdog.stop()


@pytest.fixture
def fake_nccl_world(monkeypatch):
    fake_nccl.install(monkeypatch)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()
    from tests.backends import fake_cupy

    fake_cupy.uninstall()


@pytest.mark.skipif(cuda_available(), reason="a real GPU is here: the fake must not replace it")
def test_nccl_in_a_world_of_one_with_the_fake(fake_nccl_world):
    assert _parse_backend(None) == {"cpu": "mpi", "cuda": "nccl"}  # a usable GPU: both
    dist.init_process_group("nccl")
    assert dist.get_backend() == "nccl"
    x = minigrad.tensor([1.0, 2.0], device="cuda")
    work = dist.all_reduce(x, op=dist.ReduceOp.AVG, async_op=True)
    assert isinstance(work, StreamOrderedWork) and work.wait() and x.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="No backend type associated with device type cpu.*backend='mpi'"):
        dist.all_reduce(minigrad.ones(2))
    engine = dist.process_group.default_group().devices["cuda"]
    comm = engine.comm
    dist.destroy_process_group()
    assert comm.destroyed and engine.watchdog._stopped.is_set()
