"""The matplotlib teaching pictures draw what they claim: the cells a window covers, the im2col
matrix's numbers, the pixels a kernel tap meets, receptive fields, kernels, feature maps, padding
modes, training curves and the 1-D convolution's terms, each checked against minigrad or PyTorch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import viz
from minigrad.viz import mpl

CONFIGS = [  # input size, kernel, stride, padding, dilation
    (5, 3, 1, 0, 1),
    (5, 3, 2, 1, 1),
    (5, 3, 3, 0, 1),  # the "invalid" stride: 2 rows and columns never read
    (7, 3, 1, 0, 2),
    ((6, 7), (2, 3), (2, 1), (1, 0), (1, 2)),
]


def pair(v):
    return (v, v) if isinstance(v, int) else v


def numbered(size):
    h, w = pair(size)
    return minigrad.arange(1.0, h * w + 1).reshape(1, 1, h, w)


def gids(figure, prefix):
    """The artist ids starting with ``prefix`` on every axes of ``figure``."""
    found = []
    for ax in figure.axes:
        for artist in [*ax.patches, *ax.texts, *ax.images, *ax.lines]:
            gid = artist.get_gid()
            if gid and gid.startswith(prefix):
                found.append((gid, artist))
    return found


def cell_of(gid):
    """``"window 0,1: 2,3"`` -> (2, 3)."""
    r, c = gid.rsplit(" ", 1)[-1].split(",")
    return int(r), int(c)


@pytest.mark.parametrize("config", CONFIGS)
def test_window_cells_are_the_numbers_unfold_puts_in_each_column(config):
    size, kernel, stride, padding, dilation = config
    columns = F.unfold(numbered(size), kernel, dilation, padding, stride)[0].numpy()
    ho, wo = viz.output_shape(size, kernel, stride, padding, dilation)
    h, w = pair(size)
    for y in range(ho):
        for x in range(wo):
            cells = viz.window_cells(size, kernel, stride, padding, dilation, (y, x))
            expected = [r * w + c + 1 if 0 <= r < h and 0 <= c < w else 0 for r, c in cells]
            assert columns[:, y * wo + x].tolist() == expected


@pytest.mark.parametrize("config", CONFIGS)
def test_unused_cells_are_where_fold_of_unfold_is_zero(config):
    size, kernel, stride, padding, dilation = config
    h, w = pair(size)
    counts = F.fold(F.unfold(minigrad.ones(1, 1, h, w), kernel, dilation, padding, stride), (h, w), kernel,
                    dilation, padding, stride)[0, 0].numpy()
    assert viz.unused_cells(size, kernel, stride, padding, dilation) == [tuple(c) for c in np.argwhere(counts == 0)]
    assert len(viz.unused_cells(5, 3, 3)) == 16  # only the top-left 3x3 of a 5x5 is read


def test_plot_windows_draws_each_window_padding_and_unused_cells(pyplot):
    figure = viz.plot_windows(5, 3, stride=2, padding=1, outputs=[(0, 0), (1, 2)])
    for output in [(0, 0), (1, 2)]:
        drawn = sorted(cell_of(g) for g, _ in gids(figure, f"window {output[0]},{output[1]}:"))
        assert drawn == sorted(viz.window_cells(5, 3, 2, 1, 1, output))
    assert len(gids(figure, "padding")) == 7 * 7 - 25 and len(gids(figure, "cell")) == 25
    values = {cell_of(g): t.get_text() for g, t in gids(figure, "value")}
    assert values[(0, 0)] == "1" and values[(4, 4)] == "25" and values[(-1, -1)] == "0"
    assert "Ho = (5 + 2*1 - 1*(3-1) - 1) // 2 + 1 = 3" in figure.axes[0].get_title()
    invalid = viz.plot_windows(5, 3, stride=3, outputs="all")
    assert sorted(cell_of(g) for g, _ in gids(invalid, "unused")) == viz.unused_cells(5, 3, 3)
    assert len(gids(invalid, "window")) == 9 and "16 cells never read" in invalid.axes[0].get_title()
    with pytest.raises(ValueError, match="outside"):
        viz.plot_windows(5, 3, outputs=[(3, 0)])


def test_kernel_taps_found_by_autograd_agree_with_the_window_arithmetic():
    for tap in [(0, 0), (2, 2), (1, 0)]:
        partners = viz.kernel_tap_cells(5, 3, tap)
        index = tap[0] * 3 + tap[1]
        assert partners == {out: viz.window_cells(5, 3, 1, 0, 1, out)[index] for out in partners}
    assert viz.kernel_tap_cells(5, 3, (0, 0))[(2, 2)] == (2, 2)
    assert viz.kernel_tap_cells(5, 3, (2, 2))[(0, 0)] == (2, 2)
    padded = viz.kernel_tap_cells(5, 3, (0, 0), stride=2, padding=1)
    assert padded[(0, 0)] is None and padded[(1, 1)] == (1, 1)  # on padding, then (2-1, 2-1)


def test_plot_kernel_tap_lights_one_pixel_per_output(pyplot):
    figure = viz.plot_kernel_tap(5, 3, (2, 2))
    assert sorted(cell_of(g) for g, _ in gids(figure, "tap")) == [(r, c) for r in range(2, 5) for c in range(2, 5)]
    labels = {cell_of(g): t.get_text() for g, t in gids(figure, "serves")}
    assert labels[(2, 2)] == "y00" and labels[(4, 4)] == "y22"


def test_plot_grid_writes_the_numbers_and_highlights(pyplot):
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    figure = viz.plot_grid(sobel, highlight=[(0, 0), (2, 2)])
    values = {cell_of(g): t.get_text() for g, t in gids(figure, "value")}
    assert [values[(r, c)] for r in range(3) for c in range(3)] == [str(v) for v in sobel.reshape(-1)]
    assert sorted(cell_of(g) for g, _ in gids(figure, "highlight")) == [(0, 0), (2, 2)]
    masked = viz.plot_grid(np.zeros((2, 2)), highlight=np.array([[True, False], [False, True]]), numbers=False)
    assert sorted(cell_of(g) for g, _ in gids(masked, "highlight")) == [(0, 0), (1, 1)]
    assert gids(masked, "value") == []


def test_im2col_picture_is_the_unfold_matrix_and_the_gemm_is_the_convolution(pyplot, torch):
    image = np.arange(1.0, 17.0).reshape(4, 4)
    kernel = np.arange(1.0, 10.0).reshape(3, 3)
    matrix = viz.im2col_matrix(image, 3)
    expected = torch.nn.functional.unfold(torch.tensor(image).reshape(1, 1, 4, 4), 3)[0].numpy()
    np.testing.assert_array_equal(matrix, expected)
    figure = viz.plot_im2col(image, 3, kernel=kernel)
    drawn = np.zeros_like(matrix)
    for gid, text in gids(figure, "column"):
        i, j = map(int, gid.split(" ")[1].split(","))
        drawn[i, j] = float(text.get_text())
    np.testing.assert_array_equal(drawn, matrix)
    products = [float(t.get_text()) for _, t in sorted(gids(figure, "product "), key=lambda p: p[0])]
    convolution = F.conv2d(minigrad.tensor(image).reshape(1, 1, 4, 4), minigrad.tensor(kernel).reshape(1, 1, 3, 3))
    assert products == convolution.reshape(-1).tolist() == [348.0, 393.0, 528.0, 573.0]
    outlined = sorted(cell_of(g) for g, _ in gids(figure, "window 1,1:"))
    assert outlined == sorted(viz.window_cells(4, 3, output=(1, 1)))
    with pytest.raises(ValueError, match="kernel has 4 numbers"):
        viz.plot_im2col(image, 3, kernel=np.ones(4))


def test_receptive_field_of_stacked_layers_grows_as_the_arithmetic_says():
    k5 = minigrad.ones(1, 1, 5, 5, dtype=minigrad.float64)

    def two_layers(x):  # LeNet's shape: conv 5x5, 2x2 pooling, conv 5x5
        return F.conv2d(F.avg_pool2d(F.conv2d(x, k5, padding=2), 2), k5)

    mask = viz.receptive_field(two_layers, (1, 1, 28, 28), (0, 0, 5, 5))[0, 0]
    rows, cols = np.nonzero(mask)
    # conv2 output 5 reads pool cells 5..9 = conv1 outputs 10..19, which read input 8..21.
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (8, 21, 8, 21) and mask.sum() == 14 * 14


def test_influence_is_the_full_convolution_of_a_pixel_with_the_kernel():
    kernel = minigrad.ones(1, 1, 3, 3, dtype=minigrad.float64)
    for pixel in [(2, 2), (0, 0), (1, 4)]:
        touched = viz.influence(lambda x: F.conv2d(x, kernel), (1, 1, 5, 5), (0, 0, *pixel))[0, 0]
        expected = [[0 <= pixel[0] - y < 3 and 0 <= pixel[1] - x < 3 for x in range(3)] for y in range(3)]
        assert touched.tolist() == expected


def test_plot_receptive_field_draws_the_mask(pyplot):
    mask = np.zeros((6, 6), dtype=bool)
    mask[1:4, 2:5] = True
    figure = viz.plot_receptive_field(mask, image=np.ones((6, 6)))
    (field,) = [artist for gid, artist in gids(figure, "field") if gid == "field"]
    np.testing.assert_array_equal(np.asarray(field.get_array())[..., 3] > 0, mask)
    (_, box), = gids(figure, "field box")
    assert box.get_label() == "1,2-3,4" and "3x3" in figure.axes[0].get_title()


def test_plot_kernels_shows_every_kernel_slice(pyplot):
    weight = np.random.default_rng(0).standard_normal((4, 3, 3, 3))
    figure = viz.plot_kernels(minigrad.tensor(weight))
    images = dict(gids(figure, "kernel"))
    assert len(images) == 12
    for o in range(4):
        for c in range(3):
            np.testing.assert_allclose(images[f"kernel {o},{c}"].get_array(), weight[o, c])
    assert len(gids(figure, "weight")) == 4 * 3 * 9  # 3x3 kernels print their numbers
    rgb = viz.plot_kernels(weight, rgb=True)
    drawn = np.asarray(dict(gids(rgb, "kernel"))["kernel 2"].get_array())
    picture = weight[2].transpose(1, 2, 0)
    np.testing.assert_allclose(drawn, (picture - picture.min()) / (picture.max() - picture.min()))
    with pytest.raises(ValueError, match="3 input channels"):
        viz.plot_kernels(np.ones((2, 1, 3, 3)), rgb=True)


def test_plot_feature_maps_and_images(pyplot):
    maps = np.random.default_rng(1).random((1, 6, 5, 5))
    figure = viz.plot_feature_maps(maps, columns=4)
    drawn = dict(gids(figure, "map"))
    assert sorted(drawn) == [f"map {c}" for c in range(6)]
    np.testing.assert_allclose(drawn["map 5"].get_array(), maps[0, 5])
    digits = viz.plot_images(np.zeros((3, 1, 28, 28)), labels=[7, 2, 1])
    assert sorted(dict(gids(digits, "image"))) == ["image 0", "image 1", "image 2"]
    assert [t.get_text() for t in digits.axes[0].texts] == ["7", "2", "1"]  # each label above its image


def test_plot_padding_modes_shows_pytorchs_padding(pyplot, torch):
    image = np.arange(1.0, 10.0).reshape(3, 3)
    figure = viz.plot_padding_modes(image, 2)
    images = dict(gids(figure, "mode"))
    for mode in ("zeros", "reflect", "replicate", "circular"):
        torch_mode = "constant" if mode == "zeros" else mode
        expected = torch.nn.functional.pad(torch.tensor(image).reshape(1, 1, 3, 3), (2, 2, 2, 2), mode=torch_mode)
        np.testing.assert_array_equal(images[f"mode {mode}"].get_array(), expected[0, 0].numpy())
    (_, frame), = gids(figure, "frame reflect")
    assert (frame.get_x(), frame.get_y(), frame.get_width(), frame.get_height()) == (1.5, 1.5, 3, 3)


def test_plot_training_curves_draws_the_history(pyplot):
    history = [{"epoch": 1, "train_loss": 0.9, "test_loss": 0.5, "test_accuracy": 0.8},
               {"epoch": 2, "train_loss": 0.4, "test_loss": 0.3, "test_accuracy": 0.9}]
    figure = viz.plot_training_curves(history, x="epoch")
    lines = dict(gids(figure, "curve"))
    assert sorted(lines) == ["curve test_accuracy", "curve test_loss", "curve train_loss"]
    assert list(lines["curve train_loss"].get_xdata()) == [1, 2]
    assert list(lines["curve test_accuracy"].get_ydata()) == [0.8, 0.9]
    assert len(figure.axes) == 2  # losses together, accuracies together
    with pytest.raises(ValueError, match="no numeric"):
        viz.plot_training_curves({"name": ["a"]})


def test_one_dimensional_convolution_terms_and_picture(pyplot):
    x, h = [1.0, 2.0, 3.0, 4.0], [1.0, 0.0, -1.0]
    assert viz.convolve_1d(x, h).tolist() == np.convolve(x, h).tolist()
    terms = viz.convolution_terms(4, 4)
    assert [viz.terms_text(t) for t in terms[:4]] == [
        "h0 x0", "h0 x1 + h1 x0", "h0 x2 + h1 x1 + h2 x0", "h0 x3 + h1 x2 + h2 x1 + h3 x0"]
    assert all(m == k - n for k, pairs in enumerate(terms) for n, m in pairs)
    figure = viz.plot_convolution_1d(x, h, 2)
    placed = sorted(g for g, _ in gids(figure, "h "))
    assert placed == ["h 0 at 2", "h 1 at 1", "h 2 at 0"]  # flipped: h_n under x_(k-n)
    (_, total), = gids(figure, "y 2")
    assert total.get_text() == "y2 = 2"  # 1*3 + 0*2 + (-1)*1


def test_a_missing_matplotlib_gives_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    hint = r"pip install matplotlib.*pip install -e \"\.\[viz\]\""
    with pytest.raises(viz.MatplotlibNotFoundError, match=hint) as error:
        viz.plot_windows(5, 3)
    assert isinstance(error.value, ImportError)
    with pytest.raises(viz.MatplotlibNotFoundError):
        viz.plot_kernels(np.ones((1, 1, 3, 3)))
    assert mpl.INSTALL_HINT in str(error.value)


def test_importing_minigrad_viz_does_not_import_matplotlib():
    code = "import sys, minigrad.viz; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
