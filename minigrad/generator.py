"""``minigrad.Generator``: a random number generator of its own (``torch.Generator``).

Pass one as ``generator=`` (samplers, ``random_split``, ``DataLoader``, random functions) to
draw numbers that the global generator (``minigrad.manual_seed``) does not affect. It wraps a
private backend of its device (``.source``), whose ``rand``/``randn``/``randint`` draw from
this generator's state alone.
"""

from __future__ import annotations

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
            raise RuntimeError(f"manual_seed: Overflow when unpacking long: {seed} is outside [-2**63, 2**64)")
        self._initial_seed = seed % 2**64
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
        """The generator's state (plain Python data; PyTorch returns a ByteTensor)."""
        return self.source.get_rng_state()

    def set_state(self, state: Any) -> Generator:
        """Restore a state from :meth:`get_state`."""
        self.source.set_rng_state(state)
        return self

    def __repr__(self) -> str:
        return f"<minigrad.Generator object on {self.device}>"
