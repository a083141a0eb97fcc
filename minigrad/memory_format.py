"""``minigrad.contiguous_format``, ``preserve_format``, ``channels_last``: the names PyTorch's
``clone(memory_format=...)`` and ``contiguous(memory_format=...)`` take. minigrad stores every
tensor row-major or as a strided view; these choose between "keep the strides' order" and
"row-major" (``channels_last`` is accepted and gives row-major memory)."""

from __future__ import annotations


class memory_format:  # noqa: N801  (PyTorch's spelling)
    """One memory layout name; prints as PyTorch's (``torch.contiguous_format``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
