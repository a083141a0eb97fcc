"""Draw what a trained LeNet learned: its kernels, the feature maps of one digit, its curves.

    python scripts/train_mnist.py --save lenet.npz          # train (3 epochs, ~99%)
    python scripts/draw_features.py lenet.npz               # pictures into features/
    python scripts/draw_features.py lenet.npz --out pics --digit 7 --format svg

Writes conv1_kernels, conv2_kernels, digit, conv1_maps, conv2_maps and (when the checkpoint
holds a history) training_curves. The checkpoint is train_mnist.py's: its "model" state dict,
its "args" (which model) and its "history". Needs matplotlib (pip install matplotlib)
and MNIST's test images (--data-dir, else minigrad.data.MNIST's usual search).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

# Run from a checkout without installing: make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import viz  # noqa: E402


def load_model(checkpoint: str | Path) -> tuple[Any, dict]:
    """The model a train_mnist.py checkpoint describes, with its weights, and the checkpoint."""
    from minigrad.models import get_model

    state = minigrad.load(checkpoint)
    if "model" not in state:
        raise ValueError(f"{checkpoint} is not a train_mnist.py checkpoint: it has no 'model' entry")
    name = state.get("args", {}).get("model", "lenet")
    model = get_model(name)
    model.load_state_dict(state["model"])
    model.eval()
    return model, state


def feature_pictures(model: Any, image: Any, label: int | None = None, history: Any = None) -> dict[str, Any]:
    """Figures by name: both layers' kernels, the digit, the feature maps after each
    convolution and its activation, and the training curves when a history is given."""
    digit = minigrad.tensor(image).reshape(1, 1, 28, 28)
    activation = getattr(model, "relu", None) or getattr(model, "act", None) or F.relu
    with minigrad.no_grad():
        first = activation(model.conv1(digit))
        second = activation(model.conv2(model.pool1(first)))
        predicted = int(model(digit).argmax(1).item())
    conv1, conv2 = model.conv1.weight.detach(), model.conv2.weight.detach()
    caption = f"predicted {predicted}" + ("" if label is None else f" (label {label})")
    figures = {
        "conv1_kernels": viz.plot_kernels(conv1, cmap="RdBu_r", title=f"conv1: {conv1.shape[0]} kernels of "
                                          f"{conv1.shape[2]}x{conv1.shape[3]}"),
        "conv2_kernels": viz.plot_kernels(conv2, cmap="RdBu_r", numbers=False,
                                          title=f"conv2: {conv2.shape[0]} kernels of {conv2.shape[1]}x"
                                                f"{conv2.shape[2]}x{conv2.shape[3]} (rows: kernels)"),
        "digit": viz.plot_images(digit, labels=[caption]),
        "conv1_maps": viz.plot_feature_maps(first, columns=6, cmap="magma", title="after conv1 and its activation"),
        "conv2_maps": viz.plot_feature_maps(second, columns=8, cmap="magma", title="after conv2 and its activation"),
    }
    if history:
        figures["training_curves"] = viz.plot_training_curves(history, x="epoch" if "epoch" in history[0] else None)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw a trained LeNet checkpoint's kernels and feature maps.")
    parser.add_argument("checkpoint", help="a checkpoint written by scripts/train_mnist.py --save")
    parser.add_argument("--out", type=Path, default=Path("features"), help="folder (default: features)")
    parser.add_argument("--digit", type=int, default=0, help="index of the MNIST test image (default: 0)")
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--format", default="png", choices=["png", "svg", "pdf"], help="default: png")
    args = parser.parse_args(argv)
    try:
        viz.mpl.pyplot()
        model, state = load_model(args.checkpoint)
    except (OSError, ValueError, KeyError, RuntimeError, viz.MatplotlibNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from minigrad.data import MNIST

    test_set = MNIST(args.data_dir, train=False)
    if not 0 <= args.digit < len(test_set):
        print(f"error: --digit must lie in [0, {len(test_set)}), got {args.digit}", file=sys.stderr)
        return 2
    image, label = test_set[args.digit]
    args.out.mkdir(parents=True, exist_ok=True)
    for name, figure in feature_pictures(model, image, label, state.get("history")).items():
        path = args.out / f"{name}.{args.format}"
        figure.savefig(path, dpi=110, bbox_inches="tight")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
