"""Fixtures for the autodiff tests: a second CPU-like device, and the graph walker."""

from __future__ import annotations

import pytest
from minigrad.backends.numpy_backend import NumpyBackend

from minigrad import backends

FAKE_DEVICE = "fakecpu"


class FakeCpuBackend(NumpyBackend):
    """NumPy under another device name: enough to get tensors on two different devices."""

    type = FAKE_DEVICE


@pytest.fixture(scope="module")
def fake_device():
    """Register the ``fakecpu`` device for the module's tests, then remove every trace of it."""
    backends.register(FAKE_DEVICE, lambda index: FakeCpuBackend())
    yield FAKE_DEVICE
    backends._factories.pop(FAKE_DEVICE, None)
    backends._probes.pop(FAKE_DEVICE, None)
    for key in [k for k in backends._cache if k.startswith(FAKE_DEVICE + ":")]:
        del backends._cache[key]
