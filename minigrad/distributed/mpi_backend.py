"""The ``"mpi"`` backend: collectives on CPU (NumPy) arrays through mpi4py.

Every collective is MPI's non-blocking one (``Iallreduce``, ``Ibcast``...): it starts at once
and the returned :class:`Work` polls it, so a wait can time out instead of hanging, and a
gradient bucket can be reduced while backward goes on. Arrays are C-contiguous and exchanged in
place: MPI reads and writes their memory directly.
"""

from __future__ import annotations

import pickle
from datetime import timedelta
from typing import Any

import numpy

from minigrad.distributed.arrays import BOOL_AS_BITWISE, divide_in_place
from minigrad.distributed.reduce_op import ReduceOp
from minigrad.distributed.work import Work

INSTALL_HINT = "pip install mpi4py mpich (both from the package index; no system MPI needed)"


def import_mpi() -> Any:
    """``mpi4py.MPI`` (importing it initialises MPI), or a RuntimeError saying how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError(f"minigrad.distributed needs mpi4py and an MPI library ({error}): {INSTALL_HINT}") from None
    return MPI


def is_available() -> bool:
    """Whether mpi4py can be imported (without importing it: that would initialise MPI)."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


class MPIBackend:
    """Collectives over an MPI communicator (one per process group: a duplicate of
    ``COMM_WORLD``, so the user's own MPI messages never mix with ours)."""

    device_type = "cpu"
    name = "mpi"

    def __init__(self, comm: Any, timeout: timedelta, where: str) -> None:
        self.MPI = import_mpi()
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout
        self.where = where
        mpi = self.MPI
        self._ops = {
            ReduceOp.SUM: mpi.SUM, ReduceOp.AVG: mpi.SUM, ReduceOp.PRODUCT: mpi.PROD,
            ReduceOp.MIN: mpi.MIN, ReduceOp.MAX: mpi.MAX, ReduceOp.BAND: mpi.BAND,
            ReduceOp.BOR: mpi.BOR, ReduceOp.BXOR: mpi.BXOR,
        }

    def _work(self, name: str, request: Any, finish: Any = None) -> Work:
        return Work(name, request.Test, finish, self.timeout, self.where)

    def _buffer_and_op(self, array: numpy.ndarray, op: ReduceOp) -> tuple[numpy.ndarray, Any]:
        if array.dtype == numpy.bool_:
            return array.view(numpy.uint8), self._ops[BOOL_AS_BITWISE[op]]
        return array, self._ops[op]

    # --- collectives on arrays -------------------------------------------------------------
    def all_reduce(self, array: numpy.ndarray, op: ReduceOp) -> Work:
        buffer, mpi_op = self._buffer_and_op(array, op)
        request = self.comm.Iallreduce(self.MPI.IN_PLACE, buffer, op=mpi_op)
        finish = (lambda: divide_in_place(numpy, array, self.size)) if op is ReduceOp.AVG else None
        return self._work("all_reduce", request, finish)

    def broadcast(self, array: numpy.ndarray, src: int) -> Work:
        buffer = array.view(numpy.uint8) if array.dtype == numpy.bool_ else array
        return self._work("broadcast", self.comm.Ibcast(buffer, root=src))

    def all_gather(self, output: numpy.ndarray, array: numpy.ndarray) -> Work:
        """``output`` has shape ``(world_size, *array.shape)``; row ``r`` receives rank r's array."""
        if array.dtype == numpy.bool_:
            output, array = output.view(numpy.uint8), array.view(numpy.uint8)
        return self._work("all_gather", self.comm.Iallgather(array, output))

    def reduce_scatter(self, output: numpy.ndarray, inputs: numpy.ndarray, op: ReduceOp) -> Work:
        """``inputs`` has shape ``(world_size, *output.shape)``; this rank gets the reduction of
        every rank's row ``rank``."""
        send, mpi_op = self._buffer_and_op(inputs, op)
        receive, _ = self._buffer_and_op(output, op)
        request = self.comm.Ireduce_scatter_block(send, receive, op=mpi_op)
        finish = (lambda: divide_in_place(numpy, output, self.size)) if op is ReduceOp.AVG else None
        return self._work("reduce_scatter", request, finish)

    def barrier(self) -> Work:
        return self._work("barrier", self.comm.Ibarrier())

    # --- Python objects (pickled), for setup checks and small results ---------------------
    def all_gather_object(self, obj: Any) -> list:
        payload = numpy.frombuffer(pickle.dumps(obj), dtype=numpy.uint8)
        sizes = numpy.empty(self.size, dtype=numpy.int64)
        self._work("all_gather_object", self.comm.Iallgather(numpy.array([payload.size]), sizes)).wait()
        received = numpy.empty(int(sizes.sum()), dtype=numpy.uint8)
        request = self.comm.Iallgatherv(payload, [received, sizes])
        self._work("all_gather_object", request).wait()
        ends = numpy.cumsum(sizes)
        return [pickle.loads(received[end - size:end].tobytes()) for end, size in zip(ends, sizes)]

    def broadcast_object(self, obj: Any, src: int) -> Any:
        payload = numpy.frombuffer(pickle.dumps(obj), dtype=numpy.uint8) if self.rank == src else None
        size = numpy.array([0 if payload is None else payload.size], dtype=numpy.int64)
        self._work("broadcast_object_list", self.comm.Ibcast(size, root=src)).wait()
        buffer = payload.copy() if payload is not None else numpy.empty(int(size[0]), dtype=numpy.uint8)
        self._work("broadcast_object_list", self.comm.Ibcast(buffer, root=src)).wait()
        return pickle.loads(buffer.tobytes())

    def close(self) -> None:
        self.comm.Free()
