"""Multi-process training (``torch.distributed``'s API) on MPI and NCCL.

    # mpiexec -n 2 python train.py
    import minigrad.distributed as dist
    dist.init_process_group("mpi")            # rank and world size come from mpiexec
    dist.all_reduce(tensor, op=dist.ReduceOp.AVG)

CPU tensors travel through MPI (mpi4py: ``pip install mpi4py mpich``), CUDA tensors through
NCCL (CuPy's bindings). Importing this package loads neither; ``init_process_group`` does.
See :mod:`minigrad.nn.parallel` for ``DistributedDataParallel`` and
:class:`minigrad.data.DistributedSampler`.
"""

from minigrad.distributed.collectives import (
    all_gather,
    all_gather_into_tensor,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    reduce_scatter,
    reduce_scatter_tensor,
)
from minigrad.distributed.errors import DistBackendError
from minigrad.distributed.process_group import (
    ProcessGroup,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
)
from minigrad.distributed.reduce_op import ReduceOp
from minigrad.distributed.work import Work

__all__ = [
    "init_process_group", "destroy_process_group", "is_available", "is_initialized",
    "is_mpi_available", "is_nccl_available", "get_rank", "get_world_size", "get_backend", "group",
    "ProcessGroup", "ReduceOp", "Work", "DistBackendError", "all_reduce", "broadcast", "all_gather",
    "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "barrier",
    "all_gather_object", "broadcast_object_list",
]
