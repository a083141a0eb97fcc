"""Array helpers both backends share (they run on NumPy and CuPy arrays alike)."""

from __future__ import annotations

from typing import Any

from minigrad.distributed.reduce_op import ReduceOp

# A bool tensor is reduced as uint8 0/1 values: SUM and MAX are "any", PRODUCT and MIN "all".
BOOL_AS_BITWISE = {
    ReduceOp.SUM: ReduceOp.BOR, ReduceOp.MAX: ReduceOp.BOR, ReduceOp.BOR: ReduceOp.BOR,
    ReduceOp.PRODUCT: ReduceOp.BAND, ReduceOp.MIN: ReduceOp.BAND, ReduceOp.BAND: ReduceOp.BAND,
    ReduceOp.BXOR: ReduceOp.BXOR,
}


def divide_in_place(xp: Any, array: Any, world_size: int) -> None:
    """``array /= world_size``: the second half of ``AVG`` (a sum, then this).

    Integers are divided truncating toward zero, as NCCL's ``ncclAvg`` does.
    """
    if world_size == 1:
        return
    if array.dtype.kind == "f":
        xp.divide(array, array.dtype.type(world_size), out=array)
    else:
        quotient = xp.abs(array) // world_size
        array[...] = xp.where(array < 0, -quotient, quotient)
