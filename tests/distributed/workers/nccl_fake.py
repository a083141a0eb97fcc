"""The NCCL backend's code on 2 ranks, with the fake CuPy and a fake NCCL over MPI
(tests/distributed/fake_nccl.py): pointers, counts, type and op codes, widening of int16,
bool through max/min, AVG as a sum and a division, DDP on "cuda" tensors.

``nccl_fake.py --real`` runs the same checks on real GPUs with real NCCL (one GPU per rank).
Prints ``nccl (fake) ok on rank R`` (or ``nccl (real) ...``).
"""

from __future__ import annotations

import sys
from datetime import timedelta

import numpy as np
import pytest

from tests.distributed import fake_nccl
from tests.distributed.workers.collectives import expected_reduction, values


class NoCalls(list):
    """Real NCCL is not watched call by call: the call-log checks pass through."""

    def clear(self) -> None:
        pass


def main(real: bool) -> None:
    monkeypatch = pytest.MonkeyPatch()
    if real:
        fake_nccl.calls = NoCalls()
    else:
        fake_nccl.install(monkeypatch)
    import minigrad
    import minigrad.distributed as dist
    import minigrad.nn as nn
    from minigrad.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("nccl", timeout=timedelta(seconds=60))
    rank, world = dist.get_rank(), dist.get_world_size()
    assert dist.get_backend() == "nccl"
    from minigrad.distributed.launch import local_device

    device = local_device("cuda")  # this rank's own GPU
    everyone = range(world)

    for dtype in ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]:
        ops = [dist.ReduceOp.SUM, dist.ReduceOp.PRODUCT, dist.ReduceOp.MIN, dist.ReduceOp.MAX]
        ops += [dist.ReduceOp.AVG] if dtype != "bool" else [dist.ReduceOp.BOR, dist.ReduceOp.BAND]
        for op in ops:
            fake_nccl.calls.clear()
            tensor = minigrad.tensor(values(rank, dtype), dtype=dtype, device=device)
            dist.all_reduce(tensor, op=op)
            assert tensor.is_cuda and tensor.dtype == np.dtype(dtype)
            want = expected_reduction(op, [values(r, dtype) for r in everyone])
            np.testing.assert_array_equal(tensor.numpy(), want, err_msg=f"nccl all_reduce {op} {dtype}")
            if not real:
                (call,) = fake_nccl.calls
                wire = {"int16": "int32", "bool": "uint8"}.get(dtype, dtype)
                assert call[:3] == ("allReduce", 6, wire), call
        tensor = minigrad.tensor(values(rank, dtype), dtype=dtype, device=device)
        dist.broadcast(tensor, src=1)
        np.testing.assert_array_equal(tensor.numpy(), values(1, dtype))
        gathered = [minigrad.zeros(2, 3, dtype=dtype, device=device) for _ in everyone]
        dist.all_gather(gathered, minigrad.tensor(values(rank, dtype), dtype=dtype, device=device))
        for r in everyone:
            np.testing.assert_array_equal(gathered[r].numpy(), values(r, dtype))
        if dtype != "bool":
            output = minigrad.zeros(2, 3, dtype=dtype, device=device)
            inputs = [minigrad.tensor(values(rank + 10 * p, dtype), dtype=dtype, device=device) for p in everyone]
            dist.reduce_scatter(output, inputs, op=dist.ReduceOp.SUM)
            want = expected_reduction(dist.ReduceOp.SUM, [values(r + 10 * rank, dtype) for r in everyone])
            np.testing.assert_array_equal(output.numpy(), want)

    work = dist.all_reduce(minigrad.ones(4, device=device), async_op=True)
    assert work.wait() is True and work.is_completed()
    dist.barrier()
    for call, error, words in [
        (lambda: dist.all_reduce(minigrad.ones(2, dtype="int32", device=device), op=dist.ReduceOp.BXOR),
         RuntimeError, "NCCL"),
        (lambda: dist.all_reduce(minigrad.ones(2)), RuntimeError, "device type cpu"),
    ]:
        with pytest.raises(error, match=words):
            call()

    # DDP on "cuda" parameters: buckets live on the GPU and travel through NCCL.
    minigrad.manual_seed(7 + rank)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double().to(device)
    ddp = DDP(model, bucket_cap_mb=1e-6)
    minigrad.manual_seed(7)
    reference = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    inputs = [np.random.default_rng(r).standard_normal((5, 3)) for r in everyone]
    fake_nccl.calls.clear()
    ddp(minigrad.tensor(inputs[rank], device=device)).pow(2).sum().backward()
    assert real or [c[0] for c in fake_nccl.calls] == ["allReduce"] * 4, fake_nccl.calls
    for x in inputs:
        reference(minigrad.tensor(x)).pow(2).sum().backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        assert p.grad.is_cuda
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy() / world, rtol=1e-12)

    dist.destroy_process_group()
    monkeypatch.undo()
    print(f"nccl ({'real' if real else 'fake'}) ok on rank {rank}", flush=True)


if __name__ == "__main__":
    main("--real" in sys.argv)
