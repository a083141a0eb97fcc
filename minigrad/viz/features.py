"""Kernels, feature maps, padding modes and training curves.

Every picture shows exactly the numbers it was given: each image's array is the slice it
claims to be (artist gid ``"kernel o,c"``, ``"map c"``, ``"mode <name>"``), each curve's data
the history's values (gid ``"curve <name>"``), so tests can compare them with the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from minigrad.viz import mpl


def _tiles(images: list[Any], gids: list[str], titles: list[str], columns: int, *, cmap: str | None,
           size: float, title: str, row_labels: list[str] | None = None,
           numbers: list[Any] | None = None) -> Any:
    """Draw ``images`` on ONE axes, each in its own cell of a grid (``imshow`` with an
    extent): far cheaper than one axes per image when there are dozens. Each image keeps its
    own colour scale. ``numbers[i]`` (an array or None) is written over image ``i``."""
    count = len(images)
    rows = -(-count // columns)
    height, width = images[0].shape[:2]
    gap = max(height, width) * 0.25
    step_x, step_y = width + gap, height + gap * (1.6 if any(titles) else 1.0)
    label_room = width * 0.9 if row_labels else 0.0
    fig, ax = mpl.subplots(size=(size * columns + (size * 0.9 if row_labels else 0) + 0.3,
                                 size * rows * step_y / step_x + 0.55))
    for index, (image, gid) in enumerate(zip(images, gids)):
        row, column = divmod(index, columns)
        left, top = label_room + column * step_x, row * step_y + (gap * 0.6 if any(titles) else 0)
        extent = (left - 0.5, left + width - 0.5, top + height - 0.5, top - 0.5)
        ax.imshow(image, cmap=cmap, interpolation="nearest", extent=extent).set_gid(gid)
        if titles[index]:
            ax.text(left + width / 2 - 0.5, top - 0.5 - gap * 0.15, titles[index], ha="center", va="bottom",
                    fontsize=8)
        values = numbers[index] if numbers else None
        if values is not None:
            middle = (values.max() + values.min()) / 2
            for i in range(values.shape[0]):
                for j in range(values.shape[1]):
                    ax.text(left + j, top + i, _short(values[i, j]), ha="center", va="center", fontsize=7,
                            color="black" if values[i, j] > middle else "white").set_gid(f"weight {gid[7:]},{i},{j}")
    for row, text in enumerate(row_labels or []):
        ax.text(label_room - gap, row * step_y + height / 2, text, ha="right", va="center", fontsize=8)
    ax.set_xlim(-0.5 - (label_room and 0), label_room + columns * step_x - gap - 0.5 + 0.01)
    ax.set_ylim(rows * step_y - gap * 0.4, -0.5 - 0.01)
    ax.set_aspect("equal")
    mpl.bare(ax)
    ax.set_title(title, fontsize=10)
    return fig


def plot_kernels(weight: Any, *, numbers: bool | None = None, rgb: bool = False, cmap: str = "gray",
                 title: str | None = None, names: Sequence[str] | None = None) -> Any:
    """A convolution's kernels: ``weight`` (O, C, kh, kw) as O rows of C small images (one
    row of O images when C is 1 or ``rgb``).

    Args:
        numbers: write each weight in its cell (default: when kernels are at most 3x3 and
            there are at most 16 images).
        rgb: draw each 3-channel kernel as ONE colour image (channels -> red, green, blue,
            rescaled to [0, 1] together), as the lecture pictures RGB kernels.
        cmap: colour map of one-channel images; each kernel is scaled on its own.
        names: one label per output channel (e.g. ``["edges", ...]``).

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
    if numbers is None:
        numbers = not rgb and kh * kw <= 9 and out_channels * channels <= 16
    labels = list(names) if names else [f"kernel {o}" for o in range(out_channels)]
    default = f"{out_channels} kernels of {channels}x{kh}x{kw}" + (" (as RGB)" if rgb else "")
    size = 0.55 * max(kh, kw) if numbers else 1.0
    if rgb:
        images = []
        for o in range(out_channels):
            picture = array[o].transpose(1, 2, 0)
            low, high = picture.min(), picture.max()
            images.append((picture - low) / (high - low or 1.0))
        return _tiles(images, [f"kernel {o}" for o in range(out_channels)], labels, min(out_channels, 8),
                      cmap=None, size=size, title=title or default)
    if channels == 1:
        images = [array[o, 0] for o in range(out_channels)]
        return _tiles(images, [f"kernel {o},0" for o in range(out_channels)], labels, min(out_channels, 8),
                      cmap=cmap, size=size, title=title or default, numbers=images if numbers else None)
    images = [array[o, c] for o in range(out_channels) for c in range(channels)]
    gids = [f"kernel {o},{c}" for o in range(out_channels) for c in range(channels)]
    titles = [f"in {c}" if o == 0 else "" for o in range(out_channels) for c in range(channels)]
    return _tiles(images, gids, titles, channels, cmap=cmap, size=size, title=title or default,
                  row_labels=labels, numbers=images if numbers else None)


def _short(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def plot_feature_maps(maps: Any, *, columns: int = 8, cmap: str = "viridis", title: str | None = None,
                      names: Sequence[str] | None = None) -> Any:
    """Stacked feature maps (C, H, W) (or (1, C, H, W)) as C images in a grid, each on its own
    colour scale. Artists: images with gid ``"map c"``."""
    array = mpl.host(maps).astype("float64")
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(f"plot_feature_maps expects maps (C, H, W), got shape {array.shape}")
    count = array.shape[0]
    columns = min(columns, count)
    default = f"{count} feature maps of {array.shape[1]}x{array.shape[2]}"
    titles = list(names) if names else [str(c) for c in range(count)]
    return _tiles([array[c] for c in range(count)], [f"map {c}" for c in range(count)], titles, columns,
                  cmap=cmap, size=1.3 if columns > 4 else 1.75, title=default if title is None else title)


def plot_images(images: Any, *, labels: Sequence[Any] | None = None, columns: int = 8,
                cmap: str = "gray", title: str | None = None) -> Any:
    """A row (or grid) of images (N, H, W) / (N, 1, H, W), e.g. MNIST digits; gid ``"image n"``,
    each image's label above it."""
    array = mpl.host(images).astype("float64")
    if array.ndim == 4:
        array = array[:, 0]
    count = array.shape[0]
    titles = [str(label) for label in labels] if labels is not None else [""] * count
    return _tiles([array[n] for n in range(count)], [f"image {n}" for n in range(count)], titles,
                  min(columns, count), cmap=cmap, size=1.6, title=title or "")


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
