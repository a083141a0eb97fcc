"""The distribution as a user gets it: a wheel installed into a fresh virtual environment, and
the sdist. Built from a copy of the checkout, so the working tree gets no build/ folder."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import minigrad

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("source") / "minigrad"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis", ".ruff_cache", ".pytest_cache",
        ".benchmarks", ".venv"))
    return copy


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    # No build isolation: the test must work offline, with the setuptools already installed.
    run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation", "-q", "-w", wheelhouse)
    (found,) = wheelhouse.glob("*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_holds_only_minigrad_its_licence_types_and_one_version(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = email.message_from_string(archive.read(info).decode())
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert {name.split("/")[0] for name in names} == {"minigrad", f"minigrad_cnn-{minigrad.__version__}.dist-info"}
    assert "minigrad/backends/cupy_backend.py" in names and "minigrad/models/__init__.py" in names
    assert "minigrad/py.typed" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert metadata["Name"] == "minigrad-cnn" and metadata["Version"] == minigrad.__version__
    assert metadata["License-Expression"] == "MIT AND CC-BY-SA-3.0"  # the code, and the MNIST subset
    assert "minigrad/data/mnist_sample/train-images-idx3-ubyte.gz" in names
    assert any(name.endswith("licenses/minigrad/data/mnist_sample/README.md") for name in names)
    assert "minigrad-train = minigrad.train:console_main" in entry_points


@pytest.mark.slow
def test_the_wheel_works_in_a_fresh_virtual_environment(wheel, tmp_path):
    venv = tmp_path / "venv"
    # The system's packages give NumPy, tqdm... without a network; minigrad itself comes from the wheel.
    run(sys.executable, "-m", "venv", "--system-site-packages", venv)
    python = venv / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel)
    elsewhere = tmp_path / "user_project"
    elsewhere.mkdir()
    (elsewhere / "backends.py").write_text("raise ImportError('the user module was imported')\n")
    (elsewhere / "models.py").write_text("raise ImportError('the user module was imported')\n")
    check = ("import sys, warnings, minigrad, minigrad.models, minigrad.train; print(minigrad.__version__); "
             "print(tuple(minigrad.models.LeNet5()(minigrad.randn(1, 1, 28, 28)).shape)); "
             "warnings.simplefilter('ignore'); from minigrad.data import MNIST; "
             "print(len(MNIST('.', download=False)), MNIST('.', train=False, download=False).is_sample); "
             "print(*sorted({m.__file__ for n, m in sys.modules.items() if n.split('.')[0] == 'minigrad'}), sep='\\n')")
    lines = run(python, "-c", check, cwd=elsewhere).stdout.splitlines()
    assert lines[0] == minigrad.__version__ and lines[1] == "(1, 10)"
    assert lines[2] == "4000 True"  # the sample inside the wheel, offline
    outside = [file for file in lines[3:] if not Path(file).is_relative_to(venv)]
    assert outside == [], "every minigrad module must come from the wheel installed in the venv"
    command = venv / ("Scripts" if sys.platform == "win32" else "bin") / "minigrad-train"
    assert "--log-file" in run(command, "--help", cwd=elsewhere).stdout
    assert "--log-file" in run(python, "-m", "minigrad.train", "--help", cwd=elsewhere).stdout


@pytest.mark.slow
def test_the_sdist_holds_the_tests_their_conftest_and_the_docs(source, tmp_path):
    script = f"from setuptools import build_meta; print(build_meta.build_sdist({str(tmp_path)!r}))"
    name = run(sys.executable, "-c", script, cwd=source).stdout.strip().splitlines()[-1]
    with tarfile.open(tmp_path / name) as archive:
        members = {member.split("/", 1)[1] for member in archive.getnames() if "/" in member}
    for needed in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "tests/conftest.py",
                   "tests/backends/fake_cupy.py", "tests/data/conftest.py", "scripts/train_mnist.py",
                   "docs/conv2d_backward.png", "backends/numpy_backend.py", "models/__init__.py"):
        assert needed in members, needed
    assert not any("__pycache__" in member for member in members)
