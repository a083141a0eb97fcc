"""``mpiexec -n 2 python scripts/train_mnist.py`` trains data-parallel, like one process with
twice the batch (README's command), on the real MNIST files."""

from __future__ import annotations

import json
import sys

import pytest

import minigrad
from scripts import train_mnist
from tests.distributed.conftest import run_job


@pytest.mark.slow
def test_two_ranks_of_batch_32_train_like_one_process_of_batch_64(mnist_path, tmp_path, capsys):
    common = ["--data-dir", str(mnist_path), "--limit", "640", "--epochs", "1", "--quiet", "--json"]
    checkpoint = tmp_path / "ddp.npz"
    result = run_job([sys.executable, "scripts/train_mnist.py", *common, "--batch-size", "32",
                      "--save", str(checkpoint)], ranks=2, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    parallel = json.loads(result.stdout)  # one JSON document: rank 0 alone prints
    assert parallel["world_size"] == 2
    assert result.stderr.count("epoch 1/1") == 1, result.stderr  # rank 0 alone logs
    assert "data-parallel: 2 ranks x batch 32" in result.stderr

    assert train_mnist.main([*common, "--batch-size", "64"]) == 0
    single = json.loads(capsys.readouterr().out)
    assert single["world_size"] == 1
    # The same examples in the same steps; float32 sums in another order differ in rounding only.
    assert abs(parallel["test_accuracy"] - single["test_accuracy"]) <= 0.002
    assert parallel["test_loss"] == pytest.approx(single["test_loss"], rel=1e-3)
    assert parallel["history"][0]["train_loss"] == pytest.approx(single["history"][0]["train_loss"], rel=1e-3)

    saved = minigrad.load(checkpoint)  # rank 0 wrote it, with the model's own (prefix-free) keys
    assert saved["epoch"] == 1 and all(not key.startswith("module.") for key in saved["model"])
