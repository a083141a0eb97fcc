"""scripts/visualize_graph.py writes every picture (DOT text here: no Graphviz needed)."""

from __future__ import annotations

from scripts.visualize_graph import PICTURES, main


def test_script_writes_every_picture(tmp_path, capsys):
    main(["--out", str(tmp_path), "--format", "dot"])
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{name}.dot" for name in PICTURES)
    assert "conv1: Conv2d(1, 6" in (tmp_path / "lenet5.dot").read_text()
    assert "dL/dW = xcorr(x, dL/dy)" in (tmp_path / "conv2d_backward.dot").read_text()
    assert "wrote" in capsys.readouterr().out


def test_script_can_draw_one_picture(tmp_path, dot_program):
    main(["--out", str(tmp_path), "--format", "png", "--only", "scalar_graph"])
    assert (tmp_path / "scalar_graph.png").read_bytes()[:4] == b"\x89PNG"
