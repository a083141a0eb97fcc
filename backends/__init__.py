"""The device layer: a registry of array backends.

A backend owns one array library (NumPy on the CPU, CuPy on CUDA GPUs) and is the only place
in the project that knows which library runs. The autodiff core reaches arrays through
``tensor.backend``.

A third party adds a device with ``register("mydev", factory)``; ``factory(index)`` returns a
:class:`~backends.base.Backend`. Backends are created lazily and cached per device string, so
importing minigrad never imports CuPy.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from minigrad.backends.base import Backend, BackendUnavailableError, parse_device

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "available",
    "create",
    "default_device",
    "set_default_device",
    "get",
    "manual_seed",
    "parse_device",
    "register",
]

_factories: dict[str, Callable[[int], Backend]] = {}
_probes: dict[str, Callable[[], str | None]] = {}
_cache: dict[str, Backend] = {}
_seed: int | None = None
# One backend per device, even when several threads make their first tensors at once: a
# second backend for "cpu" would make their tensors look like they live on different devices.
_lock = threading.RLock()


def register(
    name: str,
    factory: Callable[[int], Backend],
    probe: Callable[[], str | None] | None = None,
) -> None:
    """Register a device type.

    ``factory(index)`` builds the backend for ``"name:index"``. ``probe()`` (optional) returns
    ``None`` when the backend can run here, or the reason it cannot, without side effects.
    """
    with _lock:
        _factories[name] = factory
        _probes[name] = probe or (lambda: None)
        for key in [k for k in _cache if k.split(":")[0] == name]:
            del _cache[key]


def get(device: object = None) -> Backend:
    """Return the backend for a device string such as ``"cpu"``, ``"cuda"`` or ``"cuda:1"``."""
    if isinstance(device, Backend):
        return device
    if device is None:
        device = default_device()
    kind, index = parse_device(device)
    key = f"{kind}:{index}"
    backend = _cache.get(key)
    if backend is not None:
        return backend
    with _lock:
        backend = _cache.get(key)  # another thread may have made it while this one waited
        if backend is None:
            if kind not in _factories:
                known = ", ".join(sorted(_factories))
                raise ValueError(f"unknown device {str(device)!r}: known device types are {known}")
            backend = _factories[kind](index)
            if _seed is not None:
                backend.manual_seed(_seed)
            _cache[key] = backend
    return backend


def create(device: object) -> Backend:
    """A new backend for ``device``, not the shared one ``get`` returns: its own random
    generator, for ``minigrad.Generator`` to draw from. Tensors never live on it."""
    kind, index = parse_device(device)
    if kind not in _factories:
        raise ValueError(f"unknown device {str(device)!r}: known device types are {', '.join(sorted(_factories))}")
    return _factories[kind](index)


def manual_seed(seed: int) -> None:
    """Seed every backend created so far, and every one created later, with ``seed``."""
    global _seed
    with _lock:
        _seed = seed
        for backend in _cache.values():
            backend.manual_seed(seed)


def available() -> dict[str, str | None]:
    """Map each registered device type to ``None`` (usable) or the reason it is not."""
    result = {}
    for name, probe in _probes.items():
        try:
            result[name] = probe()
        except Exception as error:  # a probe must never take the caller down
            result[name] = f"{type(error).__name__}: {error}"
    return result


_default_device: list[str | None] = [None]  # set_default_device's choice, None: not set


def default_device() -> str:
    """The device for new tensors: what ``set_default_device`` chose, else ``$MINIGRAD_DEVICE``,
    else ``"cpu"``."""
    chosen = _default_device[0]
    if chosen is not None:
        return chosen
    return os.environ.get("MINIGRAD_DEVICE", "cpu") or "cpu"


def set_default_device(device: object) -> None:
    """Make ``device`` (``"cuda"``, ``"cuda:1"``, a ``minigrad.device``) the device of tensors
    created without ``device=``; ``None`` goes back to ``$MINIGRAD_DEVICE`` or the CPU."""
    if device is None:
        _default_device[0] = None
        return
    kind, index = parse_device(device)
    if kind not in _factories:
        known = ", ".join(sorted(_factories))
        raise RuntimeError(f"set_default_device: unknown device type {kind!r}; the known types are {known}")
    # "cuda" stays "cuda" (the current device), as PyTorch keeps the index only when given.
    text = str(device)
    _default_device[0] = text if ":" in text or kind == "cpu" else kind


def _numpy_factory(index: int) -> Backend:
    from minigrad.backends.numpy_backend import NumpyBackend

    if index != 0:
        raise ValueError(f"device 'cpu:{index}' does not exist: the CPU backend has only 'cpu'")
    return NumpyBackend()


def _cupy_factory(index: int) -> Backend:
    from minigrad.backends.cupy_backend import CupyBackend

    return CupyBackend(index)


def _cupy_probe() -> str | None:
    from minigrad.backends.cupy_backend import unavailable_reason

    return unavailable_reason()


register("cpu", _numpy_factory)
register("cuda", _cupy_factory, _cupy_probe)
