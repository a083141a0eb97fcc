"""Fixtures for the data tests: the real MNIST files, as oracles.

A missing oracle skips its tests on a developer's machine and FAILS them when
MINIGRAD_REQUIRE_ORACLES is set (CI sets it), so CI can't pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import HOW_TO_POINT_AT_MNIST, mnist_root

IMAGE_FILES = ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte")


def require_oracle(available: bool, reason: str) -> None:
    """Skip (developer machine) or fail (MINIGRAD_REQUIRE_ORACLES set) when an oracle is missing."""
    if available:
        return
    if os.environ.get("MINIGRAD_REQUIRE_ORACLES", "") not in ("", "0"):
        pytest.fail(f"oracle missing and MINIGRAD_REQUIRE_ORACLES is set: {reason}")
    pytest.skip(reason)


def _has_idx_files(folder: Path) -> bool:
    return all((folder / name).is_file() or (folder / f"{name}.gz").is_file() for name in IMAGE_FILES)


@pytest.fixture(scope="session")
def shared_mnist_dir() -> Path:
    """The real MNIST IDX files: $MINIGRAD_DATA, $MINIGRAD_SHARED_DATA, else <repo>/../shared/data/mnist."""
    folder = mnist_root()
    require_oracle(_has_idx_files(folder), f"the real MNIST files are not in {folder}: {HOW_TO_POINT_AT_MNIST}")
    return folder


@pytest.fixture(scope="session")
def shared_fashion_dir(shared_mnist_dir: Path) -> Path:
    """The real Fashion-MNIST IDX files, in the ``fashion`` folder beside MNIST's."""
    folder = shared_mnist_dir / "fashion"
    require_oracle(_has_idx_files(folder), f"the real Fashion-MNIST files are not in {folder}: {HOW_TO_POINT_AT_MNIST}")
    return folder
