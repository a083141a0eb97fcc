"""The default process group: ``init_process_group``, ``get_rank``, ``destroy_process_group``...

Ranks come from the MPI launcher (``mpiexec -n 2 python train.py``): every process is one rank
of MPI's ``COMM_WORLD``. A script started without a launcher is rank 0 of a world of 1, so the
same code runs on one process too. Which engine moves a tensor depends on its device: ``"mpi"``
(mpi4py) for CPU tensors, ``"nccl"`` (CuPy's NCCL) for CUDA tensors.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from minigrad.distributed import job_abort
from minigrad.distributed.mpi_backend import MPIBackend, import_mpi

#: PyTorch's default for every backend but NCCL (``torch.distributed.default_pg_timeout``).
DEFAULT_TIMEOUT = timedelta(minutes=30)

NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)


class ProcessGroup:
    """A set of ranks that run collectives together (here: every rank of the MPI job).

    ``rank()`` and ``size()`` as PyTorch's ``ProcessGroup``; ``backend_for(device_type)`` is
    the engine that moves tensors of that device type.
    """

    def __init__(self, backend_name: str, mpi: MPIBackend, devices: dict[str, Any], timeout: timedelta) -> None:
        self.backend_name = backend_name
        self.mpi = mpi  # always there: it bootstraps NCCL and moves Python objects
        self.devices = devices
        self.timeout = timeout

    def rank(self) -> int:
        return self.mpi.rank

    def size(self) -> int:
        return self.mpi.size

    def describe(self) -> str:
        return f"rank {self.rank()} of {self.size()}"

    def backend_for(self, device_type: str) -> Any:
        backend = self.devices.get(device_type)
        if backend is None:
            fix = "backend='nccl' (or None)" if device_type == "cuda" else "backend='mpi' (or None)"
            raise RuntimeError(
                f"No backend type associated with device type {device_type}: the process group was "
                f"made with backend={self.backend_name!r}; for {device_type} tensors call "
                f"init_process_group({fix})"
            )
        return backend

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend_name!r}, {self.describe()})"


_default_group: ProcessGroup | None = None


class _GroupMember:
    """``group.WORLD``: the default process group (``None`` before ``init_process_group``)."""

    @property
    def WORLD(self) -> ProcessGroup | None:  # noqa: N802  (PyTorch's name)
        return _default_group


group = _GroupMember()


def is_available() -> bool:
    """Whether ``minigrad.distributed`` can run here (mpi4py is installed)."""
    from minigrad.distributed.mpi_backend import is_available as mpi_available

    return mpi_available()


def is_mpi_available() -> bool:
    return is_available()


def is_nccl_available() -> bool:
    """Whether CuPy with NCCL can be imported (says nothing about GPUs being present)."""
    from minigrad.backends.cupy_backend import import_cupy
    from minigrad.distributed.nccl_backend import import_nccl

    try:  # CuPy comes through the backend, NCCL through the one helper that imports it
        nccl = import_nccl(import_cupy())
    except Exception:  # a broken CuPy fails in many ways
        return False
    return bool(getattr(nccl, "available", True))


def is_initialized() -> bool:
    return _default_group is not None


def launched_by_mpi() -> bool:
    """Whether an MPI launcher (``mpiexec``/``mpirun`` of MPICH, Open MPI, Intel MPI or Slurm's
    PMI) started this process, from its environment (MPI itself is not initialised)."""
    return any(name in os.environ for name in (
        "PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MPI_LOCALRANKID",
    ))


def _parse_backend(backend: str | None) -> dict[str, str]:
    """``{"cpu": "mpi", "cuda": "nccl"}`` from ``"mpi"``, ``"nccl"``, ``None`` or
    ``"cpu:mpi,cuda:nccl"`` (PyTorch's per-device form)."""
    if backend is None:
        from minigrad import backends

        usable_cuda = backends.available().get("cuda") is None and is_nccl_available()
        return {"cpu": "mpi", "cuda": "nccl"} if usable_cuda else {"cpu": "mpi"}
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a string such as 'mpi' or 'nccl', got {type(backend).__name__}")
    text = backend.strip().lower()
    pairs = [part.split(":", 1) for part in text.split(",")] if ":" in text else [
        ["cuda" if text == "nccl" else "cpu", text]
    ]
    result = {}
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"backend {backend!r}: write 'mpi', 'nccl' or 'cpu:mpi,cuda:nccl'")
        device, name = (part.strip() for part in pair)
        expected = {"cpu": "mpi", "cuda": "nccl"}.get(device)
        if name != expected:
            hint = " (minigrad has no gloo backend: use 'mpi' and launch with mpiexec)" if name == "gloo" else ""
            raise ValueError(
                f"backend {backend!r} is not supported{hint}: minigrad.distributed moves CPU tensors "
                "with 'mpi' (mpi4py) and CUDA tensors with 'nccl' (CuPy); use 'mpi', 'nccl', None "
                "(both) or 'cpu:mpi,cuda:nccl'"
            )
        result[device] = name
    return result


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the job's default process group (``torch.distributed.init_process_group``).

    Args:
        backend: ``"mpi"`` (CPU tensors), ``"nccl"`` (CUDA tensors), ``None`` (both where a GPU
            is usable) or ``"cpu:mpi,cuda:nccl"``.
        init_method: ignored: the MPI launcher connects the ranks (as PyTorch's MPI backend).
        timeout: how long a collective may wait for the other ranks before it raises
            (default 30 minutes, PyTorch's); a rank that raises ends the whole job.
        world_size, rank: optional; when given they must match what the launcher says.
        store, pg_options: not supported (the launcher replaces a store).
        device_id: the GPU index (or ``"cuda:N"``) of this rank's NCCL communicator; default:
            the rank's index among the ranks on its machine, modulo the GPU count.
    """
    global _default_group
    if _default_group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None or pg_options is not None:
        raise ValueError(
            "init_process_group: store= and pg_options= are not supported; the MPI launcher connects the ranks"
        )
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if not isinstance(timeout, timedelta):
        raise TypeError(f"timeout must be a datetime.timedelta, got {type(timeout).__name__}")
    devices = _parse_backend(backend)
    comm = import_mpi().COMM_WORLD.Dup()  # our own channel: the user's MPI traffic never mixes with ours
    launched_rank, launched_size = comm.Get_rank(), comm.Get_size()
    for name, given, actual in (("world_size", world_size, launched_size), ("rank", rank, launched_rank)):
        if given not in (-1, None) and int(given) != actual:
            comm.Free()
            raise ValueError(
                f"init_process_group({name}={given}) but the MPI launcher started this process as "
                f"rank {launched_rank} of {launched_size}: ranks come from the launcher; drop {name}= "
                f"or start the job with mpiexec -n {world_size if name == 'world_size' else 'N'}"
            )
    where = f"rank {launched_rank} of {launched_size}"
    mpi = MPIBackend(comm, timeout, where)
    engines: dict[str, Any] = {"cpu": mpi} if "cpu" in devices else {}
    if "cuda" in devices:
        from minigrad.distributed.nccl_backend import NCCLBackend

        try:
            engines["cuda"] = NCCLBackend(
                launched_rank, launched_size, _gpu_index(device_id, comm), mpi.broadcast_object, timeout, where,
            )
        except BaseException:
            comm.Free()
            raise
    _default_group = ProcessGroup(",".join(f"{d}:{n}" for d, n in devices.items()) if len(devices) > 1
                                  else next(iter(devices.values())), mpi, engines, timeout)
    if launched_size > 1:
        job_abort.install(launched_rank, launched_size)


def _gpu_index(device_id: Any, comm: Any) -> int:
    if device_id is not None:
        text = str(device_id)
        return int(text.split(":", 1)[1]) if ":" in text else int(text)
    from minigrad.backends.cupy_backend import gpu_count, import_cupy

    return local_rank(comm) % gpu_count(import_cupy())


def local_rank(comm: Any = None) -> int:
    """This rank's index among the ranks on the same machine (from the launcher's environment,
    else from MPI)."""
    for name in ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"):
        if name in os.environ:
            return int(os.environ[name])
    if comm is None:
        return 0
    node = comm.Split_type(import_mpi().COMM_TYPE_SHARED)
    try:
        return node.Get_rank()
    finally:
        node.Free()


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default process group; ``init_process_group`` may be called again after."""
    global _default_group
    if _default_group is None:
        raise AssertionError("Process group cannot be None")  # PyTorch's class and words
    if group is not None and group is not _default_group:
        raise ValueError("destroy_process_group: only the default process group exists in minigrad")
    closing, _default_group = _default_group, None
    job_abort.uninstall()
    for engine in closing.devices.values():
        if engine is not closing.mpi:
            engine.close()
    closing.mpi.close()


def default_group(group: ProcessGroup | None = None) -> ProcessGroup:
    """The process group a call means: the default one, which must be initialised."""
    if _default_group is None:
        raise ValueError(NOT_INITIALIZED)
    if group is not None and group is not _default_group:
        raise ValueError(
            "minigrad.distributed has only the default process group (group=None or group.WORLD); "
            "new_group() is not supported"
        )
    return _default_group


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank, ``0 <= rank < get_world_size()``."""
    return default_group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """How many processes run the job."""
    return default_group(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    """``"mpi"``, ``"nccl"`` or ``"cpu:mpi,cuda:nccl"``."""
    return default_group(group).backend_name
