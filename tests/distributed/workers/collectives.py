"""Every collective on every dtype, checked on each rank against NumPy computed from what all
ranks hold (each rank can rebuild the others' inputs: they depend only on the rank).

Prints ``collectives ok on rank R: N checks``; any failure raises, which ends the job non-zero.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

import minigrad
import minigrad.distributed as dist

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def values(rank: int, dtype: str, shape: tuple = (2, 3)) -> np.ndarray:
    """Rank-dependent values, small enough for every dtype (products of two ranks fit int8)."""
    base = (np.arange(int(np.prod(shape))).reshape(shape) % 5) + 1 + 2 * rank
    if dtype == "bool":
        return (base + rank) % 2 == 0
    if dtype.startswith("float"):
        return (base * 0.5 - rank).astype(dtype)
    return (base * (-1) ** rank).astype(dtype) if dtype != "uint8" else base.astype(dtype)


def expected_reduction(op: dist.ReduceOp, arrays: list[np.ndarray]) -> np.ndarray:
    stacked = np.stack(arrays)
    dtype = arrays[0].dtype
    if dtype == np.bool_:
        if op in (dist.ReduceOp.SUM, dist.ReduceOp.MAX, dist.ReduceOp.BOR):
            return stacked.any(0)
        if op in (dist.ReduceOp.PRODUCT, dist.ReduceOp.MIN, dist.ReduceOp.BAND):
            return stacked.all(0)
        return np.logical_xor.reduce(stacked, 0)
    reduce = {
        dist.ReduceOp.SUM: lambda s: s.sum(0, dtype=dtype), dist.ReduceOp.PRODUCT: lambda s: s.prod(0, dtype=dtype),
        dist.ReduceOp.MIN: lambda s: s.min(0), dist.ReduceOp.MAX: lambda s: s.max(0),
        dist.ReduceOp.BAND: lambda s: np.bitwise_and.reduce(s, 0),
        dist.ReduceOp.BOR: lambda s: np.bitwise_or.reduce(s, 0),
        dist.ReduceOp.BXOR: lambda s: np.bitwise_xor.reduce(s, 0),
    }
    if op is dist.ReduceOp.AVG:
        total = stacked.sum(0, dtype=dtype)
        if dtype.kind == "f":
            return total / dtype.type(len(arrays))
        return (np.sign(total) * (np.abs(total) // len(arrays))).astype(dtype)
    return reduce[op](stacked)


def ops_for(dtype: str) -> list[dist.ReduceOp]:
    if dtype.startswith("float"):
        return [dist.ReduceOp.SUM, dist.ReduceOp.PRODUCT, dist.ReduceOp.MIN, dist.ReduceOp.MAX, dist.ReduceOp.AVG]
    if dtype == "bool":
        return [op for op in dist.ReduceOp if op is not dist.ReduceOp.AVG]
    return list(dist.ReduceOp)


def main() -> None:
    dist.init_process_group("mpi", timeout=timedelta(seconds=60))
    rank, world = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "mpi" and world == 2
    everyone = range(world)
    checks = 0

    for dtype in DTYPES:
        for op in ops_for(dtype):
            tensor = minigrad.tensor(values(rank, dtype), dtype=dtype)
            before = tensor._version
            assert dist.all_reduce(tensor, op=op) is None
            want = expected_reduction(op, [values(r, dtype) for r in everyone])
            np.testing.assert_array_equal(tensor.numpy(), want, err_msg=f"all_reduce {op} {dtype}")
            assert tensor.dtype == np.dtype(dtype) and tensor._version == before + 1
            checks += 1

        tensor = minigrad.tensor(values(rank, dtype), dtype=dtype)
        dist.broadcast(tensor, src=1)
        np.testing.assert_array_equal(tensor.numpy(), values(1, dtype), err_msg=f"broadcast {dtype}")

        gathered = [minigrad.zeros(2, 3, dtype=dtype) for _ in everyone]
        dist.all_gather(gathered, minigrad.tensor(values(rank, dtype), dtype=dtype))
        for r in everyone:
            np.testing.assert_array_equal(gathered[r].numpy(), values(r, dtype), err_msg=f"all_gather {dtype}")

        whole = minigrad.zeros(2 * world, 3, dtype=dtype)
        dist.all_gather_into_tensor(whole, minigrad.tensor(values(rank, dtype), dtype=dtype))
        np.testing.assert_array_equal(whole.numpy(), np.concatenate([values(r, dtype) for r in everyone]))

        for op in ops_for(dtype):
            output = minigrad.zeros(2, 3, dtype=dtype)
            inputs = [minigrad.tensor(values(rank + 10 * piece, dtype), dtype=dtype) for piece in everyone]
            dist.reduce_scatter(output, inputs, op=op)
            want = expected_reduction(op, [values(r + 10 * rank, dtype) for r in everyone])
            np.testing.assert_array_equal(output.numpy(), want, err_msg=f"reduce_scatter {op} {dtype}")
            stacked = minigrad.tensor(np.concatenate([values(rank + 10 * piece, dtype) for piece in everyone]))
            output = minigrad.zeros(2, 3, dtype=dtype)
            dist.reduce_scatter_tensor(output, stacked, op=op)
            np.testing.assert_array_equal(output.numpy(), want, err_msg=f"reduce_scatter_tensor {op} {dtype}")
            checks += 2
        checks += 3

    # A non-contiguous tensor (a transpose) is reduced through a copy and written back in place.
    base = minigrad.tensor(values(rank, "float64", (3, 4)))
    view = base.T
    dist.all_reduce(view)
    np.testing.assert_array_equal(base.numpy(), values(0, "float64", (3, 4)) + values(1, "float64", (3, 4)))
    # 0-d and empty tensors.
    scalar = minigrad.tensor(float(rank + 1), dtype="float32")
    dist.all_reduce(scalar, op=dist.ReduceOp.MAX)
    assert scalar.shape == () and scalar.item() == world
    empty = minigrad.zeros(0, 3)
    dist.all_reduce(empty)
    assert empty.shape == (0, 3)
    # A leaf that requires grad is written in place, as in PyTorch (only .data-like semantics).
    weight = minigrad.ones(3, requires_grad=True)
    dist.all_reduce(weight)
    assert weight.requires_grad and weight.is_leaf and weight.tolist() == [2.0, 2.0, 2.0]

    # Asynchronous work: the result is there after wait().
    tensor = minigrad.full((1000,), float(rank))
    work = dist.all_reduce(tensor, op=dist.ReduceOp.SUM, async_op=True)
    assert isinstance(work, dist.Work) and work.wait() is True and work.is_completed()
    assert float(tensor.numpy()[0]) == sum(everyone)

    # Objects and the barrier.
    objects = [None] * world
    dist.all_gather_object(objects, {"rank": rank, "text": "x" * (rank + 1)})
    assert objects == [{"rank": r, "text": "x" * (r + 1)} for r in everyone]
    sent = [f"from {rank}", rank] if rank == 0 else [None, None]
    dist.broadcast_object_list(sent, src=0)
    assert sent == ["from 0", 0]
    dist.barrier()

    # Bad calls fail the same way on every rank, before anything is exchanged.
    for call, error in [
        (lambda: dist.all_reduce(minigrad.ones(2), op=dist.ReduceOp.BAND), RuntimeError),
        (lambda: dist.broadcast(minigrad.ones(2), src=world), RuntimeError),
        (lambda: dist.all_gather([minigrad.ones(2)], minigrad.ones(2)), RuntimeError),
        (lambda: dist.all_gather([minigrad.ones(3)] * world, minigrad.ones(2)), RuntimeError),
        (lambda: dist.all_reduce([1.0, 2.0]), TypeError),
    ]:
        try:
            call()
        except error:
            pass
        else:
            raise AssertionError(f"expected {error.__name__}")
    dist.barrier()  # still in step: no bad call exchanged anything
    dist.destroy_process_group()
    assert not dist.is_initialized()
    print(f"collectives ok on rank {rank}: {checks} checks", flush=True)


if __name__ == "__main__":
    main()
