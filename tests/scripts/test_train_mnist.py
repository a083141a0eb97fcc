"""scripts/train_mnist.py end to end, on the real MNIST files (../shared/data/mnist)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import minigrad
from scripts import train_mnist
from tests.conftest import cuda_available


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = train_mnist.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_one_epoch_on_5000_real_images_reaches_90_percent(mnist_path, capsys):
    # Small batches: 313 SGD steps from 5,000 images (measured: 92-94% over seeds 1-3).
    code, out, err = run(capsys, "--data-dir", str(mnist_path), "--limit", "5000", "--epochs", "1",
                         "--batch-size", "16", "--lr", "0.01", "--quiet", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["test_accuracy"] >= 0.90, result
    assert result["parameters"] == 61_706 and result["device"] == "cpu"
    assert "epoch 1/1" in err and "test accuracy" in err


def test_resume_continues_exactly_like_an_uninterrupted_run(mnist_path, tmp_path, capsys):
    common = ["--data-dir", str(mnist_path), "--limit", "640", "--quiet", "--test-batch-size", "2000"]
    straight, split = tmp_path / "straight.npz", tmp_path / "split.npz"
    assert run(capsys, *common, "--epochs", "2", "--save", str(straight))[0] == 0
    assert run(capsys, *common, "--epochs", "1", "--save", str(split))[0] == 0
    code, _, err = run(capsys, *common, "--epochs", "2", "--resume", str(split), "--save", str(split))
    assert code == 0 and "resumed from" in err
    a, b = minigrad.load(straight), minigrad.load(split)
    assert a["epoch"] == b["epoch"] == 2
    for key, value in a["model"].items():
        np.testing.assert_array_equal(value.numpy(), b["model"][key].numpy(), err_msg=key)
    assert a["history"][-1]["test_loss"] == b["history"][-1]["test_loss"]


@pytest.mark.skipif(cuda_available(), reason="this machine has a usable CUDA GPU")
def test_cuda_without_a_gpu_exits_2_with_one_line_that_says_the_fix(capsys):
    code, out, err = run(capsys, "--device", "cuda", "--epochs", "1")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "--device cuda is not available" in err and "--device cpu" in err


def test_a_corrupt_checkpoint_is_a_clear_error(mnist_path, tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a checkpoint")
    code, _, err = run(capsys, "--data-dir", str(mnist_path), "--resume", str(bad), "--quiet")
    assert code == 2 and "cannot resume" in err and str(bad) in err


def test_missing_data_folder_says_how_to_get_the_data(tmp_path, capsys, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("offline")

    monkeypatch.setattr("minigrad.data.mnist._fetch_verified", offline)
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "nothing"), "--quiet", "--epochs", "1", "--limit", "64")
    # A missing --data-dir is named; it is never created.
    assert code == 2 and "--data-dir" in err and "does not exist" in err
    assert not (tmp_path / "nothing").exists()


def test_offline_with_no_files_the_sample_is_used_and_said_once(tmp_path, capsys, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("offline")

    monkeypatch.setattr("minigrad.data.mnist._fetch_verified", offline)
    monkeypatch.setattr("minigrad.data.mnist._warned_sample", [])
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "--quiet", "--epochs", "1", "--limit", "64", "--json")
    assert code == 0, err
    assert err.count("WARNING") == 1 and "5,000-IMAGE SAMPLE" in err
    assert "on the 5,000-image SAMPLE of MNIST" in err.splitlines()[-1]  # the done: line
    result = json.loads(out)
    assert result["sample"] is True and result["test_images"] == 1000


@pytest.mark.parametrize("argv", [["--lr", "-1"], ["--epochs", "0"], ["--batch-size", "0"]])
def test_bad_hyper_parameters_are_rejected_by_the_parser(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        train_mnist.parse_args(argv)
    assert stop.value.code == 2
