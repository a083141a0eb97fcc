"""The words in the boxes: conv2d arithmetic, gradient rules, shapes, numbers."""

from __future__ import annotations

import numpy

from minigrad.viz import labels


def test_conv2d_label_shows_the_output_size_arithmetic():
    lines = labels.conv2d_lines(
        {"stride": (1, 1), "padding": (2, 2), "dilation": (1, 1), "groups": 1},
        input_shapes=((1, 1, 28, 28), (6, 1, 5, 5), (6,)), output_shapes=((1, 6, 28, 28),),
    )
    assert lines == [
        "kernel 5x5, 1 -> 6 channels",
        "stride 1x1, padding 2x2, dilation 1x1, groups 1",
        "H: (28 + 2*2 - 1*(5-1) - 1)/1 + 1 = 28",
        "W: (28 + 2*2 - 1*(5-1) - 1)/1 + 1 = 28",
    ]


def test_conv2d_label_with_stride_dilation_and_groups():
    # x (2, 4, 11, 9), weight (8, 2, 3, 3), groups 2, stride (2, 1), padding (1, 0), dilation (1, 2)
    lines = labels.conv2d_lines(
        {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2},
        input_shapes=((2, 4, 11, 9), (8, 2, 3, 3), None), output_shapes=((2, 8, 6, 5),),
    )
    assert lines[0] == "kernel 3x3, 4 -> 8 channels"
    assert "groups 2" in lines[1]
    assert lines[2] == "H: (11 + 2*1 - 1*(3-1) - 1)/2 + 1 = 6"
    assert lines[3] == "W: (9 + 2*0 - 2*(3-1) - 1)/1 + 1 = 5"


def test_backward_rules_show_the_duality_for_the_inputs_that_need_them():
    everything = labels.backward_lines("conv2d", (True, True, True))
    assert "dW = xcorr(x, dy)" in everything
    assert "dX = conv(dy, W) = xcorr(pad(dilate(dy)), flip(W))" in everything
    assert labels.backward_lines("conv2d", (False, True, False)) == ["dW = xcorr(x, dy)"]
    assert labels.backward_lines("mul", (True, True)) == ["da = g * b", "db = g * a"]
    assert labels.backward_lines("somebody.elses.Op", (True,)) == []


def test_backward_names_follow_pytorch():
    # Checked against PyTorch itself in test_viz_names.py; here the spelling rules.
    assert labels.backward_name("mul") == "MulBackward0"
    assert labels.backward_name("conv2d") == "ConvolutionBackward0"
    assert labels.backward_name("constant_pad") == "ConstantPadNdBackward0"
    assert labels.backward_name("my_package.ops.Cube") == "CubeBackward"  # a user Function
    assert labels.backward_name("some_new_op") == "SomeNewOpBackward0"  # PyTorch's pattern
    assert labels.backward_name("getitem", module="AvgPool2d") == "AvgPool2DBackward0"


def test_conv2d_backward_lines_write_the_duality_with_the_layers_amounts():
    lines = labels.conv2d_backward_lines(
        {"stride": (1, 1), "padding": (2, 2), "dilation": (1, 1), "groups": 1},
        input_shapes=((1, 1, 28, 28), (6, 1, 5, 5), (6,)), output_shapes=((1, 6, 28, 28),),
    )
    assert lines == [
        "dL/dx = xcorr(pad(dilate(dL/dy)), flip(W) with channels swapped):",
        "  dilate by the stride 1x1: nothing to insert",
        "  H: pad by d(k-1)-p = 1*(5-1)-2 = 2",
        "  W: pad by d(k-1)-p = 1*(5-1)-2 = 2",
        "  flip W 180 degrees, swap in/out channels: (6, 1, 5, 5) -> (1, 6, 5, 5)",
        "dL/dW = xcorr(x, dL/dy), batch as channels: stride 1x1 -> dilation, dilation 1x1 -> stride",
        "dL/db = dL/dy summed over N, Ho, Wo (1 x 28 x 28 values per channel)",
    ]


