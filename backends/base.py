"""What every backend provides: an array module plus the few operations that differ by library."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from minigrad.backends.kernels import Kernels

_NO_SCOPE = nullcontext()  # reusable and re-entrant: the CPU needs no device scope


class BackendUnavailableError(RuntimeError):
    """A backend cannot run on this machine; the message says why and how to fix it."""


def parse_device(device: object) -> tuple[str, int]:
    """Split ``"cuda:1"`` into ``("cuda", 1)``; ``"cpu"`` is ``("cpu", 0)``.

    Accepts strings, ``minigrad.device`` objects and backends.
    """
    if hasattr(device, "type") and hasattr(device, "index"):
        return device.type, device.index or 0
    if not isinstance(device, str):
        raise TypeError(f"a device is a string like 'cpu' or 'cuda:0', got {device!r}")
    kind, _, index = device.strip().partition(":")
    if not kind:
        raise ValueError(f"empty device string {device!r}; use 'cpu', 'cuda' or 'cuda:N'")
    if index == "":
        return kind, 0
    if not index.isdigit():
        raise ValueError(f"bad device index in {device!r}: use 'cuda:N' with N a number >= 0")
    return kind, int(index)


class Backend:
    """One device's array library.

    Subclasses set ``xp`` (a NumPy-compatible module), ``type`` and ``index``, and implement the
    methods that raise ``NotImplementedError`` here. Everything else in minigrad is written
    against ``xp`` and these methods, so a new backend is one file.
    """

    xp: Any
    type: str
    index: int = 0
    #: Whether array work must run inside ``activate()`` (a GPU: make the device current).
    scoped: bool = False
    #: The library's array class: ``type(a) is array_type`` is the fast check that wrapping ``a``
    #: needs (every op result); ``is_array`` decides the rest (subclasses, scalars).
    array_type: type | None = None
    #: Fast realisations of the hot primitives (``backends/kernels``); the base class has none,
    #: so every primitive runs its reference realisation from ``minigrad/ops``.
    kernels: Kernels = Kernels()

    @property
    def name(self) -> str:
        return self.type if self.type == "cpu" else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def __deepcopy__(self, memo: dict) -> Backend:
        # One backend per device: copy.deepcopy(model) must not clone it, or the copy's
        # tensors would look like they live on another device.
        return self

    # --- moving data ---------------------------------------------------------------------
    def asarray(self, data: Any, dtype: Any = None) -> Any:
        """Make an array on this device from a scalar, nested list, or another library's array."""
        raise NotImplementedError

    def to_numpy(self, array: Any) -> Any:
        """Copy an array to host memory as a ``numpy.ndarray``."""
        raise NotImplementedError

    def is_array(self, obj: Any) -> bool:
        raise NotImplementedError

    def may_share_memory(self, a: Any, b: Any) -> bool:
        """Whether two arrays may overlap in memory (a cheap bounds check, as NumPy's)."""
        return bool(self.xp.may_share_memory(a, b))

    def synchronize(self) -> None:
        """Wait for queued work to finish (a no-op on the CPU)."""

    def activate(self, operation: str | None = None) -> Any:
        """A context manager in which array work runs on this device (its GPU made current).

        ``Function.apply`` runs every op's forward inside it. A no-op on the CPU; a GPU backend
        also turns its library's out-of-memory error into one that names ``operation`` and the fix.
        """
        return _NO_SCOPE

    # --- randomness ----------------------------------------------------------------------
    def manual_seed(self, seed: int) -> None:
        raise NotImplementedError

    def get_rng_state(self) -> dict:
        """The generator's state as plain numbers (a checkpoint can hold it)."""
        raise NotImplementedError

    def set_rng_state(self, state: dict) -> None:
        raise NotImplementedError

    def randn(self, shape: tuple[int, ...], dtype: Any) -> Any:
        raise NotImplementedError

    def rand(self, shape: tuple[int, ...], dtype: Any) -> Any:
        raise NotImplementedError

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: Any) -> Any:
        raise NotImplementedError

    def poisson(self, rates: Any) -> Any:
        """Poisson samples with the given rates (an array), in the rates' dtype."""
        raise NotImplementedError

    # --- the few kernels whose spelling differs between libraries -----------------------
    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        """``target[index] += values`` with repeated indices accumulated (numpy's ``add.at``)."""
        raise NotImplementedError

    def sliding_window_view(self, array: Any, window_shape: tuple[int, ...], axis: tuple[int, ...]) -> Any:
        """A strided read-only view of all windows (as ``numpy.lib.stride_tricks``)."""
        raise NotImplementedError

    def erf(self, array: Any) -> Any:
        """The error function elementwise (NumPy has none): array operations, ~1e-15 relative."""
        from minigrad.backends.special import erf

        return erf(self.xp, array)

    def erfc(self, array: Any) -> Any:
        """``1 - erf`` elementwise, accurate in the tail (array operations)."""
        from minigrad.backends.special import erfc

        return erfc(self.xp, array)

    def erfinv(self, array: Any) -> Any:
        """The inverse error function elementwise (array operations and Newton steps)."""
        from minigrad.backends.special import erfinv

        return erfinv(self.xp, array)
