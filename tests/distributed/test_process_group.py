"""init_process_group and friends in this one process (rank 0 of 1): PyTorch's errors and
words, the Work timeout, and collectives in a world of one."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

import minigrad
import minigrad.distributed as dist
from minigrad.distributed.process_group import _parse_backend, launched_by_mpi
from minigrad.distributed.work import Work


@pytest.mark.parametrize("call", [dist.get_rank, dist.get_world_size, dist.get_backend,
                                  lambda: dist.all_reduce(minigrad.ones(1)), dist.barrier])
def test_before_init_every_call_says_to_initialise_as_pytorch(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized, please make sure "
                                         "to call init_process_group."):
        call()


def test_destroy_without_a_group_is_pytorchs_assertion_error():
    with pytest.raises(AssertionError, match="Process group cannot be None"):
        dist.destroy_process_group()


def test_a_world_of_one(world_of_one):
    assert dist.is_initialized() and dist.is_available() and dist.is_mpi_available()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
    assert dist.group.WORLD is not None and dist.group.WORLD.size() == 1
    x = minigrad.tensor([1.0, -2.0, 3.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.MIN, "sum"):
        dist.all_reduce(x, op=op)
    assert x.tolist() == [1.0, -2.0, 3.0]
    out = [minigrad.zeros(3)]
    dist.all_gather(out, x)
    assert out[0].tolist() == x.tolist() and out[0] is not x
    dist.broadcast(x, src=0)
    dist.barrier(timeout=timedelta(seconds=5))
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group("mpi")


def test_arguments_are_checked_with_pytorchs_error_classes(world_of_one):
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type minigrad.Tensor"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(minigrad.ones(2), op="mean")
    with pytest.raises(RuntimeError, match="Cannot use ReduceOp.BXOR with non-integral dtype"):
        dist.all_reduce(minigrad.ones(2), op=dist.ReduceOp.BXOR)
    with pytest.raises(RuntimeError, match="Cannot use ReduceOp.AVG with bool"):
        dist.all_reduce(minigrad.ones(2, dtype="bool"), op=dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match="Either src or group_src must be set"):
        dist.broadcast(minigrad.ones(2))
    with pytest.raises(RuntimeError, match="invalid root rank: 1"):
        dist.broadcast(minigrad.ones(2), src=1)
    with pytest.raises(RuntimeError, match="expected length 1"):
        dist.all_gather([minigrad.ones(2)] * 2, minigrad.ones(2))
    with pytest.raises(RuntimeError, match=r"expected \(2,\), got \(3,\)"):
        dist.reduce_scatter(minigrad.ones(2), [minigrad.ones(3)])
    with pytest.raises(ValueError, match="only the default process group"):
        dist.get_rank(group=object())
    with pytest.raises(ValueError, match="world_size"):
        dist.all_gather_object([], 1)


def test_backends_and_launch_arguments_are_checked():
    assert _parse_backend("mpi") == {"cpu": "mpi"} and _parse_backend("NCCL") == {"cuda": "nccl"}
    assert _parse_backend("cpu:mpi,cuda:nccl") == {"cpu": "mpi", "cuda": "nccl"}
    with pytest.raises(ValueError, match="no gloo backend: use 'mpi' and launch with mpiexec"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="not supported"):
        dist.init_process_group("cpu:nccl")
    with pytest.raises(TypeError, match="timedelta"):
        dist.init_process_group("mpi", timeout=30)
    with pytest.raises(ValueError, match="store="):
        dist.init_process_group("mpi", store=object())
    with pytest.raises(ValueError, match=r"rank 0 of 1: ranks come from the launcher.*mpiexec -n 4"):
        dist.init_process_group("mpi", world_size=4, rank=0)
    assert not dist.is_initialized()
    dist.init_process_group("mpi", world_size=1, rank=0, init_method="env://")  # consistent: fine
    dist.destroy_process_group()


def test_launch_detection_reads_the_launchers_environment(monkeypatch):
    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MPI_LOCALRANKID"):
        monkeypatch.delenv(name, raising=False)
    assert not launched_by_mpi()
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
    assert launched_by_mpi()


def test_a_collective_that_never_finishes_times_out_naming_it():
    work = Work("all_gather", lambda: False, None, timedelta(seconds=0.05), "rank 1 of 4")
    assert not work.is_completed()
    with pytest.raises(dist.DistBackendError, match=r"all_gather on rank 1 of 4 timed out after 0.05 s") as error:
        work.wait()
    assert isinstance(error.value, RuntimeError)


def test_work_runs_its_follow_ups_once_when_seen_finished():
    done, ran = [False], []
    work = Work("x", lambda: done[0], lambda: ran.append("first"), timedelta(seconds=5), "rank 0 of 2")
    work.then(lambda: ran.append("second"))
    assert not work.is_completed() and ran == []
    done[0] = True
    assert work.wait() and work.is_completed() and ran == ["first", "second"]
    work.then(lambda: ran.append("late"))  # already finished: runs at once
    assert ran == ["first", "second", "late"]
