"""Regenerate every picture README shows, and the notebooks they come from.

    python scripts/build_docs.py              # graph pictures (docs/*.svg, *.png) + notebooks
    python scripts/build_docs.py --no-notebooks

Runs scripts/visualize_graph.py (needs Graphviz's dot) and scripts/build_lecture.py (needs the
test extra and MNIST; see that script).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_lecture  # noqa: E402
import visualize_graph  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate README's pictures and the lecture notebooks.")
    parser.add_argument("--no-notebooks", action="store_true", help="only the Graphviz pictures")
    args = parser.parse_args(argv)
    visualize_graph.main(["--out", str(DOCS), "--format", "svg", "png"])
    return 0 if args.no_notebooks else build_lecture.main([])


if __name__ == "__main__":
    sys.exit(main())
