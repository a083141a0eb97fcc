"""Helpers for the picture tests: count what a DOT text draws, read the text of an SVG."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest

NODE_LINE = re.compile(r"^\s*(n\d+b?|m\d+) \[")
EDGE_LINE = re.compile(r"^\s*(\S+) -> (\S+)")


def count_drawn(source: str) -> tuple[int, int]:
    """(nodes, edges) declared in a DOT text made by minigrad.viz (legend excluded)."""
    lines = source.splitlines()
    nodes = sum(bool(NODE_LINE.match(line)) for line in lines)
    edges = sum(bool(EDGE_LINE.match(line)) for line in lines)
    return nodes, edges


def svg_groups(svg: str) -> dict[str, list[dict]]:
    """The SVG's ``<g class="node|cluster|edge">`` groups: title and text lines of each."""
    root = ET.fromstring(svg)
    found: dict[str, list[dict]] = {"node": [], "cluster": [], "edge": []}
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        kind = group.get("class")
        if kind not in found:
            continue
        title = group.find("{http://www.w3.org/2000/svg}title")
        texts = [html.unescape(t.text or "") for t in group.iter("{http://www.w3.org/2000/svg}text")]
        found[kind].append({"title": None if title is None else title.text, "texts": texts})
    return found


@pytest.fixture
def drawn_counts():
    return count_drawn


@pytest.fixture
def read_svg():
    return svg_groups


@pytest.fixture
def pyplot():
    """matplotlib's pyplot on the Agg backend (no display); figures are closed afterwards.

    matplotlib is in the test extra; CI (MINIGRAD_REQUIRE_ORACLES=1) fails instead of skipping.
    """
    import os

    try:
        import matplotlib
    except ImportError:
        if os.environ.get("MINIGRAD_REQUIRE_ORACLES", "") not in ("", "0"):
            pytest.fail("matplotlib is missing and MINIGRAD_REQUIRE_ORACLES is set: pip install matplotlib")
        pytest.skip("matplotlib is not installed: pip install matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")
