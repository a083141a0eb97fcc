"""Whether operations record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

The flag is thread-local, as in PyTorch: a data-loading thread running under ``no_grad`` does
not switch recording off for the training thread.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any


class _ThreadState(threading.local):
    # The default as a class attribute: every thread reads it until it sets its own (a
    # getattr default would raise and catch an AttributeError on each read until then).
    enabled = True


_state = _ThreadState()


def is_grad_enabled() -> bool:
    return _state.enabled


def _set(enabled: bool) -> None:
    _state.enabled = enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.previous: list[bool] = []
        self._mode_before_init: bool | None = None
        if type(self) is set_grad_enabled:
            # As in PyTorch, a bare call `set_grad_enabled(False)` switches the mode at once.
            self._mode_before_init = is_grad_enabled()
            _set(self.mode)

    def __enter__(self) -> None:
        before = self._mode_before_init
        self._mode_before_init = None
        self.previous.append(is_grad_enabled() if before is None else before)
        _set(self.mode)

    def __exit__(self, *exc_info: Any) -> None:
        _set(self.previous.pop())

    def __call__(self, function: Callable) -> Callable:
        if self._mode_before_init is not None:  # used as a decorator: undo the switch at init
            _set(self._mode_before_init)
            self._mode_before_init = None

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)(self.mode) if type(self) is set_grad_enabled else type(self)():
                return function(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Run without recording the graph: ``with minigrad.no_grad(): ...`` or ``@minigrad.no_grad()``."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


class _InferenceState(threading.local):
    enabled = False  # as _ThreadState: a class default each thread reads until it sets its own


_inference = _InferenceState()


def is_inference_mode_enabled() -> bool:
    return _inference.enabled


class inference_mode(set_grad_enabled):
    """``no_grad`` for inference (PyTorch's ``inference_mode``): nothing records inside.

    PyTorch also marks the tensors made inside as "inference tensors" that may never enter a
    recorded graph later; minigrad has no such tensors, so here it is ``no_grad`` plus the flag
    ``is_inference_mode_enabled()`` reads. ``inference_mode(False)`` records as usual.
    """

    def __init__(self, mode: bool = True) -> None:
        self.inference = bool(mode)
        super().__init__(is_grad_enabled() if not mode else False)
        self.previous_inference: list[bool] = []

    def __enter__(self) -> None:
        self.previous_inference.append(is_inference_mode_enabled())
        _inference.enabled = self.inference
        if self.inference:
            super().__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        _inference.enabled = self.previous_inference.pop()
        if self.inference:
            super().__exit__(*exc_info)

    def __call__(self, function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(self.inference):
                return function(*args, **kwargs)

        return wrapper
