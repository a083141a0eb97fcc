"""``python -m minigrad.train`` (= scripts/train_mnist.py) as a user runs it: real subprocesses
on a tiny IDX data set written here, so each run takes a second or two."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minigrad
from tests.conftest import REPO


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def tiny_mnist(folder: Path, train: int = 96, test: int = 40) -> Path:
    """Random digits-shaped IDX files (sizes no real MNIST file has, so no MD5 applies)."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", train), ("t10k", test)):
        labels = np.arange(count) % 10
        images = rng.integers(0, 60, (count, 28, 28))
        images[:, 4:8, 2 * labels[:, None] + np.arange(4)] = 250  # learnable: a bar per class
        images[np.arange(count), 10, 2 * labels] = 255
        write_idx(folder / f"{split}-images-idx3-ubyte", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte", labels)
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return tiny_mnist(tmp_path_factory.mktemp("tiny_mnist"))


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIGRAD_DATA")}
    env["PYTHONPATH"] = str(REPO)
    return env


def train(*argv: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minigrad.train", "--quiet", *argv], cwd=cwd, env=environment(),
                          capture_output=True, text=True, timeout=300)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_log_file_json_and_averages_over_every_batch(data, tmp_path):
    log = tmp_path / "curve.jsonl"
    result = train("--data-dir", str(data), "--epochs", "2", "--batch-size", "10", "--log-interval", "4",
                   "--log-file", str(log), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["dataset"] == "mnist" and summary["sample"] is False
    assert summary["arguments"]["batch_size"] == 10 and summary["arguments"]["lr"] == 0.05
    assert summary["training_images"] == 96 and summary["test_images"] == 40
    records = [json.loads(line) for line in log.read_text().splitlines()]
    steps = [r for r in records if r["event"] == "step"]
    epochs = [r for r in records if r["event"] == "epoch"]
    assert [r["step"] for r in steps if r["epoch"] == 1] == [4, 8, 10]  # 10 batches, logged every 4th and the last
    assert [r["images"] for r in steps if r["epoch"] == 1] == [40, 40, 16]
    assert [r["lr"] for r in epochs] == pytest.approx([0.05, 0.02])  # StepLR, gamma 0.4
    for record in steps:
        assert {"loss", "accuracy", "lr", "images_per_second"} <= set(record)
    for epoch in epochs:  # the epoch's numbers are the mean over EVERY batch, not every 4th
        mine = [r for r in steps if r["epoch"] == epoch["epoch"]]
        mean = sum(r["loss"] * r["images"] for r in mine) / sum(r["images"] for r in mine)
        assert epoch["train_loss"] == pytest.approx(mean, rel=1e-6)
        accuracy = sum(r["accuracy"] * r["images"] for r in mine) / 96
        assert epoch["train_accuracy"] == pytest.approx(accuracy)
    assert summary["history"] == [{k: v for k, v in e.items() if k != "event"} for e in epochs]


@pytest.mark.parametrize(("argv", "message"), [
    (["--momentum", "-1"], "--momentum must be 0 or more"),
    (["--seed", "-1"], "--seed must be in 0..4294967295"),
    (["--lr", "nan"], "--lr must be a positive number"),
    (["--save", ""], "--save needs a path"),
])
def test_bad_arguments_are_one_line_errors(argv, message):
    result = train(*argv)
    assert_one_line_error(result, message)


def test_save_is_checked_before_training(data, tmp_path):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    assert_one_line_error(train("--data-dir", str(data), "--save", str(folder)), "is a folder")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = train("--data-dir", str(data), "--save", str(blocker / "model.npz"))
    assert_one_line_error(result, "--save", "cannot write there")
    assert "epoch 1/" not in result.stderr  # refused before any training


def test_a_mistyped_data_dir_is_not_created(tmp_path):
    missing = tmp_path / "typo"
    assert_one_line_error(train("--data-dir", str(missing)), "does not exist", "never created")
    assert not missing.exists()
    file = tmp_path / "file"
    file.write_text("x")
    assert_one_line_error(train("--data-dir", str(file)), "is a file")


def test_fashion_asked_for_with_the_mnist_folder_names_the_mismatch(mnist_path):
    result = train("--dataset", "fashion", "--data-dir", str(mnist_path), "--epochs", "1")
    assert_one_line_error(result, "is MNIST's", "not Fashion-MNIST's")


def test_a_diverging_loss_stops_with_epoch_step_and_last_finite_loss(data):
    result = train("--data-dir", str(data), "--lr", "1e30", "--log-interval", "1", "--batch-size", "8")
    assert_one_line_error(result, "the training loss became", "in epoch 1 at step", "lower --lr")
    assert "last finite loss" in result.stderr
    assert "done:" not in result.stderr


def test_resume_refuses_what_cannot_work_and_says_what_happens(data, tmp_path):
    checkpoint = tmp_path / "sgd.npz"
    common = ["--data-dir", str(data), "--batch-size", "32"]
    assert train(*common, "--epochs", "1", "--save", str(checkpoint)).returncode == 0
    assert_one_line_error(train(*common, "--epochs", "2", "--resume", str(checkpoint), "--optimizer", "adam"),
                          "trained with --optimizer sgd", "Pass --optimizer sgd")
    assert_one_line_error(train(*common, "--epochs", "2", "--resume", str(checkpoint), "--model", "mlp"),
                          "trained with --model lenet")
    assert_one_line_error(train(*common, "--epochs", "1", "--resume", str(checkpoint)),
                          "already holds 1 epochs", "nothing is left to train")
    result = train(*common, "--epochs", "2", "--resume", str(checkpoint), "--lr", "0.5", "--save", str(checkpoint))
    assert result.returncode == 0, result.stderr
    assert "--lr 0.5 is not used when resuming" in result.stderr
    assert "sgd lr 0.02" in result.stderr  # the banner shows the rate this run trains with
    assert minigrad.load(checkpoint)["epoch"] == 2
    fashion = tmp_path / "fashion.npz"
    state = minigrad.load(checkpoint)
    state["args"]["dataset"] = "fashion"
    minigrad.save(state, fashion)
    assert_one_line_error(train(*common, "--epochs", "3", "--resume", str(fashion)), "trained with --dataset fashion")


def wait_for(process: subprocess.Popen, text: str, timeout: float = 120) -> str:
    """Read the process's stderr until ``text`` appears."""
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, seen
        line = process.stderr.readline()
        assert line, f"the process ended before saying {text!r}: {seen}"
        seen += line
    return seen


@pytest.mark.parametrize("after_an_epoch", [False, True])
def test_ctrl_c_says_what_was_saved(tmp_path, after_an_epoch):
    data = tiny_mnist(tmp_path / "data", train=4000 if not after_an_epoch else 96)
    checkpoint = tmp_path / "run.npz"
    process = subprocess.Popen(
        [sys.executable, "-m", "minigrad.train", "--quiet", "--data-dir", str(data), "--epochs", "500",
         "--batch-size", "4", "--save", str(checkpoint)],
        cwd=REPO, env=environment(), stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        wait_for(process, "epoch 2/500" if after_an_epoch else "minigrad ")  # epoch 1 is saved by then
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130
    if after_an_epoch:
        assert "the last finished epoch (" in rest and str(checkpoint) in rest
        assert minigrad.load(checkpoint)["epoch"] >= 1
    else:
        assert f"interrupted before the first epoch finished: nothing was saved to {checkpoint}" in rest
        assert not checkpoint.exists()


def test_the_script_and_the_module_are_one_program(data, tmp_path):
    for command in ([sys.executable, "scripts/train_mnist.py"], [sys.executable, "-m", "minigrad.train"]):
        result = subprocess.run([*command, "--help"], cwd=REPO, env=environment(), capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0 and "--log-file" in result.stdout
    outside = tmp_path / "elsewhere"  # run from another folder: the script finds its checkout
    outside.mkdir()
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "train_mnist.py"), "--quiet", "--data-dir",
                             str(data), "--epochs", "1", "--json"], cwd=outside, env=environment(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["epochs"] == 1
