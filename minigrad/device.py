"""``minigrad.device``: a device name as an object, compared equal to its string."""

from __future__ import annotations

from minigrad.backends import parse_device


class device:  # noqa: N801  (PyTorch's spelling)
    """A device such as ``device("cpu")`` or ``device("cuda", 1)``; equal to ``"cuda:1"``."""

    __slots__ = ("type", "index")

    def __init__(self, type_or_name: object, index: int | None = None) -> None:
        kind, parsed_index = parse_device(type_or_name)
        self.type = kind
        self.index = index if index is not None else parsed_index

    def __str__(self) -> str:
        return self.type if self.type == "cpu" else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.type == "cpu":
            return "device(type='cpu')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (str, device)):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
            return (self.type, self.index) == (other.type, other.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def set_default_device(device: object) -> None:
    """Create tensors on ``device`` when a factory gets no ``device=`` (``"cuda"``, ``"cpu"``,
    a :class:`device`); ``None`` restores the CPU (or ``$MINIGRAD_DEVICE``)."""
    from minigrad import backends

    backends.set_default_device(device)


def get_default_device() -> device:
    """The device of tensors created without ``device=``: ``device(type='cpu')`` unless set."""
    from minigrad import backends

    return device(backends.default_device())
