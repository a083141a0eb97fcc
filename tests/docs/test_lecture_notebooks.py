"""The lecture notebooks (docs/lecture/) run from a clean checkout, and what is committed is what
they compute.

Each notebook is executed in a fresh Jupyter kernel (nbclient): a failing ``assert`` in any cell
fails the test. The committed .ipynb must match its source in docs/lecture/src/ cell for cell and
carry its outputs (GitHub shows them), and README's pictures must be the notebooks' own.
Rebuild everything with ``python scripts/build_lecture.py``.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LECTURE = REPO / "docs" / "lecture"
NOTEBOOKS = sorted(LECTURE.glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(REPO / "scripts"))

import build_lecture  # noqa: E402


def require(module: str) -> None:
    """Skip without ``module`` on a developer's machine; fail in CI (MINIGRAD_REQUIRE_ORACLES)."""
    try:
        __import__(module)
    except ImportError:
        message = f"{module} is missing: pip install -e '.[test]'"
        if os.environ.get("MINIGRAD_REQUIRE_ORACLES", "") not in ("", "0"):
            pytest.fail(message)
        pytest.skip(message)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_is_a_notebook_for_every_source_and_the_series_is_complete():
    sources = sorted(p.stem for p in (LECTURE / "src").glob("[0-9][0-9]_*.py"))
    assert [p.stem for p in NOTEBOOKS] == sources
    assert len(sources) == 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_matches_its_source_and_has_its_outputs(path):
    notebook = load(path)
    built = build_lecture.read_cells((LECTURE / "src" / f"{path.stem}.py").read_text(encoding="utf-8"))
    committed = [(cell["cell_type"], "".join(cell["source"])) for cell in notebook["cells"]]
    assert committed == built, "rebuild with: python scripts/build_lecture.py --only " + path.stem[:2]
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell.get("execution_count") for cell in code), "committed without running"
    outputs = [output for cell in code for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "no pictures: the notebook was committed without its outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_readme_shows_the_notebooks_own_picture(path):
    picture = LECTURE / "pictures" / f"{path.stem}.png"
    marked = [cell for cell in load(path)["cells"]
              if cell["cell_type"] == "code" and "".join(cell["source"]).startswith(build_lecture.README_MARK)]
    assert len(marked) == 1, "one cell per notebook starts with '# readme picture'"
    first_png = next(o["data"]["image/png"] for o in marked[0]["outputs"] if "image/png" in o.get("data", {}))
    assert picture.read_bytes() == base64.b64decode(first_png)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"(docs/lecture/{path.name})" in readme  # linked, in order (checked below)
    assert f'src="docs/lecture/pictures/{picture.name}"' in readme


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_from_a_clean_checkout(path, mnist_path, monkeypatch):
    """Every cell, every assert, in a fresh kernel (the MNIST notebooks read the real files)."""
    for module in ("nbclient", "nbformat", "ipykernel", "matplotlib"):
        require(module)
    import nbformat

    monkeypatch.setenv("MINIGRAD_SHARED_DATA", str(mnist_path))
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:  # run what is committed, not the stored results
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    build_lecture.execute(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    assert any("image/png" in o.get("data", {}) for cell in code for o in cell.outputs)


def test_readme_links_the_notebooks_in_order():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    positions = [readme.index(f"(docs/lecture/{path.name})") for path in NOTEBOOKS]
    assert positions == sorted(positions)
