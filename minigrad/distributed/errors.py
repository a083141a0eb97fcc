"""The error a failed or timed-out collective raises (PyTorch's ``DistBackendError``)."""

from __future__ import annotations


class DistBackendError(RuntimeError):
    """A collective failed or did not finish within the process group's timeout.

    A subclass of ``RuntimeError``, as ``torch.distributed.DistBackendError``.
    """
