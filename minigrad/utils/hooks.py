"""``torch.utils.hooks``: the handle every ``register_*_hook`` returns."""

from minigrad.autograd.hooks import RemovableHandle

__all__ = ["RemovableHandle"]
