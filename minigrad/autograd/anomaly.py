"""Anomaly mode (``torch.autograd.detect_anomaly``): find the op whose gradient went bad.

While it is on, every recorded op remembers where in the user's code its forward ran, and the
engine checks each gradient an op's backward returns: the first one holding NaN raises, naming
the op, which of its inputs the bad gradient is for, and that forward call. As in PyTorch, only
NaN counts: an infinite gradient is a legitimate value (1/x at 0) and passes.
"""

from __future__ import annotations

from typing import Any

_global = {"enabled": False}


def is_enabled() -> bool:
    """Whether anomaly detection is on (``torch.is_anomaly_enabled``)."""
    return _global["enabled"]


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off for the whole process (``torch.autograd.set_detect_anomaly``)."""
    _global["enabled"] = bool(mode)


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on inside its block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(is_enabled())
        set_detect_anomaly(self.check_nan)

    def __exit__(self, *exc_info: Any) -> None:
        set_detect_anomaly(self.previous.pop())

    def __call__(self, function: Any) -> Any:
        import functools

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)(self.check_nan):
                return function(*args, **kwargs)

        return wrapper


def check_gradients(node: Any, input_grads: tuple) -> None:
    """Raise at the first gradient of ``node``'s backward holding NaN (PyTorch's message)."""
    for position, grad_value in enumerate(input_grads):
        if grad_value is None or not hasattr(grad_value, "_array"):
            continue
        xp = grad_value.backend.xp
        if grad_value.dtype.kind in "fc" and bool(xp.isnan(grad_value._array).any()):
            where = "".join(node.forward_stack or ["  (forward ran before anomaly mode was turned on)\n"])
            raise RuntimeError(
                f"Function '{node.display_name}' returned nan values in its {position}th output. "
                f"(It is the gradient for input {position} of {node.display_name}, shape "
                f"{list(grad_value.shape)}.)\n"
                f"Traceback of the forward call that caused the error:\n{where}"
            )
