"""What every ``register_*_hook`` returns (PyTorch's ``torch.utils.hooks.RemovableHandle``)."""

from __future__ import annotations

import itertools
from typing import Any

_handle_ids = itertools.count()


class RemovableHandle:
    """``handle.remove()`` unregisters the hook; also a context manager
    (``with module.register_forward_hook(hook): ...``).

    Hooks live in an ordered dict keyed by the handle's id, so removing one keeps the order of
    the others.
    """

    def __init__(self, hooks: dict) -> None:
        self.id = next(_handle_ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


def add_hook(hooks: dict, hook: Any) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle
