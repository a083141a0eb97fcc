"""Write the small real MNIST subset that ships inside minigrad (minigrad/data/mnist_sample/).

    python scripts/make_mnist_sample.py /path/to/mnist     # the four official IDX files

Takes the first 400 images of each digit from MNIST's training set and the first 100 of each
digit from its test set, in file order, interleaved by digit (0, 1, ..., 9, 0, 1, ...) so that
an unshuffled loader sees every class; writes them as gzipped IDX files (mtime 0, so the bytes
are reproducible). MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, under
CC BY-SA 3.0; the subset keeps that licence (see the folder's README.md).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minigrad.data.idx import read_idx  # noqa: E402

PER_CLASS = {"train": 400, "t10k": 100}
TARGET = Path(__file__).resolve().parent.parent / "minigrad" / "data" / "mnist_sample"


def interleaved_subset(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` examples of each class, ordered 0..9, 0..9, ..."""
    firsts = [np.flatnonzero(labels == digit)[:per_class] for digit in range(10)]
    return np.stack(firsts, axis=1).reshape(-1)


def write_idx_gz(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(header + array.astype(np.uint8).tobytes())


def main(source: Path) -> None:
    TARGET.mkdir(exist_ok=True)
    for split, per_class in PER_CLASS.items():
        images = read_idx(next(source.glob(f"{split}-images-idx3-ubyte*")), ndim=3)
        labels = read_idx(next(source.glob(f"{split}-labels-idx1-ubyte*")), ndim=1)
        chosen = interleaved_subset(labels, per_class)
        write_idx_gz(TARGET / f"{split}-images-idx3-ubyte.gz", images[chosen])
        write_idx_gz(TARGET / f"{split}-labels-idx1-ubyte.gz", labels[chosen])
    print(f"wrote {TARGET}: " + ", ".join(f"{p.name} {p.stat().st_size:,} B" for p in sorted(TARGET.glob("*.gz"))))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
