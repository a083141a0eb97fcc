"""``minigrad.Generator``: a random number generator of its own (``torch.Generator``).

Random functions take ``generator=`` to draw from one instead of the device's default stream
(the one ``minigrad.manual_seed`` seeds). It wraps a private backend of its device
(``.source``, made by ``backends.create``), whose ``rand``/``randn``/``randint``/``poisson``
draw from this generator's state alone. The streams differ from PyTorch's (NumPy's PCG64 on the
CPU, CuPy's on a GPU); what matches is the API and reproducibility: a seed gives its draws.
"""

from __future__ import annotations

import json
import os
from typing import Any

from minigrad import backends
from minigrad.device import device as Device

# PyTorch's default seed of a new generator (torch.Generator().initial_seed()).
DEFAULT_SEED = 67280421310721


class Generator:
    """A seeded source of random numbers on ``device`` (``"cpu"`` by default)."""

    def __init__(self, device: Any = "cpu") -> None:
        self.device = Device(device)
        self.source = backends.create(self.device)  # draws: source.rand(shape, dtype), ...
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed`` (any int in ``[-2**63, 2**64)``, as ``minigrad.manual_seed``)."""
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(f"manual_seed: Overflow when unpacking long long: {seed} is outside [-2**63, 2**64)")
        self._initial_seed = seed % 2**64  # a negative seed is its 64-bit two's complement
        self.source.manual_seed(self._initial_seed)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int.from_bytes(os.urandom(8), "little") >> 1  # non-negative, as PyTorch's
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._initial_seed

    def get_state(self) -> Any:
        """The generator's state as a uint8 tensor (PyTorch's ByteTensor), for ``set_state``."""
        from minigrad.tensor import Tensor

        payload = json.dumps({"seed": self._initial_seed, "state": self.source.get_rng_state()})
        return Tensor(list(payload.encode()), dtype="uint8")

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from :meth:`get_state`."""
        try:
            payload = json.loads(bytes(new_state.tolist()).decode())
            self.source.set_rng_state(payload["state"])
        except (AttributeError, ValueError, KeyError, TypeError) as error:
            raise RuntimeError(
                f"set_state: not a state from Generator.get_state() of a {self.device} generator ({error})"
            ) from None
        self._initial_seed = payload["seed"]
        return self

    def __repr__(self) -> str:
        return f"<minigrad.Generator object on {self.device}>"


def source_of(backend: Any, generator: Generator | None, op: str) -> Any:
    """The backend a draw for a tensor on ``backend`` comes from: ``generator``'s, or the
    device's own when ``generator`` is None."""
    if generator is None:
        return backend
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}(): argument 'generator' must be minigrad.Generator, not {type(generator).__name__}")
    if generator.device.type != backend.type:
        raise RuntimeError(
            f"{op}: Expected a '{backend.type}' device type for generator but found '{generator.device.type}'"
        )
    return generator.source
