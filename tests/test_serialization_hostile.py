"""Hostile and broken files: every one is a ``CheckpointError`` naming the file, found before
anything large is read or allocated, and no message ever suggests ``allow_pickle``."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.serialization import npz_format

MANIFEST = npz_format.MANIFEST + ".npy"


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def manifest(root) -> bytes:
    return npy_bytes(np.frombuffer(json.dumps({"format": npz_format.FORMAT, "root": root}).encode(), np.uint8))


def write_zip(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def expect_error(path, match: str = "") -> str:
    with pytest.raises(minigrad.CheckpointError, match=str(path.name)) as error:
        minigrad.load(path)
    message = str(error.value)
    assert "allow_pickle" not in message and "pickled" not in message
    assert match in message, message
    return message


def tensor_node(key="t0", **extra):
    return {"tensor": key, **extra}


def test_an_unreferenced_huge_member_is_never_read(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    zeros = b"\0" * (64 << 20)  # 64 MiB that deflate squeezes to ~64 KiB
    write_zip(path, {MANIFEST: manifest({"value": 1}), "junk.npy": zeros}, zipfile.ZIP_DEFLATED)
    assert os.path.getsize(path) < 1 << 20
    opened = []
    real_open = zipfile.ZipFile.open

    def recording_open(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    assert minigrad.load(path) == 1
    assert opened == [MANIFEST]


def test_a_header_claiming_10_to_the_12_elements_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    header = npy_bytes(np.zeros(0, np.float32)).replace(b"(0,)", b"(1000000000000,)")
    write_zip(path, {MANIFEST: manifest(tensor_node()), "t0.npy": header + b"\0" * 16})
    expect_error(path, "shape (1000000000000,) of float32 needs 4,000,000,000,000")


def test_a_member_claiming_more_bytes_than_the_file_holds_is_refused(tmp_path):
    path = tmp_path / "liar.npz"
    write_zip(path, {MANIFEST: manifest(tensor_node()), "t0.npy": npy_bytes(np.ones(4))})
    data = bytearray(path.read_bytes())
    # Patch the central directory's uncompressed size of t0.npy to 2 GiB.
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 2**31)
    path.write_bytes(bytes(data))
    expect_error(path, "more than the file can hold")


def test_the_header_must_agree_with_the_manifest(tmp_path):
    path = tmp_path / "disagree.npz"
    body = npy_bytes(np.ones((2, 3), np.float32))
    write_zip(path, {MANIFEST: manifest(tensor_node(dtype="float64", shape=[2, 3])), "t0.npy": body})
    expect_error(path, "float32 in its .npy header but float64 in the manifest")
    write_zip(path, {MANIFEST: manifest(tensor_node(dtype="float32", shape=[3, 2])), "t0.npy": body})
    expect_error(path, "shape (2, 3) in its .npy header but (3, 2) in the manifest")
    write_zip(path, {MANIFEST: manifest(tensor_node(dtype="float32", shape=[-1])), "t0.npy": body})
    expect_error(path, "bad shape")


@pytest.mark.parametrize("array", [
    np.array(["text"]), np.array([1], dtype="datetime64[s]"), np.array([(1, 2.0)], dtype="i4,f8"),
    np.array([b"bytes"]), np.array([1], dtype="timedelta64[s]"), np.array([{"os": "system"}], dtype=object),
], ids=["str", "datetime", "record", "bytes", "timedelta", "object"])
def test_non_numeric_dtypes_are_refused(tmp_path, array):
    path = tmp_path / "typed.npz"
    write_zip(path, {MANIFEST: manifest(tensor_node()), "t0.npy": npy_bytes(array)})
    expect_error(path, "checkpoints hold only numeric tensors")


def test_big_endian_and_fortran_order_members_load_correctly(tmp_path):
    path = tmp_path / "odd_layout.npz"
    values = np.arange(6, dtype=">f4").reshape(2, 3)
    write_zip(path, {MANIFEST: manifest({"list": [tensor_node("t0"), tensor_node("t1")]}),
                     "t0.npy": npy_bytes(values), "t1.npy": npy_bytes(np.asfortranarray(values))})
    for tensor in minigrad.load(path):
        assert tensor.dtype == minigrad.float32
        np.testing.assert_array_equal(tensor.numpy(), values)


@pytest.mark.parametrize("depth", [150, 100_000])
def test_deeply_nested_json_is_refused(tmp_path, depth):
    path = tmp_path / "deep.npz"
    nested = '{"list": [' * depth + '{"value": 1}' + "]}" * depth
    text = '{"format": "' + npz_format.FORMAT + '", "root": ' + nested + "}"
    write_zip(path, {MANIFEST: npy_bytes(np.frombuffer(text.encode(), np.uint8))})
    expect_error(path, "nest")


def test_saving_a_too_deep_structure_is_refused():
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        minigrad.save(deep, io.BytesIO())


def test_a_manifest_that_is_not_a_byte_vector_is_refused(tmp_path):
    path = tmp_path / "matrix.npz"
    write_zip(path, {MANIFEST: npy_bytes(np.zeros((2, 2), np.uint8))})
    expect_error(path, "expected 1-D bytes")
    write_zip(path, {MANIFEST: npy_bytes(np.zeros(3, np.float32))})
    expect_error(path, "float32")


def test_a_corrupt_crc_is_refused(tmp_path):
    path = tmp_path / "flipped.npz"
    minigrad.save({"w": minigrad.ones(1000)}, path)
    data = bytearray(path.read_bytes())
    at = data.index(b"\0\0\x80?")  # inside t0's float32 ones
    data[at + 2] ^= 0xFF
    path.write_bytes(bytes(data))
    expect_error(path, "CRC")


@pytest.mark.parametrize("content", [b"just some text\n" * 10, b"", b"\x80\x04\x95 a pickle", b"PK\x03\x04 oops"],
                         ids=["text", "empty", "pickle", "broken-zip"])
def test_files_that_are_not_checkpoints_say_what_they_are(tmp_path, content):
    path = tmp_path / "not_a_checkpoint.pt"
    path.write_bytes(content)
    message = expect_error(path)
    if content.startswith(b"\x80"):
        assert "safetensors.torch.save_file" in message  # how to convert a torch.save file


def test_a_torch_save_file_is_refused_with_how_to_convert_it(tmp_path, torch):
    path = tmp_path / "torch_model.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    expect_error(path, "no manifest")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.floats(0, 1), flips=st.integers(0, 8))
def test_random_damage_to_a_real_checkpoint_is_a_checkpoint_error_or_loads(tmp_path_factory, seed, cut, flips):
    """Truncations and byte flips anywhere: the result is the data or a CheckpointError."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    minigrad.save({"w": minigrad.ones(3, 4), "epoch": 2, "name": "lenet"}, buffer)
    data = bytearray(buffer.getvalue()[: max(1, int(cut * len(buffer.getvalue()))) if cut < 1 else None])
    for _ in range(flips):
        data[rng.integers(len(data))] = rng.integers(256)
    path = tmp_path_factory.mktemp("fuzz") / "damaged.npz"
    path.write_bytes(bytes(data))
    try:
        loaded = minigrad.load(path)
    except minigrad.CheckpointError as error:
        assert "damaged.npz" in str(error) and "allow_pickle" not in str(error)
    else:
        assert isinstance(loaded, dict)


@settings(max_examples=25, deadline=None)
@given(content=st.binary(max_size=300))
def test_random_bytes_are_a_checkpoint_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "random.bin"
    path.write_bytes(content)
    with pytest.raises(minigrad.CheckpointError, match="random.bin"):
        minigrad.load(path)


@settings(max_examples=25, deadline=None)
@given(root=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    | st.dictionaries(st.sampled_from(["tensor", "dict", "list", "tuple", "value", "x"]),
                      st.integers() | st.text(max_size=4) | st.none(), max_size=3),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["tensor", "dict", "list", "tuple", "value"]), children, max_size=2),
    max_leaves=10))
def test_random_manifests_are_a_checkpoint_error_or_plain_data(tmp_path_factory, root):
    path = tmp_path_factory.mktemp("fuzz") / "manifest.npz"
    write_zip(path, {MANIFEST: manifest(root), "t0.npy": npy_bytes(np.ones(2))})
    try:
        minigrad.load(path)
    except minigrad.CheckpointError as error:
        assert "manifest.npz" in str(error)
