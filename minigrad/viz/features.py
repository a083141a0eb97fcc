"""Kernels, feature maps, padding modes and training curves.

Every picture shows exactly the numbers it was given: each image's array is the slice it
claims to be (artist gid ``"kernel o,c"``, ``"map c"``, ``"mode <name>"``), each curve's data
the history's values (gid ``"curve <name>"``), so tests can compare them with the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from minigrad.viz import mpl


def plot_kernels(weight: Any, *, numbers: bool | None = None, rgb: bool = False, cmap: str = "gray",
                 title: str | None = None, names: Sequence[str] | None = None) -> Any:
    """A convolution's kernels: ``weight`` (O, C, kh, kw) as O rows of C small images.

    Args:
        numbers: write each weight in its cell (default: when kernels are at most 3x3 and
            there are at most 16 images).
        rgb: draw each 3-channel kernel as ONE colour image (channels -> red, green, blue,
            rescaled to [0, 1] together), as the lecture pictures RGB kernels.
        cmap: colour map of one-channel images; each kernel is scaled on its own.
        names: one title per output channel (e.g. ``["edges", ...]``).

    Artists: images with gid ``"kernel o,c"`` (``"kernel o"`` for rgb), numbers
    ``"weight o,c,i,j"``.
    """
    array = mpl.host(weight).astype("float64")
    if array.ndim == 2:
        array = array[None, None]
    if array.ndim != 4:
        raise ValueError(f"plot_kernels expects a weight (O, C, kh, kw), got shape {array.shape}")
    out_channels, channels, kh, kw = array.shape
    if rgb and channels != 3:
        raise ValueError(f"rgb=True needs 3 input channels, the weight has {channels}")
    # One image per kernel (one channel, or rgb): a row, wrapped at 8; else O rows of C.
    single = rgb or channels == 1
    columns = min(out_channels, 8) if single else channels
    rows = -(-out_channels // columns) if single else out_channels
    if numbers is None:
        numbers = not rgb and kh * kw <= 9 and out_channels * channels <= 16
    cell = 0.36 * max(kh, kw) if numbers else 1.0
    fig, axes = mpl.pyplot().subplots(rows, columns, figsize=(columns * cell + 0.6, rows * (cell + 0.25) + 0.6),
                                      squeeze=False)
    for ax in axes.reshape(-1):
        ax.set_xticks([])
        ax.set_yticks([])
    if single:
        for ax in axes.reshape(-1)[out_channels:]:
            ax.set_visible(False)
    for o in range(out_channels):
        for c in range(1 if single else channels):
            ax = axes.reshape(-1)[o] if single else axes[o, c]
            if rgb:
                picture = array[o].transpose(1, 2, 0)
                low, high = picture.min(), picture.max()
                ax.imshow((picture - low) / (high - low or 1.0), interpolation="nearest").set_gid(f"kernel {o}")
            else:
                ax.imshow(array[o, c], cmap=cmap, interpolation="nearest").set_gid(f"kernel {o},{c}")
                if numbers:
                    middle = (array[o, c].max() + array[o, c].min()) / 2
                    for i in range(kh):
                        for j in range(kw):
                            value = array[o, c, i, j]
                            ax.text(j, i, _short(value), ha="center", va="center", fontsize=7,
                                    color="black" if value > middle else "white").set_gid(f"weight {o},{c},{i},{j}")
            label = names[o] if names else f"kernel {o}"
            if single:
                ax.set_title(label, fontsize=8)
            elif c == 0:
                ax.set_ylabel(label, fontsize=8)
            if not single and o == 0:
                ax.set_title(f"in {c}", fontsize=8)
    fig.suptitle(title or f"{out_channels} kernels of {channels}x{kh}x{kw}" + (" (as RGB)" if rgb else ""),
                 fontsize=10)
    return fig


def _short(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def plot_feature_maps(maps: Any, *, columns: int = 8, cmap: str = "viridis", title: str | None = None,
                      names: Sequence[str] | None = None) -> Any:
    """Stacked feature maps (C, H, W) (or (1, C, H, W)) as C images in a grid.

    Artists: images with gid ``"map c"``.
    """
    array = mpl.host(maps).astype("float64")
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(f"plot_feature_maps expects maps (C, H, W), got shape {array.shape}")
    count = array.shape[0]
    columns = min(columns, count)
    rows = -(-count // columns)
    fig, axes = mpl.pyplot().subplots(rows, columns, figsize=(1.3 * columns + 0.3, 1.35 * rows + 0.5),
                                      squeeze=False)
    for index, ax in enumerate(axes.reshape(-1)):
        ax.set_xticks([])
        ax.set_yticks([])
        if index >= count:
            ax.set_visible(False)
            continue
        ax.imshow(array[index], cmap=cmap, interpolation="nearest").set_gid(f"map {index}")
        ax.set_title(names[index] if names else f"{index}", fontsize=8)
    fig.suptitle(title or f"{count} feature maps of {array.shape[1]}x{array.shape[2]}", fontsize=10)
    return fig


def plot_images(images: Any, *, labels: Sequence[Any] | None = None, columns: int = 8,
                cmap: str = "gray", title: str | None = None) -> Any:
    """A row (or grid) of images (N, H, W) / (N, 1, H, W), e.g. MNIST digits; gid ``"image n"``."""
    array = mpl.host(images).astype("float64")
    if array.ndim == 4:
        array = array[:, 0]
    figure = plot_feature_maps(array, columns=columns, cmap=cmap, title=title or "",
                               names=[str(label) for label in labels] if labels is not None else None)
    for ax in figure.axes:
        for image in ax.images:
            image.set_gid(image.get_gid().replace("map", "image"))
    return figure


def plot_padding_modes(image: Any, padding: int, modes: Sequence[str] = ("zeros", "reflect", "replicate",
                                                                            "circular"),
                       numbers: bool | None = None) -> Any:
    """One image padded by ``padding`` in each of ``nn.Conv2d``'s padding modes, side by side;
    the original's frame outlined. ``"zeros"`` is ``F.pad(..., mode="constant")``.

    Artists: images with gid ``"mode <name>"`` (their arrays are ``F.pad``'s output), frames
    ``"frame <name>"``, numbers ``"value <name> r,c"``.
    """
    import minigrad
    import minigrad.nn.functional as F

    array = mpl.host(image).astype("float64")
    if array.ndim != 2:
        raise ValueError(f"plot_padding_modes takes a 2-D image, got shape {array.shape}")
    h, w = array.shape
    if numbers is None:
        numbers = (h + 2 * padding) * (w + 2 * padding) <= 100
    fig, axes = mpl.pyplot().subplots(1, len(modes), figsize=(2.4 * len(modes), 2.7), squeeze=False)
    source = minigrad.tensor(array).reshape(1, 1, h, w)
    for ax, mode in zip(axes[0], modes):
        padded = F.pad(source, [padding] * 4, mode="constant" if mode == "zeros" else mode)
        values = mpl.host(padded[0, 0])
        ax.imshow(values, cmap="Blues", interpolation="nearest", vmin=array.min() - 1,
                  vmax=array.max() + 1).set_gid(f"mode {mode}")
        mpl.rectangle(ax, padding - 0.5, padding - 0.5, w, h, f"frame {mode}", facecolor="none",
                      edgecolor=mpl.PALETTE[3], linewidth=2)
        if numbers:
            for r in range(values.shape[0]):
                for c in range(values.shape[1]):
                    ax.text(c, r, _short(values[r, c]), ha="center", va="center", fontsize=7).set_gid(
                        f"value {mode} {r},{c}")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"padding_mode='{mode}'", fontsize=9)
    fig.suptitle(f"a {h}x{w} image padded by {padding}", fontsize=10)
    return fig


def plot_training_curves(history: Mapping[str, Sequence[float]] | Sequence[Mapping[str, float]], *,
                         x: str | None = None, title: str | None = None) -> Any:
    """Training curves: one panel per kind (losses together, accuracies together).

    ``history`` is ``{"train_loss": [...], "test_accuracy": [...], ...}`` or a list of
    per-step/epoch records (``train_mnist.py``'s ``history``). ``x`` names the key holding the
    x values (``"step"``, ``"epoch"``); default: 1, 2, 3... Artists: lines with gid
    ``"curve <name>"``.
    """
    if not isinstance(history, Mapping):
        records = list(history)
        keys = list(dict.fromkeys(key for record in records for key in record))
        history = {key: [record.get(key) for record in records] for key in keys}
    xs = history.get(x) if x else None
    series = {key: list(values) for key, values in history.items() if key != x and _numeric(values)}
    losses = {k: v for k, v in series.items() if "loss" in k}
    accuracies = {k: v for k, v in series.items() if "acc" in k}
    others = {k: v for k, v in series.items() if k not in losses and k not in accuracies and "second" not in k}
    panels = [(name, group) for name, group in (("loss", losses), ("accuracy", accuracies), ("", others)) if group]
    if not panels:
        raise ValueError("plot_training_curves: the history has no numeric series")
    fig, axes = mpl.pyplot().subplots(1, len(panels), figsize=(4.2 * len(panels), 3.0), squeeze=False)
    for ax, (name, group) in zip(axes[0], panels):
        for index, (key, values) in enumerate(group.items()):
            points = [(xs[i] if xs else i + 1, v) for i, v in enumerate(values) if v is not None]
            ax.plot([p[0] for p in points], [p[1] for p in points], color=mpl.PALETTE[index % len(mpl.PALETTE)],
                    marker="o" if len(points) < 30 else None, markersize=3, label=key)[0].set_gid(f"curve {key}")
        ax.set_xlabel(x or "record", fontsize=9)
        ax.set_ylabel(name, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _numeric(values: Sequence[Any]) -> bool:
    return all(v is None or isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) and any(
        v is not None for v in values)
