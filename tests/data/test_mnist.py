"""MNIST and Fashion-MNIST: the real files load with the right counts, shapes, dtypes and
statistics; missing files are downloaded (checked by MD5, written atomically); without a
download MNIST falls back, loudly, to the 5,000-image sample that ships with minigrad; without
that (allow_sample=False), a DatasetNotFoundError says how to get the data. Nothing hangs."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import socket
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.data import MNIST, DatasetNotFoundError, FashionMNIST, IDXError, SampleDatasetWarning
from minigrad.data import mnist as mnist_module

TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@pytest.fixture(scope="module")
def mnist_train(shared_mnist_dir: Path) -> MNIST:
    return MNIST(shared_mnist_dir, train=True, download=False)


@pytest.fixture(scope="module")
def mnist_test(shared_mnist_dir: Path) -> MNIST:
    return MNIST(shared_mnist_dir, train=False, download=False)


@pytest.fixture(autouse=True)
def no_environment_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own MINIGRAD_DATA must not leak into these tests; the sample warning,
    said once per process, is said afresh in each test."""
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    monkeypatch.setattr(mnist_module, "_warned_sample", [])


# --- the real files ------------------------------------------------------------------------------


@pytest.mark.parametrize(("split", "count"), [("mnist_train", 60000), ("mnist_test", 10000)])
def test_counts_shapes_and_dtypes(request: pytest.FixtureRequest, split: str, count: int) -> None:
    dataset = request.getfixturevalue(split)
    assert len(dataset) == count and not dataset.is_sample
    assert dataset.data.shape == (count, 28, 28) and dataset.data.dtype == np.uint8
    assert dataset.targets.shape == (count,) and dataset.targets.dtype == np.int64
    assert set(np.unique(dataset.targets)) == set(range(10))


def test_first_labels_are_the_canonical_ones(mnist_train: MNIST, mnist_test: MNIST) -> None:
    assert mnist_train.targets[:5].tolist() == [5, 0, 4, 1, 9]
    assert mnist_test.targets[:5].tolist() == [7, 2, 1, 0, 4]


def test_an_example_is_a_float32_image_and_an_int_label(mnist_train: MNIST) -> None:
    image, label = mnist_train[0]
    assert isinstance(image, np.ndarray) and image.shape == (1, 28, 28)
    assert image.dtype == np.float32
    assert type(label) is int and label == 5


def test_normalised_training_images_have_mean_near_0_and_std_near_1(mnist_train: MNIST) -> None:
    images = mnist_train._to_float(mnist_train.data)
    assert images.dtype == np.float32
    assert abs(float(images.mean())) < 1e-3
    assert abs(float(images[:10000].std()) - 1) < 0.02


def test_without_normalisation_pixels_are_scaled_to_0_1(shared_mnist_dir: Path) -> None:
    dataset = MNIST(shared_mnist_dir, train=False, download=False, normalize=False)
    image, _ = dataset[0]
    assert image.min() == 0.0 and image.max() == 1.0
    np.testing.assert_array_equal(image[0] * 255, dataset.data[0].astype(np.float32))


def test_get_batch_equals_the_examples_it_gathers(mnist_test: MNIST) -> None:
    indices = np.array([3, 0, 9999])
    images, labels = mnist_test.get_batch(indices)
    assert images.shape == (3, 1, 28, 28) and images.dtype == minigrad.float32
    assert labels.shape == (3,) and labels.dtype == minigrad.int64
    for row, index in enumerate(indices):
        image, label = mnist_test[int(index)]
        np.testing.assert_array_equal(images.numpy()[row], image)
        assert labels.numpy()[row] == label


def test_transforms_apply_to_examples_and_batches(shared_mnist_dir: Path) -> None:
    dataset = MNIST(
        shared_mnist_dir, train=False, download=False,
        transform=lambda image: image[:, ::2, ::2], target_transform=lambda label: label + 10,
    )
    image, label = dataset[0]
    assert image.shape == (1, 14, 14) and label == 17
    images, labels = dataset.get_batch(np.array([0, 1]))
    assert images.shape == (2, 1, 14, 14) and labels.numpy().tolist() == [17, 12]


