"""The on-disk cache of the vector kernels' machine code (``backends/kernels/object_cache``): a
second process loads what the first compiled (and compiles nothing), a damaged entry is compiled
again and rewritten, the cache can be turned off, an unwritable directory only costs the cache,
and threads asking for one new kernel at once get one function."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy
import pytest
from minigrad.backends.kernels import llvm_vectors, object_cache, vector_conv

from minigrad import backends
from minigrad.ops import conv as conv_ops

pytestmark = pytest.mark.skipif(not vector_conv.available(), reason="llvmlite is not installed (the fast extra)")

REPO = Path(__file__).resolve().parents[2]

# A process that runs one convolution through the vector kernel and prints whether it compiled
# (the builder was constructed) and how far its result is from the reference.
CHILD = r"""
import json, sys
import numpy
from minigrad.backends.kernels import vector_conv
from minigrad import backends
from minigrad.ops import conv as conv_ops

built = []
original = vector_conv._CorrelationIR.__init__
def counting(self, *args):
    built.append(args)
    original(self, *args)
vector_conv._CorrelationIR.__init__ = counting
rng = numpy.random.default_rng(0)
x = rng.standard_normal((2, 3, 9, 11)).astype("float32")
weight = rng.standard_normal((5, 3, 3, 4)).astype("float32")
out_size = (conv_ops.output_size(9, 3, 1, 1, 1), conv_ops.output_size(11, 4, 1, 2, 1))
out = vector_conv.correlate(numpy, x, weight, None, (1, 2), (1, 1), out_size)
expected = conv_ops.correlate(backends.get("cpu"), x, weight, (1, 1), (1, 2), (1, 1), 1, out_size)
print(json.dumps({"compiled": len(built), "error": float(abs(out - expected).max())}))
"""


def run_child(cache: Path | str) -> dict:
    environment = dict(os.environ, MINIGRAD_KERNEL_CACHE=str(cache), PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=environment,
                            cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.o"))


def test_a_second_process_loads_the_compiled_kernel_and_compiles_nothing(tmp_path):
    first = run_child(tmp_path)
    assert first["compiled"] == 1 and first["error"] < 2e-5
    stored = entries(tmp_path)
    assert len(stored) == 1 and stored[0].name.startswith("CorrelationIR-")
    assert not list(tmp_path.glob("*.tmp"))  # written under a temporary name, then renamed
    second = run_child(tmp_path)
    assert second == {"compiled": 0, "error": first["error"]}


@pytest.mark.parametrize("damage", ["flip a byte of the code", "truncate", "wrong magic", "empty"])
def test_a_damaged_entry_is_compiled_again_and_rewritten(tmp_path, damage):
    run_child(tmp_path)
    (entry,) = entries(tmp_path)
    data = bytearray(entry.read_bytes())
    if damage == "flip a byte of the code":
        data[-10] ^= 0xFF
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "wrong magic":
        data[0] ^= 0xFF
    else:
        data = bytearray()
    entry.write_bytes(bytes(data))
    again = run_child(tmp_path)
    assert again["compiled"] == 1 and again["error"] < 2e-5
    assert object_cache.MAGIC in entry.read_bytes()[: len(object_cache.MAGIC)]
    assert run_child(tmp_path)["compiled"] == 0  # the rewritten entry is good


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    for value in ("off", "0", "none", ""):
        monkeypatch.setenv("MINIGRAD_KERNEL_CACHE", value)
        assert object_cache.directory() is None
        assert object_cache.write("name", b"code") is False and object_cache.read("name") is None
    assert run_child("off")["compiled"] == 1


def test_the_default_directory_is_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("MINIGRAD_KERNEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert object_cache.directory() == tmp_path / "minigrad" / "kernels"


def test_an_unwritable_directory_only_costs_the_cache(tmp_path):
    blocker = tmp_path / "a file, not a directory"
    blocker.write_text("")
    result = run_child(blocker / "kernels")
    assert result["compiled"] == 1 and result["error"] < 2e-5


def test_read_and_write_round_trip_and_refuse_what_fails_the_check(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_KERNEL_CACHE", str(tmp_path / "nested" / "cache"))
    assert object_cache.read("kernel") is None  # nothing there yet
    assert object_cache.write("kernel", b"\x7fELF machine code")
    assert object_cache.read("kernel") == b"\x7fELF machine code"
    path = tmp_path / "nested" / "cache" / "kernel.o"
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    assert object_cache.read("kernel") is None
    with path.open("wb") as file:  # larger than any kernel: not read at all
        file.truncate(object_cache.MAX_ENTRY_BYTES + 1)
    assert object_cache.read("kernel") is None


def test_the_key_names_the_geometry_the_dtype_and_the_host():
    key = object_cache.key
    base = key(vector_conv._CorrelationIR, ("f", (1, 5, 5), (2, 3, 3), (0, 0), (1, 1)), "host A")
    assert base == key(vector_conv._CorrelationIR, ("f", (1, 5, 5), (2, 3, 3), (0, 0), (1, 1)), "host A")
    assert len({base,
                key(vector_conv._CorrelationIR, ("d", (1, 5, 5), (2, 3, 3), (0, 0), (1, 1)), "host A"),
                key(vector_conv._CorrelationIR, ("f", (1, 5, 5), (2, 3, 3), (1, 0), (1, 1)), "host A"),
                key(vector_conv._CorrelationIR, ("f", (1, 5, 5), (2, 3, 3), (0, 0), (1, 1)), "host B")}) == 4


def test_threads_asking_for_one_new_kernel_get_one_function(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_KERNEL_CACHE", str(tmp_path))
    geometry = ((5, 7, 13), (3, 2, 3), (1, 1), (1, 1))  # 5 channels: no other test compiles it
    results, errors, start = [], [], threading.Barrier(4)

    def ask() -> None:
        try:
            start.wait()
            results.append(llvm_vectors.compiled(vector_conv._CorrelationIR, "d", *geometry))
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 4 and all(function is results[0] for function in results)
    assert len(entries(tmp_path)) == 1
    rng = numpy.random.default_rng(1)
    x, weight = rng.standard_normal((2, 5, 7, 13)), rng.standard_normal((3, 5, 2, 3))
    out_size = (conv_ops.output_size(7, 2, 1, 1, 1), conv_ops.output_size(13, 3, 1, 1, 1))
    out = numpy.empty((2, 3, *out_size))
    results[0](x.ctypes.data, weight.ctypes.data, None, out.ctypes.data, 0, 2)
    expected = conv_ops.correlate(backends.get("cpu"), x, weight, (1, 1), (1, 1), (1, 1), 1, out_size)
    numpy.testing.assert_allclose(out, expected, rtol=0, atol=1e-10)
