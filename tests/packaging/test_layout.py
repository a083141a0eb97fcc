"""The installed layout: only `minigrad` at the top; backends/ and models/ live inside it."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_for_installation():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "minigrad").rglob("__init__.py")
    }
    found |= {"minigrad.backends", "minigrad.models"}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"] == {"minigrad.backends": "backends", "minigrad.models": "models"}
    assert all(name == "minigrad" or name.startswith("minigrad.") for name in listed)


def test_a_users_own_backends_and_models_modules_break_nothing(tmp_path):
    (tmp_path / "backends.py").write_text("raise ImportError('the user module was imported')\n")
    (tmp_path / "models.py").write_text("raise ImportError('the user module was imported')\n")
    script = (
        "import minigrad\n"
        "from minigrad.models import LeNet5\n"
        "x = minigrad.randn(2, 1, 28, 28)\n"
        "assert LeNet5()(x).shape == (2, 10)\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
