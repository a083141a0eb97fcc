"""``nn.Dropout``: random zeroing during training, identity in eval mode."""

from __future__ import annotations

from minigrad.nn.functional.dropout import dropout
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class Dropout(Module):
    """Zero each element with probability ``p`` while training and scale the rest by
    ``1 / (1 - p)``; after ``model.eval()`` it returns its input unchanged. Any shape."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
