"""Shared test helpers.

Oracles (PyTorch, Graphviz's dot, the real MNIST files) are needed to PROVE correctness. On a
developer's machine a missing oracle skips its tests with the reason; in CI, which sets
MINIGRAD_REQUIRE_ORACLES=1, a missing oracle FAILS them, so CI cannot go green by skipping.
Only GPU tests may skip in CI (there is no GPU there).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
REQUIRE_ORACLES = os.environ.get("MINIGRAD_REQUIRE_ORACLES", "") not in ("", "0")

# CI draws the same hypothesis examples on every run (a red CI is then reproducible, never a roll
# of the dice); developers draw fresh ones each run, which is where new cases are found.
# HYPOTHESIS_PROFILE=ci reproduces CI's examples locally, =dev forces fresh ones.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if REQUIRE_ORACLES else "dev"))

# The JIT kernels' machine-code cache (backends/kernels/object_cache): a fresh one per run, so the
# suite compiles every kernel it pins (the path a new geometry takes) and never depends on, or
# fills, a developer's ~/.cache. Subprocesses inherit it.
if "MINIGRAD_KERNEL_CACHE" not in os.environ:
    os.environ["MINIGRAD_KERNEL_CACHE"] = tempfile.mkdtemp(prefix="minigrad-kernel-cache-")
    atexit.register(shutil.rmtree, os.environ["MINIGRAD_KERNEL_CACHE"], ignore_errors=True)


def missing_oracle(reason: str) -> None:
    """Skip (developer machine) or fail (CI) because an oracle is missing."""
    if REQUIRE_ORACLES:
        pytest.fail(f"oracle missing and MINIGRAD_REQUIRE_ORACLES is set: {reason}")
    pytest.skip(reason)


def _mnist_root_from_environment() -> Path:
    for variable in ("MINIGRAD_DATA", "MINIGRAD_SHARED_DATA"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    return REPO.parent / "shared" / "data" / "mnist"


# Read once, at start-up: tests that check minigrad's own defaults unset MINIGRAD_DATA meanwhile.
_MNIST_ROOT = _mnist_root_from_environment()


def mnist_root() -> Path:
    """Where the tests look for the real MNIST files: $MINIGRAD_DATA (the variable minigrad itself
    reads, README's), else $MINIGRAD_SHARED_DATA (older CI setups), else ../shared/data/mnist."""
    return _MNIST_ROOT


HOW_TO_POINT_AT_MNIST = ("set MINIGRAD_DATA=DIR, DIR holding MNIST's four IDX files (train-images-idx3-ubyte.gz..., "
                         "Fashion-MNIST's in DIR/fashion)")


def mnist_dir() -> Path:
    """The real MNIST IDX files (see :func:`mnist_root`)."""
    path = mnist_root()
    if not (path / "train-images-idx3-ubyte.gz").exists() and not (path / "train-images-idx3-ubyte").exists():
        missing_oracle(f"real MNIST files not found in {path}: {HOW_TO_POINT_AT_MNIST}")
    return path


@pytest.fixture
def torch():
    """PyTorch (CPU build), the reference implementation the tests compare against."""
    try:
        import torch as torch_module
    except ImportError:
        missing_oracle("PyTorch is not installed: pip install torch==2.13.0")
    torch_module.set_num_threads(1)
    return torch_module


@pytest.fixture
def dot_program():
    """Graphviz's dot executable, needed to really render pictures."""
    path = shutil.which("dot")
    if path is None:
        missing_oracle("Graphviz's dot program is missing: apt-get install graphviz")
    return path


@pytest.fixture
def mnist_path() -> Path:
    return mnist_dir()


def cuda_available() -> bool:
    from minigrad import backends

    return backends.available().get("cuda") is None


requires_cuda = pytest.mark.skipif(
    not cuda_available(), reason=f"no CUDA GPU: {__import__('backends').available().get('cuda')}"
)
