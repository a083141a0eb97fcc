"""The ``"nccl"`` backend: collectives on CUDA (CuPy) arrays through CuPy's NCCL bindings.

NCCL runs on the GPU: a collective is queued on the current CUDA stream and the host goes on,
so, as in PyTorch, ``work.wait()`` only orders later GPU work after it (the same stream does
that already) and never blocks the host. Results need no copy: NCCL writes into the arrays.

A rank that never joins a collective would leave the GPU waiting forever, so a watchdog thread
(PyTorch's NCCL watchdog) checks the oldest unfinished collective; one older than the group's
timeout ends the whole job with a message saying which collective timed out.

The communicator is made once per process group: rank 0 draws NCCL's unique id and MPI hands
it to the others (the MPI launcher gives the ranks; no sockets of our own).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from minigrad.distributed.arrays import BOOL_AS_BITWISE, divide_in_place
from minigrad.distributed.errors import DistBackendError
from minigrad.distributed.reduce_op import BITWISE, ReduceOp
from minigrad.distributed.work import Work

# NCCL's ncclDataType_t for each NumPy dtype name; int16 has none and travels as int32.
_NCCL_TYPES = {
    "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32", "uint32": "NCCL_UINT32",
    "int64": "NCCL_INT64", "uint64": "NCCL_UINT64", "float16": "NCCL_FLOAT16",
    "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
}
_WIDENED = {"int16": "int32", "uint16": "int32", "bool": "uint8"}
# AVG is a sum and a division (the same rule and rounding as the MPI backend).
_NCCL_OPS = {
    ReduceOp.SUM: "NCCL_SUM", ReduceOp.AVG: "NCCL_SUM", ReduceOp.PRODUCT: "NCCL_PROD",
    ReduceOp.MIN: "NCCL_MIN", ReduceOp.MAX: "NCCL_MAX",
}
# On 0/1 bytes, "any" is a max and "all" a min.
_BOOL_OPS = {ReduceOp.BOR: "NCCL_MAX", ReduceOp.BAND: "NCCL_MIN"}


def import_nccl(cupy: Any) -> Any:
    """``cupy.cuda.nccl``, or a RuntimeError saying what is missing."""
    try:
        from cupy.cuda import nccl
    except ImportError as error:
        raise RuntimeError(
            f"backend='nccl' needs CuPy built with NCCL ({error}): pip install cupy-cuda12x "
            "(CuPy's wheels load NCCL from the nvidia-nccl-cu12 package: pip install nvidia-nccl-cu12)"
        ) from None
    if not getattr(nccl, "available", True):
        raise RuntimeError("CuPy was built without NCCL: pip install nvidia-nccl-cu12 (or cu13) and retry")
    return nccl


def device_pointer(array: Any) -> int:
    """The device address of a CUDA array (any object with ``__cuda_array_interface__``)."""
    return int(array.__cuda_array_interface__["data"][0])


class Watchdog:
    """Ends the job when the oldest unfinished collective is older than ``timeout``.

    ``on_timeout(message)`` is called from the watchdog thread (default: print the message and
    ``MPI_Abort`` the job); ``poll_seconds`` is how often it looks.
    """

    def __init__(self, timeout: timedelta, on_timeout: Callable[[str], None], poll_seconds: float = 1.0) -> None:
        self.timeout = timeout.total_seconds()
        self.on_timeout = on_timeout
        self.poll_seconds = poll_seconds
        self.failure: str | None = None
        self._pending: deque = deque()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, name: str, event: Any, where: str) -> None:
        with self._lock:
            self._pending.append((time.monotonic(), name, event, where))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="minigrad-nccl-watchdog", daemon=True)
            self._thread.start()

    def check(self) -> None:
        """Drop finished collectives; report the oldest if it is overdue (in queue order, so
        looking at the oldest is enough)."""
        with self._lock:
            while self._pending and self._pending[0][2].done:
                self._pending.popleft()
            if not self._pending or self.failure is not None:
                return
            started, name, _, where = self._pending[0]
            age = time.monotonic() - started
            if age <= self.timeout:
                return
            self.failure = (
                f"minigrad.distributed: NCCL {name} on {where} timed out after {self.timeout:g} s "
                "(watchdog): another rank did not join it (it stopped, hangs, or runs a different "
                "collective). Ending the job; init_process_group(timeout=...) sets the limit."
            )
        self.on_timeout(self.failure)

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self.poll_seconds):
            self.check()
            if self.failure is not None:
                return


class StreamOrderedWork(Work):
    """A collective queued on a CUDA stream: follow-up work (copies, the AVG division) is queued
    right behind it, and ``wait()`` returns at once unless the watchdog has reported a timeout."""

    def __init__(self, name: str, event: Any, watchdog: Watchdog, timeout: timedelta, where: str) -> None:
        super().__init__(name, lambda: bool(event.done), None, timeout, where)
        self._watchdog = watchdog

    def then(self, finish: Callable[[], None]) -> Work:
        finish()  # queued on the same stream, after the collective
        return self

    def is_completed(self) -> bool:
        return bool(self._test())

    def wait(self, timeout: timedelta | None = None) -> bool:
        if self._watchdog.failure is not None:
            raise DistBackendError(self._watchdog.failure)
        return True


def abort_job(message: str) -> None:
    """Print ``message`` and end every rank of the job (the watchdog's default action)."""
    print(message, file=sys.stderr, flush=True)
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(1)


class NCCLBackend:
    """Collectives on CuPy arrays of one GPU (``device_index``), one communicator per group."""

    device_type = "cuda"
    name = "nccl"

    def __init__(
        self,
        rank: int,
        size: int,
        device_index: int,
        broadcast_object: Callable[[Any, int], Any],
        timeout: timedelta,
        where: str,
        on_timeout: Callable[[str], None] = abort_job,
    ) -> None:
        from minigrad.backends.cupy_backend import import_cupy

        self.cupy = import_cupy()
        self.nccl = import_nccl(self.cupy)
        self.rank, self.size, self.device_index = rank, size, device_index
        self.timeout, self.where = timeout, where
        self.watchdog = Watchdog(timeout, on_timeout)
        unique_id = broadcast_object(self.nccl.get_unique_id() if rank == 0 else None, 0)
        with self.cupy.cuda.Device(device_index):
            self.comm = self.nccl.NcclCommunicator(size, unique_id, rank)

    # --- plumbing ----------------------------------------------------------------------------
    def _on_own_gpu(self) -> Any:
        """Widened copies and follow-up kernels must be made on this rank's GPU."""
        return self.cupy.cuda.Device(self.device_index)

    def _check_device(self, array: Any) -> None:
        device = array.device.id
        if device != self.device_index:
            raise RuntimeError(
                f"this rank's NCCL communicator is on cuda:{self.device_index}, but the tensor is on "
                f"cuda:{device}: put rank r's tensors on its own GPU (init_process_group(device_id=...), "
                "or minigrad.distributed.launch.local_device('cuda'))"
            )

    def _datatype(self, array: Any) -> tuple[int, Any]:
        """NCCL's type code, and the array to hand NCCL (a widened copy for int16 and bool)."""
        name = array.dtype.name
        wider = _WIDENED.get(name)
        if wider == "uint8" and name == "bool":
            return self.nccl.NCCL_UINT8, array.view("uint8")
        if wider is not None:
            return getattr(self.nccl, _NCCL_TYPES[wider]), array.astype(wider)
        if name not in _NCCL_TYPES:
            raise TypeError(f"NCCL cannot exchange {name} tensors: use a float or int dtype")
        return getattr(self.nccl, _NCCL_TYPES[name]), array

    def _op(self, array: Any, op: ReduceOp) -> int:
        if array.dtype.name == "bool":
            op = BOOL_AS_BITWISE[op]
            if op in _BOOL_OPS:
                return getattr(self.nccl, _BOOL_OPS[op])
        if op in BITWISE:
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with NCCL (NCCL has no bitwise reductions)")
        return getattr(self.nccl, _NCCL_OPS[op])

    def _launch(self, name: str, run: Callable[[int], None]) -> Work:
        stream = self.cupy.cuda.get_current_stream()
        run(stream.ptr)
        event = self.cupy.cuda.Event(disable_timing=True)
        event.record(stream)
        self.watchdog.watch(name, event, self.where)
        return StreamOrderedWork(name, event, self.watchdog, self.timeout, self.where)

    @staticmethod
    def _copy_back(target: Any, staged: Any) -> None:
        if staged is not target:
            target[...] = staged.astype(target.dtype) if staged.dtype != target.dtype else staged

    # --- collectives on arrays -------------------------------------------------------------
    def all_reduce(self, array: Any, op: ReduceOp) -> Work:
        with self._on_own_gpu():
            self._check_device(array)
            nccl_op = self._op(array, op)
            datatype, staged = self._datatype(array)
            pointer = device_pointer(staged)
            work = self._launch("all_reduce", lambda stream: self.comm.allReduce(
                pointer, pointer, staged.size, datatype, nccl_op, stream))
            if op is ReduceOp.AVG:
                divide_in_place(self.cupy, staged, self.size)
            self._copy_back(array, staged)
            return work

    def broadcast(self, array: Any, src: int) -> Work:
        with self._on_own_gpu():
            self._check_device(array)
            datatype, staged = self._datatype(array)
            pointer = device_pointer(staged)
            work = self._launch("broadcast", lambda stream: self.comm.broadcast(
                pointer, pointer, staged.size, datatype, src, stream))
            self._copy_back(array, staged)
            return work

    def all_gather(self, output: Any, array: Any) -> Work:
        with self._on_own_gpu():
            self._check_device(array)
            datatype, staged_in = self._datatype(array)
            _, staged_out = self._datatype(output)
            work = self._launch("all_gather", lambda stream: self.comm.allGather(
                device_pointer(staged_in), device_pointer(staged_out), staged_in.size, datatype, stream))
            self._copy_back(output, staged_out)
            return work

    def reduce_scatter(self, output: Any, inputs: Any, op: ReduceOp) -> Work:
        with self._on_own_gpu():
            self._check_device(inputs)
            nccl_op = self._op(inputs, op)
            datatype, staged_in = self._datatype(inputs)
            _, staged_out = self._datatype(output)
            work = self._launch("reduce_scatter", lambda stream: self.comm.reduceScatter(
                device_pointer(staged_in), device_pointer(staged_out), staged_out.size, datatype, nccl_op, stream))
            if op is ReduceOp.AVG:
                divide_in_place(self.cupy, staged_out, self.size)
            self._copy_back(output, staged_out)
            return work

    def barrier(self) -> Work:
        """An all-reduce of one number on the GPU, waited for on the host (a barrier must block)."""
        with self.cupy.cuda.Device(self.device_index):
            token = self.cupy.zeros(1, dtype="float32")
        work = self.all_reduce(token, ReduceOp.SUM)
        return Work("barrier", work.is_completed, None, self.timeout, self.where)

    def close(self) -> None:
        self.watchdog.stop()
        self.comm.destroy()
