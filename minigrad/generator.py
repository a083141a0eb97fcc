"""``minigrad.Generator``: a random number generator object, as ``torch.Generator``.

Random functions take ``generator=`` to draw from one instead of the device's default stream
(the one ``minigrad.manual_seed`` seeds). It wraps a raw generator of its device's backend
(NumPy's PCG64 on the CPU, CuPy's on a GPU), so the streams differ from PyTorch's; what
matches is the API and the reproducibility: the same seed gives the same draws.
"""

from __future__ import annotations

import json
import os
from typing import Any

from minigrad import backends
from minigrad.device import device as Device

DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()


class Generator:
    """``Generator(device='cpu')``: ``manual_seed(seed)`` (returns the generator), ``seed()``,
    ``initial_seed()``, ``get_state()``/``set_state(state)`` (a uint8 tensor), ``device``."""

    def __init__(self, device: Any = "cpu") -> None:
        self._backend = backends.get(device)
        self.device = Device(self._backend.type, self._backend.index)
        self._initial_seed = DEFAULT_SEED
        self._raw = self._backend.new_generator(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise RuntimeError(f"manual_seed: Overflow when unpacking long long: {seed} is outside [-2**63, 2**64)")
        self._initial_seed = seed % 2**64  # a negative seed is its 64-bit two's complement, as PyTorch
        self._raw = self._backend.new_generator(self._initial_seed)
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed chosen."""
        self.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)
        return self._initial_seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> Any:
        """The generator's state as a uint8 tensor (PyTorch's ByteTensor), for ``set_state``."""
        from minigrad.tensor import Tensor

        state = getattr(self._raw.bit_generator, "state", None)
        if not isinstance(state, dict):
            raise NotImplementedError(
                f"get_state: the {self.device} generator does not expose its state; re-seed it with "
                "manual_seed to reproduce a stream"
            )
        payload = json.dumps({"seed": self._initial_seed, "state": state}).encode()
        return Tensor(list(payload), dtype="uint8")

    def set_state(self, new_state: Any) -> Generator:
        try:
            payload = json.loads(bytes(new_state.tolist()).decode())
            self._raw.bit_generator.state = payload["state"]
        except (AttributeError, ValueError, KeyError, TypeError) as error:
            raise RuntimeError(
                f"set_state: not a state from Generator.get_state() of a {self.device} generator ({error})"
            ) from None
        self._initial_seed = payload["seed"]
        return self

    def __repr__(self) -> str:
        return f"<minigrad.Generator object on {self.device}>"


def raw_generator(backend: Any, generator: Generator | None, op: str) -> Any:
    """The raw generator a draw on ``backend`` uses: ``generator``'s, or ``None`` (the device's)."""
    if generator is None:
        return None
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}(): argument 'generator' must be minigrad.Generator, not {type(generator).__name__}")
    if generator._backend.type != backend.type:
        raise RuntimeError(
            f"{op}: Expected a '{backend.type}' device type for generator but found '{generator.device.type}'"
        )
    return generator._raw
