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
    assert labels.backward_name("mul") == "MulBackward"
    assert labels.backward_name("conv2d") == "Conv2dBackward"
    assert labels.backward_name("constant_pad") == "ConstantPadBackward"
    assert labels.backward_name("my_package.ops.Cube") == "CubeBackward"


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
