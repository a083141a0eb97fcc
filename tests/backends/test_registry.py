"""The backend registry: lookup, caching, third-party registration, availability, default."""

from __future__ import annotations

import pytest
from minigrad.backends.numpy_backend import NumpyBackend

import minigrad
from minigrad import backends


class ThirdPartyBackend(NumpyBackend):
    """What a plugin would ship: a Backend subclass with its own device type."""

    type = "plugin"

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


@pytest.fixture
def clean_registry():
    """Restore the registry after a test registers devices in it."""
    saved = dict(backends._factories), dict(backends._probes), dict(backends._cache), backends._seed
    yield
    for registry, before in zip((backends._factories, backends._probes, backends._cache), saved):
        registry.clear()
        registry.update(before)
    backends._seed = saved[3]


def test_get_cpu_is_cached():
    cpu = backends.get("cpu")
    assert cpu is backends.get("cpu") is backends.get("cpu:0") is backends.get(minigrad.device("cpu"))
    assert backends.get(cpu) is cpu
    assert cpu.type == "cpu" and cpu.name == "cpu" and repr(cpu) == "<NumpyBackend cpu>"
    assert minigrad.zeros(1).backend is cpu


def test_unknown_device_lists_the_known_types():
    with pytest.raises(ValueError) as error:
        backends.get("tpu")
    message = str(error.value)
    assert "'tpu'" in message and "cpu" in message and "cuda" in message


def test_cpu_has_no_index_but_zero():
    with pytest.raises(ValueError, match="cpu:1"):
        backends.get("cpu:1")


def test_available_reports_cuda_with_a_reason_when_missing():
    status = backends.available()
    assert status["cpu"] is None
    if status["cuda"] is not None:  # no GPU or no CuPy here: a human-readable reason with a fix
        assert isinstance(status["cuda"], str) and len(status["cuda"]) > 20
        assert "Error:" not in status["cuda"], f"a raw exception, not a reason: {status['cuda']}"


def test_available_never_raises_from_a_broken_probe(clean_registry):
    def broken_probe():
        raise OSError("driver exploded")

    backends.register("broken", lambda index: None, broken_probe)
    assert backends.available()["broken"] == "OSError: driver exploded"


def test_register_a_third_party_backend(clean_registry):
    backends.register("plugin", ThirdPartyBackend, lambda: None)
    assert backends.available()["plugin"] is None
    first, second = backends.get("plugin"), backends.get("plugin:1")
    assert first is backends.get("plugin:0") and first is not second and second.name == "plugin:1"
    t = minigrad.ones(2, device="plugin:1", requires_grad=True)
    (t * 3).sum().backward()
    assert t.device == "plugin:1" and t.grad.device == "plugin:1"
    backends.register("plugin", ThirdPartyBackend)  # registering again drops cached instances
    assert backends.get("plugin") is not first


def test_minigrad_device_environment_variable_sets_the_default(clean_registry, monkeypatch):
    backends.register("plugin", ThirdPartyBackend)
    monkeypatch.setenv("MINIGRAD_DEVICE", "plugin")
    assert backends.default_device() == "plugin"
    assert minigrad.zeros(2).device == "plugin:0"
    monkeypatch.setenv("MINIGRAD_DEVICE", "")
    assert backends.default_device() == "cpu"
    monkeypatch.delenv("MINIGRAD_DEVICE")
    assert minigrad.zeros(2).device == "cpu"


def test_manual_seed_reaches_backends_created_later(clean_registry):
    backends.manual_seed(7)
    expected = minigrad.randn(3).tolist()
    backends.register("plugin", ThirdPartyBackend)
    assert minigrad.randn(3, device="plugin").tolist() == expected


def test_parse_device():
    assert backends.parse_device("cuda:3") == ("cuda", 3)
    assert backends.parse_device(" cpu ") == ("cpu", 0)
    with pytest.raises(ValueError, match="cuda:N"):
        backends.parse_device("cuda:one")


def test_threads_creating_their_first_tensors_at_once_share_one_backend(monkeypatch):
    """Two threads asking for a device no one has used yet get the SAME backend (one per
    device), so their tensors can be combined. The factory is slowed down so that, without the
    lock, every thread would find the cache empty and build its own."""
    import threading
    import time

    built = []
    original = backends._factories["cpu"]

    def slow_factory(index):
        time.sleep(0.05)
        backend = original(index)
        built.append(backend)
        return backend

    monkeypatch.setitem(backends._factories, "cpu", slow_factory)
    monkeypatch.setattr(backends, "_cache", {})  # as in a fresh process: no backend yet
    start = threading.Barrier(8)
    tensors = [None] * 8

    def make_tensor(slot):
        start.wait()
        tensors[slot] = minigrad.ones(3) * slot

    threads = [threading.Thread(target=make_tensor, args=(slot,)) for slot in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert all(t.backend is built[0] for t in tensors)
    assert sum(tensors).tolist() == [28.0, 28.0, 28.0]  # no "one on cpu and one on cpu"


def test_manual_seed_accepts_negative_seeds_as_pytorch(torch):
    """PyTorch reads a negative seed as its 64-bit two's complement; out of range is refused."""
    for seed in (-1, -(2**63), 2**64 - 1):
        minigrad.manual_seed(seed)
        first = minigrad.randn(4).tolist()
        minigrad.manual_seed(seed % 2**64)
        assert minigrad.randn(4).tolist() == first
        torch.manual_seed(seed)
        assert torch.initial_seed() == seed % 2**64
    for seed in (-(2**63) - 1, 2**64):
        with pytest.raises(ValueError, match="Overflow"):
            minigrad.manual_seed(seed)
        with pytest.raises(ValueError):
            torch.manual_seed(seed)
