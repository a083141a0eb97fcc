"""``ReduceOp``: how a collective combines the ranks' values (``torch.distributed.ReduceOp``)."""

from __future__ import annotations

import enum


class ReduceOp(enum.Enum):
    """``SUM``, ``PRODUCT``, ``MIN``, ``MAX``, ``AVG`` for any float or int dtype; ``BAND``,
    ``BOR``, ``BXOR`` (bitwise) for integer and bool tensors only, as in PyTorch.

    ``AVG`` of an integer tensor is the sum divided by the world size, truncated toward zero
    (NCCL's rule for ``ncclAvg``); PyTorch's MPI backend has no ``AVG`` at all.
    """

    SUM = 0
    PRODUCT = 1
    MIN = 2
    MAX = 3
    BAND = 4
    BOR = 5
    BXOR = 6
    AVG = 7

    def __repr__(self) -> str:
        return f"<ReduceOp.{self.name}: {self.value}>"


BITWISE = (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)


def as_reduce_op(op: object) -> ReduceOp:
    """``op`` as a :class:`ReduceOp`; a clear ``TypeError`` for anything else."""
    if isinstance(op, ReduceOp):
        return op
    if isinstance(op, str) and op.upper() in ReduceOp.__members__:
        return ReduceOp[op.upper()]
    raise TypeError(
        f"op must be a minigrad.distributed.ReduceOp (SUM, AVG, MAX, MIN, PRODUCT, BAND, BOR, BXOR), "
        f"got {op!r}"
    )