def test_conv2d_backward_lines_for_stride_dilation_groups_and_no_bias():
    # x (2, 4, 8, 9), W (6, 2, 3, 3), stride 2, padding (0, 3), dilation (1, 2), groups 2:
    # Ho = (8 - 2 - 1)//2 + 1 = 3, Wo = (9 + 6 - 4 - 1)//2 + 1 = 6.
    lines = labels.conv2d_backward_lines(
        {"stride": (2, 2), "padding": (0, 3), "dilation": (1, 2), "groups": 2},
        input_shapes=((2, 4, 8, 9), (6, 2, 3, 3), None), output_shapes=((2, 6, 3, 6),),
    )
    assert lines[1] == "  dilate by the stride 2x2: insert 1 zero rows and 1 zero columns between neighbours"
    # H: the dilated gradient has 2*(3-1)+1 = 5 rows; 8 + 2 - 5 = 5 more: 2 before, 3 after.
    assert lines[2] == "  H: pad by d(k-1)-p = 1*(3-1)-0 = 2, +3 at the end (rows the stride skipped)"
    # W: 2*(3-1) - 3 = 1 before; the dilated width 11 plus 1 before, 9 + 4 - 11 - 1 = 1 after.
    assert lines[3] == "  W: pad by d(k-1)-p = 2*(3-1)-3 = 1"
    assert lines[4] == ("  flip W 180 degrees, swap in/out channels within each of 2 groups: "
                        "(6, 2, 3, 3) -> (4, 3, 3, 3)")
    assert lines[5] == "  cross-correlate with stride 1x1, dilation 1x2"
    assert lines[6].startswith("dL/dW = xcorr(x, dL/dy)") and "stride 2x2 -> dilation" in lines[6]
    assert len(lines) == 7  # no bias: no dL/db line
    only_weight = labels.conv2d_backward_lines(
        {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1},
        ((1, 1, 5, 5), (1, 1, 3, 3), None), ((1, 1, 3, 3),), needs_input_grad=(False, True, False),
    )
    assert [line.split(" =")[0] for line in only_weight] == ["dL/dW"]


def test_grids_are_for_small_matrices():
    assert labels.grid_shape((1, 1, 3, 3), 3) == (3, 3)
    assert labels.grid_shape((2, 3), 3) == (2, 3)
    assert labels.grid_shape((1, 1, 4, 4), 3) is None and labels.grid_shape((1, 1, 4, 4), 4) == (4, 4)
    assert labels.grid_shape((3,), 3) is None and labels.grid_shape((), 3) is None  # one line instead
    assert labels.grid_shape((2, 2, 2), 3) is None and labels.grid_shape((3, 3), 0) is None
    html = labels.grid_html(numpy.arange(1.0, 7.0).reshape(2, 3), 2, 3, "data")
    cells = [part.split("</TD>")[0] for part in html.split('BGCOLOR="#ffffff">')[1:]]
    assert cells == ["1", "2", "3", "4", "5", "6"]  # integral grids print integers, row by row
    assert "0.5" in labels.grid_html(numpy.array([[0.5, -1.25]]), 1, 2, "grad")
    assert labels.html_escape("a<b & c>") == "a&lt;b &amp; c&gt;"


def test_shapes_numbers_and_index_keys():
    assert labels.format_shape(()) == "()"
    assert labels.format_shape((6,)) == "(6,)"
    assert labels.tensor_description((2, 3), "float32", None) == "(2, 3) float32"
    assert labels.tensor_description((2, 3), "float16", "cuda:0") == "(2, 3) float16 cuda:0"
    assert labels.format_values(numpy.array(2.0, dtype=numpy.float32)) == "2.0000"
    assert labels.format_values(numpy.array([1.5, -3e-6])) == "[1.5000, -3.000e-06]"
    assert labels.index_text((slice(None), 0, slice(2, 5), Ellipsis)) == "[:, 0, 2:5, ...]"
    assert labels.index_text(numpy.array([0, 2])) == "[<index (2,)>]"


def test_record_fields_are_escaped():
    assert labels.record_escape("a|b{c}") == "a\\|b\\{c\\}"
