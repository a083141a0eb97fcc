"""``save``/``load`` as files: umask, stale temporaries, file objects, ``map_location``,
``weights_only`` (PyTorch's signature)."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import minigrad
import minigrad.serialization.atomic as atomic
from tests.backends import fake_cupy


@pytest.fixture
def fake_cuda(monkeypatch):
    yield from fake_cupy.installer(monkeypatch)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_0666_minus_the_umask_like_torch_save(tmp_path, umask):
    old = os.umask(umask)
    try:
        minigrad.save({"x": minigrad.ones(2)}, tmp_path / "c.npz")
        minigrad.save({"x": minigrad.ones(2)}, tmp_path / "c.safetensors")
    finally:
        os.umask(old)
    assert mode(tmp_path / "c.npz") == 0o666 & ~umask
    assert mode(tmp_path / "c.safetensors") == 0o666 & ~umask


def test_replacing_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "c.npz"
    minigrad.save({"epoch": 1}, path)
    os.chmod(path, 0o640)
    minigrad.save({"epoch": 2}, path)
    assert mode(path) == 0o640 and minigrad.load(path) == {"epoch": 2}


def test_temporaries_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "c.npz"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)  # that process has exited
    stale = tmp_path / f".c.npz.{dead_pid}-abc123.tmp"
    legacy = tmp_path / ".c.npz.k2j4h5g6.tmp"  # minigrad 0.1.0's naming, no pid
    alive = tmp_path / f".c.npz.{os.getppid()}-live.tmp"  # a save in progress in a live process
    other = tmp_path / f".other.npz.{dead_pid}-abc123.tmp"  # another target's: not ours to delete
    for leftover in (stale, legacy, alive, other):
        leftover.write_bytes(b"x" * 1000)
    old = os.path.getmtime(legacy) - 3600
    os.utime(legacy, (old, old))
    minigrad.save({"x": minigrad.ones(2)}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["c.npz", alive.name, other.name])


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def recording_fsync(descriptor):
        synced.append(stat.S_ISDIR(os.fstat(descriptor).st_mode))
        real_fsync(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", recording_fsync)
    minigrad.save({"x": minigrad.ones(2)}, tmp_path / "c.npz")
    assert synced == [False, True]  # the file's data, then the folder's entry


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_save_and_load_on_file_objects(suffix):
    state = {"weight": minigrad.randn(3, 2), "bias": minigrad.arange(2, dtype=minigrad.float64)}
    buffer = io.BytesIO()
    buffer.write(b"leading bytes the caller wrote")
    start = buffer.tell()
    if suffix == ".npz":
        minigrad.save(state, buffer)
    else:  # a file object has no name to pick the format by; load recognises either
        from minigrad.serialization import safetensors_format
        safetensors_format.write(state, buffer)
    buffer.seek(start)
    loaded = minigrad.load(buffer)
    assert list(loaded) == ["weight", "bias"]
    for key in state:
        np.testing.assert_array_equal(loaded[key].numpy(), state[key].numpy())
        assert loaded[key].dtype == state[key].dtype


def test_load_reads_an_unseekable_stream():
    buffer = io.BytesIO()
    minigrad.save({"epoch": 4, "w": minigrad.ones(3)}, buffer)

    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, target):
            chunk = self.data.read(len(target))
            target[: len(chunk)] = chunk
            return len(chunk)

    loaded = minigrad.load(io.BufferedReader(Pipe(buffer.getvalue())))
    assert loaded["epoch"] == 4 and loaded["w"].tolist() == [1.0, 1.0, 1.0]


def test_a_file_object_that_is_not_a_checkpoint_is_a_checkpoint_error():
    with pytest.raises(minigrad.CheckpointError, match="BytesIO.*empty"):
        minigrad.load(io.BytesIO())


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_weights_only_is_accepted_and_nothing_is_ever_unpickled(tmp_path, weights_only):
    path = tmp_path / "c.npz"
    minigrad.save({"x": minigrad.ones(2)}, path)
    assert minigrad.load(path, weights_only=weights_only)["x"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="weights_only must be a bool"):
        minigrad.load(path, weights_only="yes")


def test_map_location_in_each_of_torch_loads_forms(tmp_path, fake_cuda):
    path = tmp_path / "c.npz"
    minigrad.save({"cpu": minigrad.ones(2), "gpu": minigrad.ones(2, device="cuda")}, path)
    default = minigrad.load(path)  # minigrad's default: everything on the CPU
    assert default["cpu"].device == "cpu" and default["gpu"].device == "cpu"
    for where in ("cuda", "cuda:0", minigrad.device("cuda", 0)):
        loaded = minigrad.load(path, map_location=where)
        assert loaded["cpu"].device == "cuda:0" and loaded["gpu"].device == "cuda:0"
    swapped = minigrad.load(path, map_location={"cuda:0": "cpu", "cpu": "cuda:0"})
    assert swapped["cpu"].device == "cuda:0" and swapped["gpu"].device == "cpu"
    kept = minigrad.load(path, map_location={"cuda:7": "cpu"})  # unnamed devices keep theirs
    assert kept["cpu"].device == "cpu" and kept["gpu"].device == "cuda:0"
    seen = []

    def to_saved_device(tensor, location):
        seen.append((tensor.device, location))
        return tensor.to(location)

    restored = minigrad.load(path, map_location=to_saved_device)  # PyTorch's default behaviour
    assert restored["cpu"].device == "cpu" and restored["gpu"].device == "cuda:0"
    assert seen == [("cpu", "cpu"), ("cpu", "cuda:0")]
    assert minigrad.load(path, map_location=lambda tensor, location: None)["gpu"].device == "cpu"
    with pytest.raises(TypeError, match="map_location returned a int"):
        minigrad.load(path, map_location=lambda tensor, location: 3)
