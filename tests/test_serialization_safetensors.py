"""``.safetensors`` files: written and read without torch, exchanged with PyTorch by name."""

from __future__ import annotations

import json

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn


def minigrad_net():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))


def torch_net(torch):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 4, 3), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.Flatten(), tnn.Linear(4 * 6 * 6, 10))


@pytest.fixture
def safetensors_torch(torch):
    from safetensors import torch as module  # the test extra installs safetensors

    return module


def test_a_torch_models_weights_load_into_the_same_minigrad_model_and_back(tmp_path, torch, safetensors_torch):
    torch.manual_seed(0)
    reference = torch_net(torch)
    reference.train()
    reference(torch.randn(8, 1, 8, 8))  # moves BatchNorm's running statistics off their defaults
    reference.eval()
    safetensors_torch.save_file(reference.state_dict(), str(tmp_path / "torch.safetensors"))

    model = minigrad_net()
    model.load_state_dict(minigrad.load(tmp_path / "torch.safetensors"))
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(minigrad.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)

    minigrad.save(model.state_dict(), tmp_path / "minigrad.safetensors")
    back = torch_net(torch)
    back.load_state_dict(safetensors_torch.load_file(str(tmp_path / "minigrad.safetensors")))
    for name, tensor in reference.state_dict().items():
        assert torch.equal(back.state_dict()[name], tensor), name
    assert back.state_dict()["1.num_batches_tracked"].dtype == torch.int64


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                                   "bool"])
def test_every_dtype_round_trips_through_torch(tmp_path, torch, safetensors_torch, dtype):
    values = minigrad.tensor(np.arange(-3, 3).reshape(2, 3) % 2 if dtype == "bool" else np.arange(-3, 3).reshape(2, 3))
    values = values.to(getattr(minigrad, dtype if dtype != "bool" else "bool"))
    path = tmp_path / "x.safetensors"
    minigrad.save({"x": values, "scalar": values.sum().to(values.dtype), "empty": values[:0]}, path)
    loaded = safetensors_torch.load_file(str(path))
    assert str(loaded["x"].dtype) == f"torch.{dtype}"
    np.testing.assert_array_equal(loaded["x"].numpy(), values.numpy())
    assert loaded["scalar"].shape == () and loaded["empty"].shape == (0, 3)
    again = minigrad.load(path)
    assert again["x"].dtype == values.dtype and again["empty"].shape == (0, 3)


def test_bfloat16_is_refused_with_how_to_convert(tmp_path, torch, safetensors_torch):
    path = tmp_path / "bf16.safetensors"
    safetensors_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(minigrad.CheckpointError, match="BF16.*v.float()"):
        minigrad.load(path)


def test_a_file_is_recognised_by_its_bytes_and_the_header_is_padded(tmp_path):
    path = tmp_path / "weights.safetensors"
    minigrad.save({"a": minigrad.ones(3), "b": minigrad.zeros(2, 2, dtype=minigrad.int64)}, path)
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    assert length % 8 == 0
    header = json.loads(data[8:8 + length])
    assert header == {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
                      "b": {"dtype": "I64", "shape": [2, 2], "data_offsets": [12, 44]}}
    renamed = tmp_path / "weights.bin"
    renamed.write_bytes(data)
    assert minigrad.load(renamed)["b"].dtype == minigrad.int64


def test_only_flat_dicts_of_tensors_fit_and_nothing_is_written_otherwise(tmp_path):
    path = tmp_path / "x.safetensors"
    for bad in ({"model": {"w": minigrad.ones(1)}}, {"epoch": 3}, [minigrad.ones(1)]):
        with pytest.raises(TypeError, match="flat dict of str names to Tensors"):
            minigrad.save(bad, path)
    with pytest.raises(ValueError, match="reserved"):
        minigrad.save({"__metadata__": minigrad.ones(1)}, path)
    assert not path.exists()


def header_file(tmp_path, header, data: bytes = b""):
    encoded = json.dumps(header).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(len(encoded).to_bytes(8, "little") + encoded + data)
    return path


@pytest.mark.parametrize(("header", "data", "problem"), [
    ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, "cover 8 data bytes, the file has 4"),
    ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, "needs 12 bytes"),
    ({"w": {"dtype": "F32", "shape": [10**12], "data_offsets": [0, 4 * 10**12]}}, b"", "cover 4,000,000,000,000"),
    ({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
      "b": {"dtype": "U8", "shape": [2], "data_offsets": [1, 3]}}, b"\0" * 3, "gap or overlap"),
    ({"w": {"dtype": "STR", "shape": [1], "data_offsets": [0, 1]}}, b"\0", "unknown dtype 'STR'"),
    ({"w": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}}, b"\0", "bad shape"),
    ({"w": {"dtype": "U8", "shape": [1], "data_offsets": [1, 0]}}, b"\0", "bad data_offsets"),
    ({"w": [1, 2]}, b"", "not an object"),
    ([1, 2, 3], b"", "neither a minigrad checkpoint"),  # not recognised: a header starts with {
])
def test_malformed_headers_are_checkpoint_errors(tmp_path, header, data, problem):
    path = header_file(tmp_path, header, data)
    with pytest.raises(minigrad.CheckpointError, match="bad.safetensors") as error:
        minigrad.load(path)
    assert problem in str(error.value)


def test_duplicate_names_and_a_huge_header_length_are_refused(tmp_path):
    path = tmp_path / "bad.safetensors"
    text = b'{"w": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}, "w": {"dtype": "U8", "shape": [0], ' \
           b'"data_offsets": [0, 0]}}'
    path.write_bytes(len(text).to_bytes(8, "little") + text)
    with pytest.raises(minigrad.CheckpointError, match="appears twice"):
        minigrad.load(path)
    path.write_bytes((2**60).to_bytes(8, "little") + b"{}")
    with pytest.raises(minigrad.CheckpointError, match="bad.safetensors"):
        minigrad.load(path)
    depth = 100_000
    deep = b"[" * depth + b"]" * depth
    path.write_bytes(len(deep).to_bytes(8, "little") + b"{" + deep[1:])
    with pytest.raises(minigrad.CheckpointError, match="bad.safetensors"):
        minigrad.load(path)


def test_metadata_is_ignored_and_map_location_applies(tmp_path):
    path = header_file(tmp_path, {"__metadata__": {"format": "pt"}, "w": {"dtype": "F64", "shape": [1],
                                                                           "data_offsets": [0, 8]}},
                       np.array([2.5]).tobytes())
    assert minigrad.load(path, map_location="cpu")["w"].tolist() == [2.5]
    assert list(minigrad.load(path, map_location=lambda tensor, location: tensor * 2)["w"].tolist()) == [5.0]
