"""The data-parallel benchmark still runs, and minigrad's DDP and PyTorch's take the same steps
(no timing is asserted here; 2 ranks only, to keep it short)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.distributed.conftest import require_mpi, single_thread_env


@pytest.mark.slow
def test_ddp_benchmark_trains_both_frameworks_to_the_same_loss(mnist_path, torch, tmp_path):
    require_mpi()
    out = tmp_path / "ddp.json"
    command = [sys.executable, str(REPO / "benchmarks" / "ddp_mnist.py"), "--rounds", "1", "--windows", "1",
               "--steps", "2", "--warmup", "2", "--batch-size", "16", "--ranks", "2", "--data-dir", str(mnist_path),
               "--json", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=400, env=single_thread_env())
    assert result.returncode == 0, result.stderr[-3000:]
    runs = {run["framework"]: run for run in json.loads(out.read_text())["runs"]}
    assert set(runs) == {"minigrad", "pytorch"}
    # Rank 0's loss after the same data-parallel steps from the same weights (JSON keys are text).
    ours, theirs = (runs[name]["rank0_loss_after_warmup"]["2"] for name in ("minigrad", "pytorch"))
    assert abs(ours - theirs) < 1e-4 * abs(theirs), (ours, theirs)
    assert runs["minigrad"]["images_per_second"]["2"] > 0 and runs["pytorch"]["images_per_second"]["2"] > 0
