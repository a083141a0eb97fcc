"""A stand-in for ``cupy.cuda.nccl`` on the NumPy-backed fake CuPy, so the NCCL backend's code
runs without a GPU.

It is given what real NCCL is given (device pointers, element counts, NCCL's type and op
codes), rebuilds the arrays from those raw addresses with ctypes, and exchanges them over MPI
between the processes of an ``mpiexec`` job. So wrong pointers, counts, dtype codes or op
codes give wrong numbers here too. Every call is logged in ``calls`` for the tests.

``install(monkeypatch)`` installs the fake CuPy (tests/backends/fake_cupy.py) with this NCCL,
``cupy.cuda.Event`` (always done: the fake runs everything at once) and
``cupy.cuda.get_current_stream``.
"""

from __future__ import annotations

import ctypes
import sys
import types
from typing import Any

import numpy

from tests.backends import fake_cupy

# NCCL's codes (nccl.h): ncclDataType_t and ncclRedOp_t.
TYPES = {0: "int8", 1: "uint8", 2: "int32", 3: "uint32", 4: "int64", 5: "uint64", 6: "float16", 7: "float32",
         8: "float64"}
OPS = {0: "SUM", 1: "PROD", 2: "MAX", 3: "MIN"}

calls: list[tuple] = []


def _array_at(pointer: int, count: int, datatype: int) -> numpy.ndarray:
    dtype = numpy.dtype(TYPES[datatype])
    memory = (ctypes.c_char * (count * dtype.itemsize)).from_address(pointer)
    return numpy.frombuffer(memory, dtype=dtype, count=count)


class NcclCommunicator:
    """``cupy.cuda.nccl.NcclCommunicator(ndev, commId, rank)`` over ``MPI.COMM_WORLD``."""

    def __init__(self, ndev: int, comm_id: tuple, rank: int) -> None:
        from mpi4py import MPI

        self.MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()
        assert len(comm_id) == 128 and ndev == self.comm.Get_size() and rank == self.comm.Get_rank()
        ids = self.comm.allgather(comm_id)
        assert all(i == ids[0] for i in ids), "ranks were given different unique ids"
        self.destroyed = False

    def _op(self, op: int) -> Any:
        return getattr(self.MPI, OPS[op])

    def allReduce(self, send: int, receive: int, count: int, datatype: int, op: int, stream: int) -> None:  # noqa: N802
        calls.append(("allReduce", count, TYPES[datatype], OPS[op]))
        source = _array_at(send, count, datatype).copy()
        self.comm.Allreduce(source, _array_at(receive, count, datatype), op=self._op(op))

    def broadcast(self, send: int, receive: int, count: int, datatype: int, root: int, stream: int) -> None:
        calls.append(("broadcast", count, TYPES[datatype], root))
        target = _array_at(receive, count, datatype)
        if self.comm.Get_rank() == root:
            target[...] = _array_at(send, count, datatype)
        self.comm.Bcast(target, root=root)

    def allGather(self, send: int, receive: int, count: int, datatype: int, stream: int) -> None:  # noqa: N802
        calls.append(("allGather", count, TYPES[datatype]))
        size = self.comm.Get_size()
        self.comm.Allgather(_array_at(send, count, datatype).copy(), _array_at(receive, count * size, datatype))

    def reduceScatter(self, send: int, receive: int, count: int, datatype: int, op: int, stream: int) -> None:  # noqa: N802
        calls.append(("reduceScatter", count, TYPES[datatype], OPS[op]))
        size = self.comm.Get_size()
        source = _array_at(send, count * size, datatype).copy()
        self.comm.Reduce_scatter_block(source, _array_at(receive, count, datatype), op=self._op(op))

    def destroy(self) -> None:
        self.destroyed = True
        self.comm.Free()


class Event:
    """``cupy.cuda.Event``: the fake runs every kernel at once, so it is always done."""

    def __init__(self, disable_timing: bool = False) -> None:
        self.recorded = False
        self.done = True

    def record(self, stream: Any = None) -> None:
        self.recorded = True


def make_nccl() -> types.SimpleNamespace:
    nccl = types.SimpleNamespace(available=True, NcclCommunicator=NcclCommunicator,
                                 get_unique_id=lambda: tuple(range(-64, 64)))
    for code, name in TYPES.items():
        setattr(nccl, f"NCCL_{name.upper()}", code)
    for code, name in OPS.items():
        setattr(nccl, f"NCCL_{name}", code)
    return nccl


def install(monkeypatch: Any, device_count: int = 1) -> Any:
    """The fake CuPy with this NCCL; ``import cupy`` and ``from cupy.cuda import nccl`` find it."""
    cupy = fake_cupy.install(monkeypatch, device_count)
    nccl = make_nccl()
    stream = types.SimpleNamespace(ptr=0)
    cupy.cuda.nccl = nccl
    cupy.cuda.Event = Event
    cupy.cuda.get_current_stream = lambda: stream
    monkeypatch.setitem(sys.modules, "cupy.cuda", cupy.cuda)
    monkeypatch.setitem(sys.modules, "cupy.cuda.nccl", nccl)
    return cupy
