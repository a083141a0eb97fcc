"""scripts/draw_features.py draws a checkpoint's own kernels and the digit's own feature maps."""

from __future__ import annotations

import numpy as np
import pytest
from minigrad.models import LeNet, LeNet5

import minigrad
import minigrad.nn.functional as F
from scripts.draw_features import feature_pictures, load_model, main


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def images_by_gid(figure):
    return {image.get_gid(): np.asarray(image.get_array()) for ax in figure.axes for image in ax.images}


def write_checkpoint(path, model, name):
    history = [{"epoch": 1, "train_loss": 0.5, "test_loss": 0.2, "test_accuracy": 0.95},
               {"epoch": 2, "train_loss": 0.1, "test_loss": 0.1, "test_accuracy": 0.98}]
    minigrad.save({"model": model.state_dict(), "args": {"model": name}, "history": history}, path)


@pytest.mark.parametrize("model_class, name", [(LeNet, "lenet"), (LeNet5, "lenet5")])
def test_pictures_show_the_checkpoints_kernels_and_feature_maps(tmp_path, pyplot, model_class, name):
    minigrad.manual_seed(3)
    original = model_class()
    write_checkpoint(tmp_path / "model.npz", original, name)
    model, state = load_model(tmp_path / "model.npz")
    assert type(model) is model_class
    image = np.random.default_rng(0).standard_normal((1, 28, 28)).astype("float32")
    figures = feature_pictures(model, image, label=4, history=state["history"])
    assert sorted(figures) == ["conv1_kernels", "conv1_maps", "conv2_kernels", "conv2_maps", "digit",
                               "training_curves"]
    kernels = images_by_gid(figures["conv1_kernels"])
    for o in range(6):
        np.testing.assert_allclose(kernels[f"kernel {o},0"], original.conv1.weight[o, 0].detach().numpy())
    assert len(images_by_gid(figures["conv2_kernels"])) == 16 * 6
    activation = F.relu if name == "lenet" else minigrad.Tensor.tanh
    with minigrad.no_grad():
        expected = activation(original.conv1(minigrad.tensor(image).reshape(1, 1, 28, 28)))
    maps = images_by_gid(figures["conv1_maps"])
    for c in range(6):
        np.testing.assert_allclose(maps[f"map {c}"], expected[0, c].numpy(), rtol=1e-5, atol=1e-6)
    curves = {line.get_gid(): list(line.get_ydata()) for ax in figures["training_curves"].axes for line in ax.lines}
    assert curves["curve test_accuracy"] == [0.95, 0.98]
    assert "label 4" in " ".join(t.get_text() for t in figures["digit"].axes[0].texts)


def test_command_writes_every_picture(tmp_path, pyplot, mnist_path, capsys):
    minigrad.manual_seed(0)
    write_checkpoint(tmp_path / "model.npz", LeNet(), "lenet")
    out = tmp_path / "pictures"
    assert main([str(tmp_path / "model.npz"), "--out", str(out), "--digit", "3", "--data-dir", str(mnist_path)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"{n}.png" for n in ("conv1_kernels", "conv2_kernels", "digit", "conv1_maps",
                                                  "conv2_maps", "training_curves"))
    assert all((out / name).read_bytes()[:4] == b"\x89PNG" for name in written)
    assert "wrote" in capsys.readouterr().out


def test_bad_checkpoint_is_one_line_of_error(tmp_path, pyplot, capsys):
    minigrad.save({"weights": minigrad.zeros(2)}, tmp_path / "other.npz")
    assert main([str(tmp_path / "other.npz")]) == 2
    assert "not a train_mnist.py checkpoint" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.npz")]) == 2
