"""``minigrad.save`` / ``minigrad.load``: round trips, atomic writes, and refusing bad files
(never unpickling)."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest

import minigrad
import minigrad.serialization as serialization


def checkpoint():
    return {
        "model": {
            "weight": minigrad.randn(3, 2, requires_grad=True),
            "bias": minigrad.zeros(2, dtype="float64"),
        },
        "optimizer": {"step": 12, "lr": 0.01, "momentum_buffers": [minigrad.ones(2), None], 0: "int key"},
        "history": (1.5, float("inf"), True, "text", [minigrad.tensor([1, 2, 3]), minigrad.tensor(True)]),
        "scalar_tensor": minigrad.tensor(2.5),
        "numpy_number": np.float32(0.25),
    }


def assert_same(a, b):
    if isinstance(a, minigrad.Tensor):
        assert isinstance(b, minigrad.Tensor)
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b and type(a) is type(b) or (hasattr(a, "item") and a.item() == b)


def test_nested_checkpoint_round_trips(tmp_path):
    saved = checkpoint()
    path = tmp_path / "run" / "checkpoint.pt"  # the folder is created
    minigrad.save(saved, path)
    loaded = minigrad.load(str(path))
    assert_same(saved, loaded)
    assert loaded["model"]["weight"].is_leaf and loaded["model"]["weight"].device == "cpu"


def test_no_pickle_anywhere(tmp_path, monkeypatch):
    path, saved = tmp_path / "c.pt", checkpoint()
    minigrad.save(saved, path)
    with zipfile.ZipFile(path) as archive:  # every member is a plain .npy array
        for name in archive.namelist():
            array = np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
            assert array.dtype != object
    import pickle

    def no_unpickling(*args, **kwargs):
        raise AssertionError("load must never unpickle")

    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "Unpickler", no_unpickling)
    assert_same(saved, minigrad.load(path))


def test_numpy_reads_a_checkpoint_as_an_npz(tmp_path):
    path = tmp_path / "c.npz"
    minigrad.save({"w": minigrad.arange(6).reshape(2, 3)}, path)
    with np.load(path, allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["t0"], np.arange(6).reshape(2, 3))


def test_unsupported_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot save a object"):
        minigrad.save({"x": object()}, tmp_path / "c.pt")
    with pytest.raises(TypeError, match="keys must be str or int"):
        minigrad.save({(1, 2): 3}, tmp_path / "c.pt")
    assert not list(tmp_path.iterdir())


def test_a_failed_save_leaves_the_old_file_intact_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    minigrad.save({"version": 1}, path)
    before = path.read_bytes()

    def crash_midway(obj, file):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(serialization.npz_format, "write", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"version": 2, "w": minigrad.ones(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["checkpoint.pt"]
    monkeypatch.undo()
    assert minigrad.load(path) == {"version": 1}


def test_a_truncated_file_is_a_checkpoint_error_naming_it(tmp_path):
    path = tmp_path / "truncated.pt"
    minigrad.save(checkpoint(), path)
    data = path.read_bytes()
    for length in (0, 10, len(data) // 2, len(data) - 30):
        path.write_bytes(data[:length])
        with pytest.raises(minigrad.CheckpointError, match="truncated.pt"):
            minigrad.load(path)


def test_a_corrupt_file_is_a_checkpoint_error_naming_it(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(os.urandom(2000))
    with pytest.raises(minigrad.CheckpointError, match="garbage.pt"):
        minigrad.load(path)
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(minigrad.CheckpointError, match="array.npy"):
        minigrad.load(npy)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones(3))
    with pytest.raises(minigrad.CheckpointError, match="foreign.npz.*no manifest"):
        minigrad.load(foreign)


def write_npz(path, **arrays):
    with open(path, "wb") as file:  # a handle: numpy.savez would append ".npz" to a path
        np.savez(file, **arrays)


def manifest_array(text: bytes):
    return np.frombuffer(text, dtype=np.uint8)


def test_a_pickle_bearing_file_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    manifest = b'{"format": "minigrad-checkpoint-v1", "root": {"tensor": "t0"}}'
    payload = np.array([{"run": "os.system"}], dtype=object)  # stored pickled by numpy
    write_npz(path, t0=payload, __minigrad_manifest__=manifest_array(manifest))
    with pytest.raises(minigrad.CheckpointError, match="evil.pt"):
        minigrad.load(path)


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [(b"not json", "corrupt"), (b"[1, 2]", "unknown format 'list'"), (b"\xff\xfe", "corrupt"),
     (b'{"format": "other"}', "unknown format 'other'"),
     (b'{"format": "minigrad-checkpoint-v1", "root": {"tensor": "t9"}}', "corrupt: tensor t9 is missing$"),
     (b'{"format": "minigrad-checkpoint-v1", "root": {"dict": 5}}', "manifest is malformed"),
     (b'{"format": "minigrad-checkpoint-v1", "root": {"value": [1]}}', "manifest is malformed"),
     (b'{"format": "minigrad-checkpoint-v1", "root": {"tensor": "../../etc/passwd"}}', "manifest is malformed"),
     (b'{"format": "minigrad-checkpoint-v1", "root": 7}', "manifest is malformed"),
     (b'{"format": "minigrad-checkpoint-v1"}', "manifest is malformed")],
)
def test_a_malformed_manifest_is_a_checkpoint_error(tmp_path, manifest, problem):
    path = tmp_path / "odd.pt"
    write_npz(path, __minigrad_manifest__=manifest_array(manifest))
    with pytest.raises(minigrad.CheckpointError, match=f"odd.pt.*{problem}"):
        minigrad.load(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        minigrad.load("/nonexistent/checkpoint.pt")


def test_a_checkpoint_written_by_minigrad_0_1_0_still_loads(tmp_path):
    """0.1.0 wrote with numpy.savez and recorded no dtype or shape in the manifest."""
    path = tmp_path / "old.npz"
    manifest = (b'{"format": "minigrad-checkpoint-v1", "root": {"dict": [["w", {"tensor": "t0", "device": "cpu", '
                b'"requires_grad": true}], ["epoch", {"value": 3}]]}}')
    write_npz(path, t0=np.arange(6, dtype=np.float32).reshape(2, 3), __minigrad_manifest__=manifest_array(manifest))
    loaded = minigrad.load(path)
    assert loaded["epoch"] == 3 and loaded["w"].requires_grad and loaded["w"].shape == (2, 3)
    np.testing.assert_array_equal(loaded["w"].detach().numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))
