"""read_idx: valid IDX files round-trip, raw or gzipped; every malformed file is an IDXError
that names the file, never a raw NumPy or gzip traceback."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from minigrad.data import IDXError, read_idx

TYPE_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file's content: magic 0x0000TTDD, big-endian sizes, big-endian items."""
    header = bytes([0, 0, type_code, array.ndim])
    header += b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(TYPE_CODES[type_code]).tobytes()


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def images(count: int = 3) -> np.ndarray:
    return np.arange(count * 28 * 28, dtype=np.int64).reshape(count, 28, 28).astype(np.uint8)


# --- valid files -------------------------------------------------------------------------------


def test_reads_raw_uint8_images(tmp_path: Path) -> None:
    expected = images()
    result = read_idx(write(tmp_path / "images-idx3-ubyte", idx_bytes(expected)))
    assert result.dtype == np.uint8 and result.shape == (3, 28, 28)
    np.testing.assert_array_equal(result, expected)


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path: Path) -> None:
    expected = images()
    # Gzipped content under a name without .gz, and raw content under a name with .gz.
    zipped = write(tmp_path / "zipped-idx3-ubyte", gzip.compress(idx_bytes(expected)))
    raw = write(tmp_path / "raw-idx3-ubyte.gz", idx_bytes(expected))
    np.testing.assert_array_equal(read_idx(zipped), expected)
    np.testing.assert_array_equal(read_idx(raw), expected)


def test_reads_labels_as_one_dimension(tmp_path: Path) -> None:
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    result = read_idx(write(tmp_path / "labels-idx1-ubyte", idx_bytes(labels)), ndim=1)
    np.testing.assert_array_equal(result, labels)


@pytest.mark.parametrize("type_code", sorted(TYPE_CODES))
def test_every_standard_type_code_reads_big_endian_into_native_order(
    tmp_path: Path, type_code: int
) -> None:
    expected = np.array([[0, 1, -2], [100, -100, 7]]).astype(TYPE_CODES[type_code])
    result = read_idx(write(tmp_path / "items", idx_bytes(expected, type_code)))
    assert result.dtype.isnative and result.dtype == expected.dtype.newbyteorder("=")
    np.testing.assert_array_equal(result, expected)


def test_result_is_writable(tmp_path: Path) -> None:
    result = read_idx(write(tmp_path / "images", idx_bytes(images())))
    result[0, 0, 0] = 255  # must not raise "assignment destination is read-only"


# --- malformed files ------------------------------------------------------------------------------


def assert_idx_error(path: Path, *fragments: str, ndim: int | None = None) -> None:
    with pytest.raises(IDXError) as caught:
        read_idx(path, ndim=ndim)
    assert str(path) in str(caught.value), "the message must name the file"
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_idx_error_is_a_value_error() -> None:
    assert issubclass(IDXError, ValueError)


def test_truncated_payload_names_file_and_expected_and_actual_bytes(tmp_path: Path) -> None:
    content = idx_bytes(images(2))  # payload: 2 * 784 = 1568 bytes
    path = write(tmp_path / "truncated-idx3-ubyte", content[:-100])
    assert_idx_error(path, "truncated", "1568", "1468")


def test_truncated_gzipped_payload_is_reported_like_a_raw_one(tmp_path: Path) -> None:
    path = write(tmp_path / "truncated.gz", gzip.compress(idx_bytes(images(2))[:-1]))
    assert_idx_error(path, "truncated", "1568", "1567")


def test_trailing_bytes_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "long", idx_bytes(images(1)) + b"\0")
    assert_idx_error(path, "784", "785")


def test_truncated_header(tmp_path: Path) -> None:
    path = write(tmp_path / "header", idx_bytes(images(1))[:10])  # 3 dims need 16 header bytes
    assert_idx_error(path, "header")


def test_file_shorter_than_the_magic_number(tmp_path: Path) -> None:
    assert_idx_error(write(tmp_path / "empty", b""), "too short")


@pytest.mark.parametrize(
    "magic", [b"PK\x03\x04", b"\x01\x00\x08\x03", b"\x00\x00\x07\x03"],
    ids=["zip-file", "nonzero-leading-bytes", "unknown-type-code"],
)
def test_bad_magic_number(tmp_path: Path, magic: bytes) -> None:
    path = write(tmp_path / "bad-magic", magic + idx_bytes(images(1))[4:])
    assert_idx_error(path, "magic")


def test_zero_dimensions_is_an_error(tmp_path: Path) -> None:
    assert_idx_error(write(tmp_path / "zero-dims", b"\x00\x00\x08\x00"), "0 dimensions")


def test_unexpected_dimension_count(tmp_path: Path) -> None:
    path = write(tmp_path / "images-not-labels", idx_bytes(images(1)))
    assert_idx_error(path, "3 dimensions", "expected 1", ndim=1)


def test_corrupt_gzip_names_the_file(tmp_path: Path) -> None:
    zipped = bytearray(gzip.compress(idx_bytes(images(4))))
    zipped[20:40] = b"\xff" * 20  # damage the deflate stream behind a valid gzip header
    assert_idx_error(write(tmp_path / "corrupt.gz", bytes(zipped)), "gzip")


def test_gzip_stream_cut_short_names_the_file(tmp_path: Path) -> None:
    zipped = gzip.compress(idx_bytes(images(4)))
    assert_idx_error(write(tmp_path / "cut.gz", zipped[: len(zipped) // 2]), "gzip")


def test_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


# --- hostile headers: checked before anything is read or allocated ----------------------------------


def header_only(shape: tuple[int, ...], type_code: int = 0x08) -> bytes:
    return bytes([0, 0, type_code, len(shape)]) + b"".join(size.to_bytes(4, "big") for size in shape)


@pytest.mark.parametrize("zipped", [False, True], ids=["raw", "gzip"])
def test_dimensions_whose_product_overflows_int64_are_refused(tmp_path: Path, zipped: bool) -> None:
    content = header_only((2**31, 2**31, 4)) + b"\0" * 64
    path = write(tmp_path / "huge-idx3-ubyte", gzip.compress(content) if zipped else content)
    assert_idx_error(path, "(2147483648, 2147483648, 4)", "18,446,744,073,709,551,616" if zipped else "needs")


def test_a_small_gzip_claiming_a_gigabyte_is_refused_from_its_header(tmp_path: Path) -> None:
    # 1 GiB declared, 64 KiB of zeros actually compressed: refused before inflating anything.
    path = write(tmp_path / "bomb.gz", gzip.compress(header_only((1024, 1024, 1024)) + b"\0" * 65536))
    assert_idx_error(path, "more than a", "gzip can expand to")


def test_a_gzip_is_streamed_into_the_result_without_a_second_copy(tmp_path: Path) -> None:
    import tracemalloc

    expected = np.zeros((12000, 28, 28), np.uint8)  # 9 MiB of items
    path = write(tmp_path / "stream-idx3-ubyte.gz", gzip.compress(idx_bytes(expected)))
    tracemalloc.start()
    try:
        result = read_idx(path, ndim=3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.shape == expected.shape
    assert peak < 1.5 * expected.nbytes  # the result plus a few 1 MiB chunks; decompressing whole costs 2x