@pytest.mark.parametrize(("train", "count"), [(True, 60000), (False, 10000)])
def test_fashion_mnist(shared_fashion_dir: Path, train: bool, count: int) -> None:
    dataset = FashionMNIST(shared_fashion_dir, train=train, download=False)
    assert len(dataset) == count and dataset.data.dtype == np.uint8
    assert dataset.targets[:5].tolist() == ([9, 0, 0, 3, 0] if train else [9, 2, 1, 1, 6])
    images = dataset._to_float(dataset.data[:10000])
    assert abs(float(images.mean(dtype=np.float64))) < 0.01  # its own mean 0.2860, std 0.3530


# --- finding the files -------------------------------------------------------------------------------


def test_minigrad_data_names_the_mnist_folder_and_fashion_lives_in_its_fashion_subfolder(
    shared_mnist_dir: Path, shared_fashion_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIGRAD_DATA", str(shared_mnist_dir))
    digits = MNIST(train=False, download=False)
    clothes = FashionMNIST(train=False, download=False)
    assert digits.root == shared_mnist_dir and clothes.root == shared_fashion_dir
    assert digits.targets[:5].tolist() == [7, 2, 1, 0, 4]
    assert clothes.targets[:5].tolist() == [9, 2, 1, 1, 6]


def test_default_root_is_in_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="download=False") as caught:
        MNIST(download=False, allow_sample=False)
    assert str(tmp_path / ".cache" / "minigrad" / "mnist") in str(caught.value)
    with pytest.raises(DatasetNotFoundError) as caught:
        FashionMNIST(download=False)
    assert str(tmp_path / ".cache" / "minigrad" / "fashion-mnist") in str(caught.value)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_raw_uncompressed_files_are_found(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.full((2, 28, 28), 255))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([3, 8]))
    dataset = MNIST(tmp_path, train=False, download=False, normalize=False)
    assert len(dataset) == 2 and dataset.targets.tolist() == [3, 8]
    assert dataset[1][0].max() == 1.0


def test_image_and_label_counts_must_match(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((3, 28, 28)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2]))
    with pytest.raises(IDXError, match="3 images.*2 labels") as caught:
        MNIST(tmp_path, train=False, download=False)
    assert "t10k-images-idx3-ubyte" in str(caught.value)
    assert "t10k-labels-idx1-ubyte" in str(caught.value)


def test_labels_must_be_digits(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 12]))
    with pytest.raises(IDXError, match="t10k-labels-idx1-ubyte.*label 12"):
        MNIST(tmp_path, train=False, download=False)


def test_images_must_be_28_by_28(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((2, 32, 32)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2]))
    with pytest.raises(IDXError, match="t10k-images-idx3-ubyte.*28 x 28"):
        MNIST(tmp_path, train=False, download=False)


# --- downloading --------------------------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP mirror on 127.0.0.1: its URL, and the folder it serves."""
    served = tmp_path / "mirror"
    served.mkdir()
    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", served
    server.shutdown()
    server.server_close()


