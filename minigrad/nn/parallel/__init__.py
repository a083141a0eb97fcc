"""Data parallelism (``torch.nn.parallel``): :class:`DistributedDataParallel`."""

from minigrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
