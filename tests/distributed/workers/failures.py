"""Ways a job goes wrong; each must end the whole job, non-zero, with a message that says why.

    failures.py raise      rank 1 raises while rank 0 waits in all_reduce (60 s timeout)
    failures.py timeout    rank 1 leaves without joining; rank 0's all_reduce times out (2 s)
    failures.py shapes     the ranks build models whose parameter shapes differ
    failures.py count      rank 1's model has one more layer
"""

from __future__ import annotations

import sys
from datetime import timedelta

import minigrad
import minigrad.distributed as dist
import minigrad.nn as nn
from minigrad.nn.parallel import DistributedDataParallel as DDP


def main(mode: str) -> None:
    dist.init_process_group("mpi", timeout=timedelta(seconds=2 if mode == "timeout" else 60))
    rank = dist.get_rank()
    if mode == "raise":
        if rank == 1:
            raise ValueError("rank 1 found a corrupt batch")
        dist.all_reduce(minigrad.ones(3))
    elif mode == "timeout":
        if rank == 1:
            return  # leaves normally, without the collective rank 0 waits in
        dist.all_reduce(minigrad.ones(3))
    elif mode == "shapes":
        DDP(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8 + rank, 2)))
    elif mode == "count":
        layers = [nn.Linear(4, 4)] + ([nn.Linear(4, 4)] if rank == 1 else [])
        DDP(nn.Sequential(*layers))
    print(f"rank {rank}: nothing went wrong", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
