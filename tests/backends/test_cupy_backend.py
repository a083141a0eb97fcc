"""The CUDA backend's behaviour that needs no GPU: lazy import, errors that say the fix, the
device scope, several GPUs, out-of-memory reports. CuPy is replaced by ``fake_cupy`` (or made
unimportable), so these run everywhere; the numerical conformance is in test_conformance.py."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

import fake_cupy
import numpy
import pytest
from minigrad.backends import BackendUnavailableError, cupy_backend
from minigrad.backends.cupy_backend import strided_windows

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad import backends, optim

REPO = Path(__file__).resolve().parents[2]
INSTALL_HINT = "pip install cupy-cuda12x (or cupy-cuda13x) matching the CUDA version nvidia-smi shows"


@pytest.fixture
def fake_cuda(monkeypatch: Any) -> Any:
    """A fake CuPy with one GPU; call it again for other settings (see fake_cupy.installer)."""
    yield from fake_cupy.installer(monkeypatch)


@pytest.fixture
def no_cupy(monkeypatch: Any) -> None:
    """Make ``import cupy`` fail as on a machine without it."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setitem(sys.modules, "cupyx", None)
    fake_cupy.uninstall()
    yield
    fake_cupy.uninstall()


# --- lazy import ------------------------------------------------------------------------------
def test_importing_minigrad_and_training_on_the_cpu_never_import_cupy() -> None:
    program = textwrap.dedent("""
        import sys
        import minigrad, minigrad.nn as nn, minigrad.nn.functional as F
        from minigrad import optim
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
        optimizer = optim.Adam(model.parameters())
        loss = F.cross_entropy(model(minigrad.randn(4, 1, 4, 4)), minigrad.tensor([0, 1, 2, 1]))
        loss.backward()
        optimizer.step()
        minigrad.cuda.is_available.__doc__, minigrad.tensor([1.0]).to("cpu")
        assert "cupy" not in sys.modules, "cupy was imported"
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --- CuPy missing -----------------------------------------------------------------------------
def test_without_cupy_the_questions_answer_no_quickly_and_never_raise(no_cupy: None) -> None:
    start = time.perf_counter()
    assert minigrad.cuda.is_available() is False
    assert minigrad.cuda.device_count() == 0
    minigrad.cuda.manual_seed(1)  # silently ignored, as in PyTorch
    assert time.perf_counter() - start < 0.5


def test_without_cupy_using_cuda_says_how_to_install_it(no_cupy: None) -> None:
    reason = backends.available()["cuda"]
    assert reason is not None and INSTALL_HINT in reason and "nvidia-smi" in reason
    with pytest.raises(BackendUnavailableError, match=r"not installed: pip install cupy-cuda12x"):
        minigrad.zeros(2, device="cuda")
    with pytest.raises(BackendUnavailableError, match="not installed"):
        minigrad.tensor([1.0]).to("cuda")
    with pytest.raises(BackendUnavailableError, match="not installed"):
        minigrad.cuda.current_device()


def test_a_cupy_that_fails_to_import_is_reported_with_the_fix(monkeypatch: Any) -> None:
    class BrokenFinder:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
            if name == "cupy":
                raise OSError("libcudart.so.13: cannot open shared object file")
            return None

    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(sys, "meta_path", [BrokenFinder(), *sys.meta_path])
    fake_cupy.uninstall()
    reason = backends.available()["cuda"]
    assert "failed to import" in reason and "libcudart" in reason and INSTALL_HINT in reason


# --- CuPy there, GPU not ------------------------------------------------------------------------
def test_cupy_with_a_mismatched_driver_names_the_error_and_the_fix(fake_cuda: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(cupy_backend, "nvidia_driver_found", lambda: True)
    cupy = fake_cuda.cupy
    cupy.fake_state.count_error = fake_cupy.CUDARuntimeError(
        "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version"
    )
    reason = backends.available()["cuda"]
    assert "cudaErrorInsufficientDriver" in reason and "nvidia-smi" in reason and INSTALL_HINT in reason
    assert minigrad.cuda.is_available() is False and minigrad.cuda.device_count() == 0
    with pytest.raises(BackendUnavailableError, match="cannot use a CUDA GPU"):
        backends.get("cuda")


def test_cupy_without_any_driver_says_no_driver_was_found(fake_cuda: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(cupy_backend, "nvidia_driver_found", lambda: False)
    fake_cuda.cupy.fake_state.count_error = fake_cupy.CUDARuntimeError(
        "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version"
    )
    reason = backends.available()["cuda"]
    assert reason.startswith("no NVIDIA driver found") and "insufficient" not in reason
    assert reason.count("nvidia-smi") == 1 and "--device cpu" in reason


def test_zero_gpus_is_reported(fake_cuda: Any) -> None:
    fake_cuda(device_count=0)
    assert "no CUDA GPU found" in backends.available()["cuda"]
    with pytest.raises(BackendUnavailableError, match="no CUDA GPU found.*nvidia-smi"):
        minigrad.randn(2, device="cuda")


@pytest.mark.parametrize(("count", "message"), [
    (1, "cuda:3 requested but only 1 GPU: use cuda:0..cuda:0"),
    (2, "cuda:3 requested but only 2 GPUs: use cuda:0..cuda:1"),
])
def test_a_device_index_out_of_range_names_the_valid_ones(fake_cuda: Any, count: int, message: str) -> None:
    fake_cuda(device_count=count)
    with pytest.raises(BackendUnavailableError, match=message):
        minigrad.zeros(1, device="cuda:3")


# --- out of memory ------------------------------------------------------------------------------
def test_out_of_memory_in_an_op_says_how_much_and_suggests_a_smaller_batch(fake_cuda: Any) -> None:
    cupy = fake_cuda(memory_limit=2**20)
    a = minigrad.ones(1024, 1, device="cuda")
    b = minigrad.ones(1, 1024, device="cuda")
    with pytest.raises(minigrad.cuda.OutOfMemoryError) as caught:
        a @ b  # a 4 MiB result
    message = str(caught.value)
    assert "CUDA out of memory on cuda:0 in matmul: tried to allocate 4.00 MiB" in message
    assert "--batch-size" in message
    assert isinstance(caught.value, RuntimeError)
    assert isinstance(caught.value.__cause__, cupy.cuda.memory.OutOfMemoryError)
    assert backends.get("cuda").out_of_memory_error is cupy.cuda.memory.OutOfMemoryError


def test_out_of_memory_in_backward_is_translated_too(fake_cuda: Any) -> None:
    cupy = fake_cuda.cupy
    x = minigrad.ones(512, 512, device="cuda", requires_grad=True)
    loss = (x * 2).sum()
    cupy.fake_state.memory_limit = 2**16  # the gradients (1 MiB each) no longer fit
    with pytest.raises(minigrad.cuda.OutOfMemoryError, match=r"on cuda:0 in \w+: tried to allocate 1.00 MiB"):
        loss.backward()


# --- the device scope and several GPUs ----------------------------------------------------------
def test_the_first_gpu_used_becomes_the_current_one(fake_cuda: Any) -> None:
    cupy = fake_cuda(device_count=2)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to("cuda:1")
    assert minigrad.cuda.current_device() == 1
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = minigrad.randn(5, 4, device="cuda:1")
    loss = F.mse_loss(model(x), minigrad.zeros(5, 2, device="cuda:1"))
    loss.backward()
    optimizer.step()
    for p in model.parameters():
        assert p._array.device.id == 1 and p.grad._array.device.id == 1
    assert cupy.fake_state.current == 1


def test_ops_run_on_their_inputs_gpu_whatever_gpu_is_current(fake_cuda: Any) -> None:
    cupy = fake_cuda(device_count=2)
    x0 = minigrad.randn(3, 4, device="cuda:0")  # makes GPU 0 the current one
    x1 = x0.to("cuda:1")
    assert x1._array.device.id == 1 and x1.device == "cuda:1"
    y1 = (x1 * 2 + 1).exp().sum(1).softmax(0)
    assert y1._array.device.id == 1 and y1.device == "cuda:1"
    assert minigrad.randn(2, device="cuda:1")._array.device.id == 1
    assert cupy.fake_state.current == 0  # the scope was left as it was found
    numpy.testing.assert_allclose(y1.cpu().numpy(), (x0 * 2 + 1).exp().sum(1).softmax(0).cpu().numpy())
    back = y1.to("cuda:0")
    assert back._array.device.id == 0
    with pytest.raises(RuntimeError, match="cuda:0 and one on cuda:1"):
        x0 + x1


def test_the_device_scope_restores_the_current_gpu_after_an_error(fake_cuda: Any) -> None:
    cupy = fake_cuda(device_count=2)
    backends.get("cuda:0")
    with pytest.raises(ValueError, match="boom"), backends.get("cuda:1").activate("test"):
        assert cupy.fake_state.current == 1
        raise ValueError("boom")
    assert cupy.fake_state.current == 0


# --- minigrad.cuda ------------------------------------------------------------------------------
def test_the_cuda_module_on_a_gpu(fake_cuda: Any) -> None:
    fake_cuda(device_count=2)
    assert minigrad.cuda.is_available() is True
    assert minigrad.cuda.device_count() == 2
    assert minigrad.cuda.current_device() == 0
    minigrad.cuda.synchronize()
    minigrad.cuda.synchronize("cuda:1")
    minigrad.cuda.manual_seed(5)
    first = minigrad.randn(6, device="cuda").numpy()
    minigrad.cuda.manual_seed(5)
    numpy.testing.assert_array_equal(minigrad.randn(6, device="cuda").numpy(), first)


def test_manual_seed_seeds_gpus_created_later(fake_cuda: Any) -> None:
    minigrad.manual_seed(9)
    first = minigrad.rand(5, device="cuda").numpy()
    fake_cuda()  # a fresh fake: the cached backend is gone, the next one is built and seeded
    numpy.testing.assert_array_equal(minigrad.rand(5, device="cuda").numpy(), first)


def test_a_random_state_from_another_generator_is_refused(fake_cuda: Any) -> None:
    state = minigrad.get_rng_state("cuda")
    with pytest.raises(ValueError, match="manual_seed"):
        minigrad.set_rng_state({**state, "state": state["state"] + "00"}, "cuda")


# --- kernels ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("window", "axis"), [((3,), (1,)), ((2, 3), (2, 3)), ((1, 2), (-1, 0))])
def test_strided_windows_fallback_equals_numpy_sliding_window_view(window: tuple, axis: tuple) -> None:
    data = numpy.arange(3 * 4 * 5 * 6, dtype=numpy.float32).reshape(3, 4, 5, 6)
    expected = numpy.lib.stride_tricks.sliding_window_view(data, window, axis=axis)
    numpy.testing.assert_array_equal(strided_windows(numpy, data, window, axis), expected)


def test_windows_of_a_view_with_an_offset(fake_cuda: Any) -> None:
    backend = backends.get("cuda")
    data = numpy.arange(2 * 7 * 6, dtype=numpy.float32).reshape(2, 7, 6)
    view = backend.asarray(data)[:, 1:, ::2]  # an offset and a step: strides are not contiguous
    windows = backend.sliding_window_view(view, (3, 2), axis=(1, 2))
    expected = numpy.lib.stride_tricks.sliding_window_view(data[:, 1:, ::2], (3, 2), axis=(1, 2))
    numpy.testing.assert_array_equal(backend.to_numpy(windows), expected)
    with pytest.raises(ValueError, match="window 9 is larger than axis 1 of size 6"):
        backend.sliding_window_view(view, (9,), axis=(1,))


def _training_steps(steps: int = 2) -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 10))
    model.to("cuda")
    optimizer = optim.Adam(model.parameters())
    x, target = minigrad.randn(8, 1, 8, 8, device="cuda"), minigrad.randn(8, 10, device="cuda")
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(model(x), target).backward()
        optimizer.step()


def test_a_training_step_of_core_ops_never_waits_for_the_gpu(fake_cuda: Any) -> None:
    """Reading a GPU value on the host (item, bool, ...) stalls the pipeline: the core, the
    layers and the optimizers must not do it during forward, backward and step."""
    cupy = fake_cuda.cupy
    backends.get("cuda")
    cupy.fake_state.host_syncs = 0
    _training_steps()
    assert cupy.fake_state.host_syncs == 0


@pytest.mark.cuda
def test_a_training_step_never_waits_for_a_real_gpu() -> None:
    """The same on a real GPU, with CuPy's own detector (it raises DeviceSynchronized)."""
    reason = backends.available().get("cuda")
    if reason is not None:
        pytest.skip(f"no CUDA GPU: {reason}")
    import cupyx

    if not hasattr(cupyx, "allow_synchronize"):
        pytest.skip("this CuPy has no cupyx.allow_synchronize")
    _training_steps(1)  # compile the kernels first (compilation is not a sync, but be safe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # allow_synchronize is deprecated, and still works
        with cupyx.allow_synchronize(False):
            _training_steps()


def test_scatter_add_falls_back_to_cupyx_on_older_cupy(fake_cuda: Any) -> None:
    backend = backends.get("cuda")
    backend._scatter_add = sys.modules["cupyx"].scatter_add  # as on a CuPy without add.at
    x = minigrad.arange(4.0, device="cuda", requires_grad=True)
    x[minigrad.tensor([1, 3, 1], device="cuda")].sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0, 1.0])
