"""Build the lecture notebooks (docs/lecture/*.ipynb) from their sources, run them, keep outputs.

    python scripts/build_lecture.py            # every notebook, plus the README pictures
    python scripts/build_lecture.py --only 03  # notebooks whose name starts with 03

Each notebook's source is a plain Python file in docs/lecture/src/ in the "percent" format
that Jupyter (jupytext), VS Code and PyCharm understand: ``# %% [markdown]`` starts a prose cell
(its lines are ``# ...`` comments), ``# %%`` a code cell. The script turns each source into a
notebook, executes it from docs/lecture/ with a fresh kernel (nbclient), and writes it WITH its
outputs, so GitHub shows the pictures. A code cell whose first line is ``# readme picture``
also writes its first image to docs/lecture/pictures/<notebook>.png: the picture README shows.

Needs the test extra (nbclient, nbformat, ipykernel, matplotlib) and MNIST (see
minigrad.data.MNIST: $MINIGRAD_SHARED_DATA or $MINIGRAD_DATA, the cache, a download or the
5,000-image sample that ships with minigrad). tests/docs/test_lecture_notebooks.py runs the
committed notebooks the same way.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LECTURE = REPO / "docs" / "lecture"
SOURCES = LECTURE / "src"
PICTURES = LECTURE / "pictures"
README_MARK = "# readme picture"
CELL_MARK = re.compile(r"^# %%(?P<markdown> \[markdown\])?\s*$")
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def read_cells(source: str) -> list[tuple[str, str]]:
    """``[(kind, text)]`` with kind ``"markdown"`` or ``"code"``, from a percent-format file."""
    cells: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        match = CELL_MARK.match(line)
        if match:
            cells.append(("markdown" if match.group("markdown") else "code", []))
        elif cells:
            cells[-1][1].append(line)
    result = []
    for kind, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        result.append((kind, "\n".join(lines)))
    return result


def notebook_from_source(path: Path) -> Any:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = KERNEL
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, text in read_cells(path.read_text(encoding="utf-8")):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(make(text))
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{path.stem[:2]}-{index:02d}"  # stable ids: rebuilding changes no line needlessly
    return notebook


@contextlib.contextmanager
def kernel_environment() -> Iterator[None]:
    """The environment the kernel starts with (restored afterwards)."""
    saved = dict(os.environ)
    # The kernel imports minigrad from this checkout, installed or not.
    paths = [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # Figures are captured as PNG outputs, whatever backend this shell prefers.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    # One BLAS thread: the notebooks' matrices are small, and on a busy 2-core machine
    # OpenBLAS's threads fight each other (the training cell then runs several times slower).
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def execute(notebook: Any, timeout: int = 600) -> Any:
    """Run every cell in a fresh kernel, from docs/lecture/; an exception (a failing assert)
    raises ``nbclient.exceptions.CellExecutionError`` naming the cell."""
    from nbclient import NotebookClient

    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(LECTURE)}})
    with kernel_environment():
        client.execute()
    return notebook


def readme_picture(notebook: Any) -> bytes | None:
    """The first PNG output of the cell marked ``# readme picture``."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(README_MARK):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "image/png" in data:
                    return base64.b64decode(data["image/png"])
    return None


def build(path: Path) -> float:
    import nbformat

    start = time.perf_counter()
    notebook = execute(notebook_from_source(path))
    for cell in notebook.cells:  # execution times and counts would make every rebuild a diff
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, LECTURE / f"{path.stem}.ipynb")
    picture = readme_picture(notebook)
    if picture is not None:
        PICTURES.mkdir(exist_ok=True)
        (PICTURES / f"{path.stem}.png").write_bytes(picture)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build and run the lecture notebooks.")
    parser.add_argument("--only", nargs="+", default=None, help="name prefixes, e.g. 03 06")
    args = parser.parse_args(argv)
    sources = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if args.only:
        sources = [s for s in sources if any(s.name.startswith(prefix) for prefix in args.only)]
    from nbclient.exceptions import CellExecutionError

    total = 0.0
    for source in sources:
        try:
            seconds = build(source)
        except CellExecutionError as error:
            print(f"FAILED docs/lecture/src/{source.name}: {error.ename}: {error.evalue}", file=sys.stderr)
            return 1
        total += seconds
        print(f"built docs/lecture/{source.stem}.ipynb in {seconds:.1f} s")
    print(f"{len(sources)} notebooks in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
