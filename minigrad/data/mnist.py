"""MNIST and Fashion-MNIST: find the IDX files, else download them, else a 5,000-image sample.

Where the files are looked for (the four standard names, each raw or ``.gz``):

1. the ``root`` argument (scripts pass ``--data-dir`` here);
2. ``$MINIGRAD_DATA`` for MNIST, ``$MINIGRAD_DATA/fashion`` for Fashion-MNIST;
3. ``~/.cache/minigrad/mnist`` or ``~/.cache/minigrad/fashion-mnist``.

Local files of the official sizes are checked by MD5 (so Fashion-MNIST's files given as MNIST's,
or a corrupt copy, are named); files of other sizes are taken as the user's own IDX files.
Missing files are downloaded into that folder when ``download=True``: each mirror in turn,
saying what is fetched from where with a progress bar, 5-second socket timeouts, MD5 checked,
written atomically (temporary file, then ``os.replace``), so an interrupted download never
leaves a half file behind.

If that fails, MNIST (not Fashion-MNIST) falls back to the real 5,000-image subset that ships
inside minigrad (``minigrad/data/mnist_sample/``, 0.8 MB, made by scripts/make_mnist_sample.py):
the first 400 images of each digit of MNIST's training set as "train" (4,000) and the first 100
of each digit of its test set as "test" (1,000), interleaved by digit (0, 1, ..., 9, 0, 1, ...)
so that an unshuffled loader sees every class. It comes with one warning per process and
``is_sample = True``. MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, under
CC BY-SA 3.0 (the subset's README says so).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.data.dataset import Dataset
from minigrad.data.idx import IDXError, read_idx

# Per socket operation (connect, each read). A mirror that accepts and never answers costs this
# long, after a message that says what is being waited for.
DOWNLOAD_TIMEOUT_S = 5.0
DOWNLOAD_DEADLINE_S = 300.0  # per file in all, so a trickling server can't stall us forever
CHUNK_BYTES = 1 << 20
IMAGE_SIZE = (28, 28)
CLASS_COUNT = 10
SAMPLE_ROOT = Path(__file__).resolve().parent / "mnist_sample"


class DatasetNotFoundError(RuntimeError):
    """The data set is neither on disk nor downloadable; the message says how to get it."""


class SampleDatasetWarning(UserWarning):
    """A 5,000-image sample stands in for the full data set."""


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28.

    Args:
        root: folder with the IDX files (see the module docstring for the defaults).
        train: the training split if True, else the test split.
        download: fetch missing files from the mirrors.
        transform: applied to each image array of ``dataset[i]``.
        target_transform: applied to each int label of ``dataset[i]``.
        normalize: after scaling pixels to [0, 1], subtract ``mean`` and divide by ``std``.
        allow_sample: fall back to the 5,000-image sample that ships with minigrad rather than raise.

    Attributes:
        data: uint8 array ``(N, 28, 28)``. targets: int64 array ``(N,)``.
        is_sample: True when the 5,000-image sample stands in for the full data set.

    ``dataset[i]`` is ``(image, label)``: a float32 array ``(1, 28, 28)`` and an int.
    ``get_batch(indices)`` is ``(images, labels)``: Tensors ``(B, 1, 28, 28)`` float32 and
    ``(B,)`` int64.

    Raises:
        DatasetNotFoundError: no files, no download and no sample.
        IDXError: a local file is malformed, or images and labels disagree.
    """

    mirrors: tuple[str, ...] = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    md5s: dict[str, str] = {  # of the .gz files the mirrors serve
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    gz_sizes: dict[str, int] = {
        "train-images-idx3-ubyte": 9_912_422, "train-labels-idx1-ubyte": 28_881,
        "t10k-images-idx3-ubyte": 1_648_877, "t10k-labels-idx1-ubyte": 4_542,
    }
    raw_md5s: dict[str, str] = {  # of the decompressed files
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    }
    mean = 0.1307
    std = 0.3081
    env_subfolder = ""
    cache_folder = "mnist"
    has_sample = True
    display_name = "MNIST"

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        download: bool = True,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        normalize: bool = True,
        allow_sample: bool = True,
    ) -> None:
        self.root = self._resolve_root(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.normalize = normalize
        self.is_sample = False

        split = "train" if train else "t10k"
        names = (f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte")
        paths, problems = self._find_or_download(names, download)
        if paths is not None:
            self.data, self.targets = _read_pair(*paths)
            return
        if not (self.has_sample and allow_sample):
            raise DatasetNotFoundError(self._not_found_message(problems))
        self.data, self.targets = _read_pair(*(SAMPLE_ROOT / f"{name}.gz" for name in names))
        self.is_sample = True
        self._warn_sample(problems)

    # --- examples ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = self._to_float(self.data[index][None])[0]
        label: Any = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def get_batch(self, indices: np.ndarray) -> tuple[Any, Any]:
        """``(images (B, 1, 28, 28) float32, labels (B,) int64)`` as minigrad Tensors."""
        import minigrad

        if self.transform is not None or self.target_transform is not None:
            from minigrad.data.dataloader import default_collate

            return default_collate([self[int(index)] for index in indices])
        images = self._to_float(self.data[indices])
        return minigrad.from_numpy(images), minigrad.from_numpy(self.targets[indices])

    def _to_float(self, images: np.ndarray) -> np.ndarray:
        """uint8 ``(B, 28, 28)`` -> float32 ``(B, 1, 28, 28)``, scaled and maybe normalised."""
        # float32 constants: a Python float would not promote, but keep it explicit.
        scaled = images[:, None].astype(np.float32) / np.float32(255)
        if self.normalize:
            scaled -= np.float32(self.mean)
            scaled /= np.float32(self.std)
        return scaled

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        sample = ", SAMPLE" if self.is_sample else ""
        return f"{type(self).__name__}({split}, {len(self)} images{sample}, root={self.root})"

    # --- finding the files ---------------------------------------------------------------------

    @classmethod
    def _resolve_root(cls, root: str | os.PathLike[str] | None) -> Path:
        if root is not None:
            return Path(root).expanduser()
        from_env = os.environ.get("MINIGRAD_DATA")
        if from_env:
            return Path(from_env).expanduser() / cls.env_subfolder
        return Path.home() / ".cache" / "minigrad" / cls.cache_folder

    def _find_or_download(
        self, names: tuple[str, ...], download: bool
    ) -> tuple[list[Path] | None, list[str]]:
        """The files' paths, downloading missing ones; else ``None`` and what went wrong."""
        paths: list[Path] = []
        problems: list[str] = []
        if self.root.exists() and not self.root.is_dir():
            raise DatasetNotFoundError(f"{self.root} is a file, not a folder: pass the folder that holds the "
                                       f"{self.display_name} files")
        for name in names:
            path = _find_local(self.root, name)
            if path is not None:
                self._check_local(path, name)
            if path is None and not download:
                problems.append(f"{name}[.gz] is not in {self.root} and download=False")
            elif path is None:
                try:
                    path = download_file(name, self.md5s[name], self.mirrors, self.root)
                except DownloadError as error:
                    problems.append(str(error))
                    break  # the next file would fail the same way, after as many timeouts
            if path is not None:
                paths.append(path)
        return (paths, problems) if not problems else (None, problems)

    def _check_local(self, path: Path, name: str) -> None:
        """Refuse a file that is another data set's (Fashion-MNIST for MNIST...) or a corrupt copy.

        A file of the canonical size must have the canonical MD5; a file of another size is
        someone's own IDX file (a subset, a test fixture) and is only checked as IDX.
        """
        size = path.stat().st_size
        zipped = _is_gzip(path)
        if not any(dataset.knows(name, size, zipped) for dataset in _DATASETS):
            return  # someone's own IDX file
        digest = _md5(path)
        for other in _DATASETS:
            if other is type(self) or not other.knows(name, size, zipped):
                continue
            if other.matches(digest, name, zipped):
                raise IDXError(
                    f"{path} is {other.display_name}'s {name}, not {self.display_name}'s: point "
                    + ("--data-dir (root=) at the folder with the " + self.display_name + " files"
                       + (" (Fashion-MNIST's go in a 'fashion' subfolder of MNIST's for MINIGRAD_DATA)"
                          if self.env_subfolder or other.env_subfolder else ""))
                )
        if self.knows(name, size, zipped) and not self.matches(digest, name, zipped):
            raise IDXError(
                f"{path} has the size of {self.display_name}'s {name} but not its MD5: the file is corrupt "
                f"or from another data set. Delete it (it is downloaded again) or point --data-dir at a good copy"
            )

    @classmethod
    def knows(cls, name: str, size: int, zipped: bool) -> bool:
        """Whether ``size`` is this data set's size for file ``name`` (raw sizes are shared)."""
        if zipped:
            return cls.gz_sizes.get(name) == size
        return size == _raw_size(name)

    @classmethod
    def matches(cls, digest: str, name: str, zipped: bool) -> bool:
        """Whether ``digest`` is this data set's MD5 of file ``name`` (gzipped or raw)."""
        return digest == (cls.md5s if zipped else cls.raw_md5s).get(name)

    def _how_to_get(self) -> str:
        files = ", ".join(self.md5s)
        return (
            f"To use the full {type(self).__name__} data set, put its four files ({files}; "
            f"raw or .gz) in a folder and pass it as root= (in the scripts: --data-dir DIR) "
            f"or set MINIGRAD_DATA=DIR"
            + (" (Fashion-MNIST is read from DIR/fashion)" if self.env_subfolder else "")
            + f"; or run where {self.mirrors[0]} can be reached."
        )

    def _not_found_message(self, problems: list[str]) -> str:
        sample_hint = (
            " (allow_sample=True would use the 5,000-image sample that ships with minigrad.)"
            if self.has_sample else ""
        )
        return (
            f"{type(self).__name__} data not found: " + "; ".join(problems) + ". "
            + self._how_to_get() + sample_hint
        )

    def _warn_sample(self, problems: list[str]) -> None:
        message = (
            "USING A 5,000-IMAGE SAMPLE OF MNIST, NOT THE FULL DATA SET (4,000 train and 1,000 test "
            "images, shipped with minigrad; results are not comparable with full MNIST). Why: "
            + "; ".join(problems) + ". " + self._how_to_get()
        )
        if _warned_sample:  # once per process: the train and test splits share one reason
            return
        _warned_sample.append(message)
        warnings.warn(message, SampleDatasetWarning, stacklevel=3)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the same layout as :class:`MNIST`, clothes instead of digits.

    There is no sample to fall back to: without the files it raises DatasetNotFoundError.
    """

    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    md5s = {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    gz_sizes = {
        "train-images-idx3-ubyte": 26_421_880, "train-labels-idx1-ubyte": 29_515,
        "t10k-images-idx3-ubyte": 4_422_102, "t10k-labels-idx1-ubyte": 5_148,
    }
    raw_md5s = {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    }
    mean = 0.2860
    std = 0.3530
    env_subfolder = "fashion"
    cache_folder = "fashion-mnist"
    has_sample = False
    display_name = "Fashion-MNIST"


_DATASETS = (MNIST, FashionMNIST)
_warned_sample: list[str] = []

# --- local IDX files -----------------------------------------------------------------------------


def _raw_size(name: str) -> int:
    """The canonical size of an uncompressed file (the same for MNIST and Fashion-MNIST)."""
    count = 60_000 if name.startswith("train") else 10_000
    return 16 + count * 28 * 28 if "images" in name else 8 + count


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(2) == b"\x1f\x8b"


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _find_local(root: Path, name: str) -> Path | None:
    for candidate in (root / name, root / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_pair(image_path: Path, label_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images ``(N, 28, 28)`` and int64 labels ``(N,)``, checked against each other."""
    images = read_idx(image_path, ndim=3)
    labels = read_idx(label_path, ndim=1)
    if images.dtype != np.uint8 or images.shape[1:] != IMAGE_SIZE:
        raise IDXError(f"{image_path}: expected uint8 images N x 28 x 28, got "
                       f"{images.dtype.name} {images.shape}")
    if labels.dtype != np.uint8:
        raise IDXError(f"{label_path}: expected uint8 labels, got {labels.dtype.name}")
    if len(images) == 0:
        raise IDXError(f"{image_path} holds no images: a split must have at least one")
    if len(images) != len(labels):
        raise IDXError(f"{image_path} has {len(images)} images but {label_path} has "
                       f"{len(labels)} labels")
    if len(labels) and labels.max() >= CLASS_COUNT:
        raise IDXError(f"{label_path}: label {labels.max()} is outside 0..{CLASS_COUNT - 1}")
    return images, labels.astype(np.int64)


# --- download --------------------------------------------------------------------------------------


class DownloadError(OSError):
    """No mirror gave a file with the right MD5; the message lists each mirror's failure."""


def download_file(name: str, md5: str, mirrors: tuple[str, ...], folder: Path) -> Path:
    """Download ``<mirror><name>.gz`` into ``folder`` from the first mirror that works.

    Returns the path written. Raises DownloadError naming the file and every failure.
    """
    target = folder / f"{name}.gz"
    failures = []
    for mirror in mirrors:
        url = f"{mirror}{name}.gz"
        _say(f"downloading {url} to {target} (waiting up to {DOWNLOAD_TIMEOUT_S:.0f} s for an answer)")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _fetch_verified(url, md5, target)
            return target
        except (OSError, ValueError, http.client.HTTPException) as error:
            # URLError, timeouts and refused connections are OSErrors; a bad URL a ValueError.
            failures.append(f"{url}: {error}")
            _say(f"  failed: {error}")
    raise DownloadError(f"could not download {name}.gz: " + "; ".join(failures))


def _say(message: str) -> None:
    """Download progress goes to stderr, so a script's stdout (--json) stays clean."""
    print(message, file=sys.stderr, flush=True)


def _fetch_verified(url: str, md5: str, target: Path) -> None:
    """Stream ``url`` into a temporary file beside ``target``; keep it only if the MD5 matches."""
    deadline = time.monotonic() + DOWNLOAD_DEADLINE_S
    digest = hashlib.md5(usedforsecurity=False)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(
            url, timeout=DOWNLOAD_TIMEOUT_S
        ) as response:
            from tqdm import tqdm

            total = response.headers.get("Content-Length")
            with tqdm(total=int(total) if total and total.isdigit() else None, unit="B", unit_scale=True,
                      desc=target.name, file=sys.stderr, leave=False, disable=None) as bar:
                while chunk := response.read(CHUNK_BYTES):
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"took longer than {DOWNLOAD_DEADLINE_S:.0f} s")
        if digest.hexdigest() != md5:
            raise ValueError(f"{target.name}: MD5 {digest.hexdigest()} does not match the "
                             f"expected {md5}")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
