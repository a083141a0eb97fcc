"""``nn.Parameter``: a tensor that a :class:`~minigrad.nn.Module` registers as learnable."""

from __future__ import annotations

from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is picked up by ``Module.parameters()``.

    ``Parameter(data)`` shares ``data``'s array (no copy), as PyTorch does. Assigning one as a
    module attribute (``self.weight = Parameter(...)``) registers it.
    """

    __slots__ = ()  # Tensor uses __slots__; a subclass that added a __dict__ would be slower

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            from minigrad.factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter expects a Tensor, got {type(data).__name__}; wrap it with minigrad.tensor(...)"
            )
        self._init(data._array, data.backend, None, 0)
        self.name = data.name
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
