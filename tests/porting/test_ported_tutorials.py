"""Real PyTorch tutorials, ported by renaming their imports only (scripts/ holds PyTorch's code;
``port`` rewrites the import lines), run as programs: each runs to the end under minigrad and
trains as it does under PyTorch (the same printed steps, losses of the same size)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import mnist_dir

SCRIPTS = Path(__file__).parent / "scripts"
RENAMES = [
    (r"^import torch$", "import minigrad as torch"),
    (r"^import torch\.nn as nn$", "import minigrad.nn as nn"),
    (r"^import torch\.nn\.functional as F$", "import minigrad.nn.functional as F"),
    (r"^import torch\.optim as optim$", "import minigrad.optim as optim"),
    (r"^from torch import (.*)$", r"from minigrad import \1"),
    (r"^from torch\.utils\.data import (.*)$", r"from minigrad.utils.data import \1"),
]


def port(source: str) -> str:
    """The script with only its import lines renamed from torch to minigrad."""
    lines = []
    for line in source.splitlines():
        for pattern, replacement in RENAMES:
            line = re.sub(pattern, replacement, line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def run(source: str, tmp_path: Path, name: str, *args: str) -> list[str]:
    path = tmp_path / name
    path.write_text(source)
    done = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
    return done.stdout.splitlines()


def numbers(lines: list[str], prefix: str) -> list[float]:
    """The last number on each printed line that starts with ``prefix`` (a step's loss)."""
    return [float(line.split()[-1]) for line in lines if line.startswith(prefix)]


@pytest.mark.slow
@pytest.mark.parametrize("script", ["blitz_neural_network.py", "polynomial_fits.py", "what_is_torch_nn_really.py"])
def test_a_pytorch_tutorial_runs_with_its_imports_renamed(torch, tmp_path, script):
    source = (SCRIPTS / script).read_text()
    ported = port(source)
    assert "import torch" not in ported.replace("import minigrad as torch", "")
    args = [str(mnist_dir())] if "nn_really" in script else []
    theirs = run(source, tmp_path, "theirs_" + script, *args)
    ours = run(ported, tmp_path, "ours_" + script, *args)
    assert ours[-1] == theirs[-1] == "OK"
    if script == "polynomial_fits.py":
        # The Legendre fit has no randomness: the same losses as PyTorch's to float32 rounding. The
        # RMSprop fit starts from random weights: its final loss is 8.9 for most seeds, but up to
        # 84 under PyTorch (12 seeds) and 19 here (40 seeds), so it is only required to fall; its
        # exact trajectory is pinned against torch in tests/optim. The dynamic net's random depth and
        # weights make its loss vary 100x between seeds (under PyTorch too): it must fall.
        mine, reference = numbers(ours, "1999"), numbers(theirs, "1999")
        assert len(mine) == len(reference) == 3
        assert abs(mine[0] - reference[0]) <= 1e-3 * reference[0], (mine, reference)
        rmsprop = numbers(ours, "499")[1], mine[1]
        # Predicting 0 everywhere scores sum(sin^2) = 1000: the fit must beat it.
        assert rmsprop[1] < rmsprop[0] and rmsprop[1] < 1000, rmsprop
        dynamic = numbers(ours, "999")[-1], numbers(ours, "2999")[-1]
        assert dynamic[1] < dynamic[0], dynamic
    if script == "what_is_torch_nn_really.py":
        # Validation loss after epoch 2. The tutorial sets no seed, and its lr = 0.5 SGD ends on
        # whichever batches the shuffle gave last: 32 runs gave 0.42-0.55 with tails to 0.72
        # under both frameworks (PyTorch: 0.44-0.73 in 8), so one run's ratio to one PyTorch run
        # can pass 1.5 by chance. An untrained model scores ln(10) = 2.30; broken training fails
        # either bound.
        mine, reference = numbers(ours, "1 "), numbers(theirs, "1 ")
        assert len(mine) == len(reference) == 1 and mine[0] < max(1.5 * reference[0], 1.0), (mine, reference)