@pytest.fixture
def dead_mirror() -> str:
    """A URL on a port nobody listens on: the connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def no_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MNIST, "has_sample", False)


def test_download_skips_a_dead_mirror_verifies_md5_and_writes_into_root(
    shared_mnist_dir: Path, mirror: tuple[str, Path], dead_mirror: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, served = mirror
    for name in TEST_FILES:
        shutil.copy(shared_mnist_dir / f"{name}.gz", served)
    monkeypatch.setattr(MNIST, "mirrors", (dead_mirror, url))
    root = tmp_path / "new" / "root"  # created on demand

    dataset = MNIST(root, train=False)

    assert not dataset.is_sample and len(dataset) == 10000
    assert sorted(path.name for path in root.iterdir()) == [f"{name}.gz" for name in TEST_FILES]
    np.testing.assert_array_equal(dataset.data, MNIST(shared_mnist_dir, train=False).data)


def test_md5_mismatch_is_refused_and_named(
    shared_mnist_dir: Path, mirror: tuple[str, Path], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, no_sample: None,
) -> None:
    url, served = mirror
    (served / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"not the real file"))
    shutil.copy(shared_mnist_dir / "t10k-labels-idx1-ubyte.gz", served)
    monkeypatch.setattr(MNIST, "mirrors", (url,))
    root = tmp_path / "root"

    with pytest.raises(DatasetNotFoundError, match="t10k-images-idx3-ubyte.gz: MD5"):
        MNIST(root, train=False)
    # The bad file left nothing behind, not even a temporary file.
    assert list(root.iterdir()) == []


def test_a_silent_mirror_times_out_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_sample: None
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        monkeypatch.setattr(MNIST, "mirrors", (f"http://127.0.0.1:{silent.getsockname()[1]}/",))
        monkeypatch.setattr(mnist_module, "DOWNLOAD_TIMEOUT_S", 0.25)
        with pytest.raises(DatasetNotFoundError, match="timed out"):
            MNIST(tmp_path, train=False)


def test_without_data_download_or_sample_the_error_says_how_to_get_the_data(
    tmp_path: Path, dead_mirror: str, monkeypatch: pytest.MonkeyPatch, no_sample: None
) -> None:
    monkeypatch.setattr(MNIST, "mirrors", (dead_mirror,))
    with pytest.raises(DatasetNotFoundError) as caught:
        MNIST(tmp_path)
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    for hint in ("train-images-idx3-ubyte.gz", "--data-dir", "MINIGRAD_DATA"):
        assert hint in message


def test_fashion_mnist_has_no_sample_to_fall_back_to(
    tmp_path: Path, dead_mirror: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FashionMNIST, "mirrors", (dead_mirror,))
    with pytest.raises(DatasetNotFoundError, match="--data-dir") as caught:
        FashionMNIST(tmp_path)
    assert "sample" not in str(caught.value)


# --- the 5,000-image sample ---------------------------------------------------------------------------


@pytest.mark.parametrize(("train", "count"), [(True, 4000), (False, 1000)])
def test_failed_download_falls_back_loudly_to_the_sample_that_ships_with_minigrad(
    tmp_path: Path, dead_mirror: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], train: bool, count: int,
) -> None:
    monkeypatch.setattr(MNIST, "mirrors", (dead_mirror,))
    with pytest.warns(SampleDatasetWarning, match="5,000-IMAGE SAMPLE.*shipped with minigrad"):
        dataset = MNIST(tmp_path, train=train)
    err = capsys.readouterr().err
    assert "SAMPLE" not in err and f"downloading {dead_mirror}" in err  # the warning alone says it
    assert dataset.is_sample and len(dataset) == count and "SAMPLE" in repr(dataset)
    assert dataset.data.shape == (count, 28, 28) and dataset.data.dtype == np.uint8
    assert dataset.targets.dtype == np.int64
    assert np.bincount(dataset.targets).tolist() == [count // 10] * 10
    assert dataset.targets[:20].tolist() == list(range(10)) * 2  # interleaved by digit
    images, labels = dataset.get_batch(np.arange(4))
    assert images.shape == (4, 1, 28, 28) and labels.shape == (4,)


def test_the_sample_is_the_first_images_of_each_digit_of_the_real_splits(
    mnist_train: MNIST, mnist_test: MNIST
) -> None:
    for real, split, per_class in ((mnist_train, "train", 400), (mnist_test, "test", 100)):
        sample = MNIST(mnist_module.SAMPLE_ROOT, train=split == "train", download=False)
        for digit in range(10):
            firsts = np.flatnonzero(real.targets == digit)[:per_class]
            np.testing.assert_array_equal(sample.data[digit::10], real.data[firsts])
            assert (sample.targets[digit::10] == digit).all()


def test_the_sample_is_small_and_says_its_licence() -> None:
    files = sorted(mnist_module.SAMPLE_ROOT.iterdir())
    assert sum(path.stat().st_size for path in files) < 1_000_000
    notice = (mnist_module.SAMPLE_ROOT / "README.md").read_text()
    assert "CC BY-SA 3.0" in notice and "LeCun" in notice


def test_the_sample_warning_is_said_once_for_both_splits(
    tmp_path: Path, dead_mirror: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MNIST, "mirrors", (dead_mirror,))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train, test = MNIST(tmp_path, train=True), MNIST(tmp_path, train=False)
    assert train.is_sample and test.is_sample
    assert [type(w.message) for w in caught] == [SampleDatasetWarning]


def test_allow_sample_false_refuses_the_sample(
    tmp_path: Path, dead_mirror: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MNIST, "mirrors", (dead_mirror,))
    with pytest.raises(DatasetNotFoundError):
        MNIST(tmp_path, allow_sample=False)


# --- local files are checked: the right data set, not a corrupt copy ----------------------------------


@pytest.mark.parametrize("raw", [False, True], ids=["gz", "raw"])
def test_fashion_files_in_the_mnist_folder_are_named_as_fashion(
    shared_fashion_dir: Path, tmp_path: Path, raw: bool
) -> None:
    for name in TEST_FILES:
        source = shared_fashion_dir / f"{name}.gz"
        if raw:
            (tmp_path / name).write_bytes(gzip.decompress(source.read_bytes()))
        else:
            shutil.copy(source, tmp_path)
    with pytest.raises(IDXError, match="is Fashion-MNIST's t10k-images-idx3-ubyte, not MNIST's") as caught:
        MNIST(tmp_path, train=False, download=False)
    assert str(tmp_path) in str(caught.value) and "--data-dir" in str(caught.value)


def test_mnist_files_given_as_fashion_are_named_as_mnist(shared_mnist_dir: Path, tmp_path: Path) -> None:
    for name in TEST_FILES:
        shutil.copy(shared_mnist_dir / f"{name}.gz", tmp_path)
    with pytest.raises(IDXError, match="is MNIST's t10k-images-idx3-ubyte, not Fashion-MNIST's"):
        FashionMNIST(tmp_path, train=False, download=False)


def test_a_corrupt_copy_of_the_right_size_is_refused_by_md5(shared_mnist_dir: Path, tmp_path: Path) -> None:
    for name in TEST_FILES:
        shutil.copy(shared_mnist_dir / f"{name}.gz", tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(labels.read_bytes())
    data[-100] ^= 1
    labels.chmod(0o644)
    labels.write_bytes(bytes(data))
    with pytest.raises(IDXError, match="size of MNIST's t10k-labels-idx1-ubyte but not its MD5.*Delete it"):
        MNIST(tmp_path, train=False, download=False)


def test_a_root_that_is_a_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "not-a-folder"
    path.write_text("x")
    with pytest.raises(DatasetNotFoundError, match="not-a-folder is a file, not a folder"):
        MNIST(path, train=False)


def test_an_empty_split_is_refused_clearly(tmp_path: Path) -> None:
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28)))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(0))
    with pytest.raises(IDXError, match="t10k-images-idx3-ubyte holds no images"):
        MNIST(tmp_path, train=False, download=False)


def test_a_download_says_what_it_fetches_from_where(
    shared_mnist_dir: Path, mirror: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, served = mirror
    for name in TEST_FILES:
        shutil.copy(shared_mnist_dir / f"{name}.gz", served)
    monkeypatch.setattr(MNIST, "mirrors", (url,))
    MNIST(tmp_path, train=False)
    err = capsys.readouterr().err
    for name in TEST_FILES:
        assert f"downloading {url}{name}.gz to {tmp_path / name}.gz" in err
    assert mnist_module.DOWNLOAD_TIMEOUT_S <= 5  # a silent network is given up on quickly
