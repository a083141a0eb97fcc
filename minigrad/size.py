"""``minigrad.Size``: a tensor's shape, a tuple of ints as ``torch.Size`` is."""

from __future__ import annotations

import operator
from typing import Any


class Size(tuple):
    """The sizes of a tensor's dimensions: ``x.shape == (2, 3)``, ``x.shape.numel() == 6``.

    A ``tuple`` (so it compares equal to plain tuples and unpacks as one) that prints as
    ``minigrad.Size([2, 3])``; slicing it or adding a tuple to it gives a Size again, as in PyTorch.
    """

    __slots__ = ()

    def __new__(cls, sizes: Any = ()) -> Size:
        try:
            return super().__new__(cls, (operator.index(n) for n in sizes))
        except TypeError:
            raise TypeError(
                f"Size(): every size must be an int, got {sizes!r}; convert them with int(...)"
            ) from None

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds (1 for ``Size([])``)."""
        count = 1
        for n in self:
            count *= n
        return count

    def __getitem__(self, key: Any) -> Any:
        item = super().__getitem__(key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other: Any) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other: Any) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, count: Any) -> Size:
        return Size(tuple(self) * count)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return (Size, (tuple(self),))
