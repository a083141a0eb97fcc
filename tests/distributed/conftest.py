"""Run worker scripts as real MPI jobs: ``run_ranks("collectives.py")`` is
``mpiexec -n 2 python tests/distributed/workers/collectives.py`` with one BLAS thread per rank.

mpi4py and the mpich wheel are oracles here (``pip install mpi4py mpich``, in the test extra):
without them these tests skip on a developer's machine and fail in CI.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, missing_oracle

WORKERS = Path(__file__).resolve().parent / "workers"


def mpiexec_path() -> str | None:
    beside_python = Path(sys.executable).parent / "mpiexec"  # the mpich wheel's, in this environment
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def require_mpi() -> str:
    path = mpiexec_path()
    if importlib.util.find_spec("mpi4py") is None or path is None:
        missing_oracle("mpi4py and an MPI launcher are needed: pip install mpi4py mpich")
    return path


def single_thread_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    env.update(extra)
    return env


def run_job(command: list[str], ranks: int = 2, timeout: float = 120, env: dict | None = None,
            cwd: Path = REPO) -> subprocess.CompletedProcess:
    """``mpiexec -n ranks <command>``; the whole job is killed if it outlives ``timeout``."""
    launcher = require_mpi()
    process = subprocess.Popen([launcher, "-n", str(ranks), *command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env or single_thread_env(), cwd=cwd,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"the MPI job did not end within {timeout} s (a hang):\n{err[-3000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.fixture
def run_ranks():
    """``run_ranks(worker, *args, ranks=2, timeout=120, env=None)``: run a worker script of
    tests/distributed/workers as an MPI job and return the CompletedProcess."""
    require_mpi()

    def run(worker: str, *args: str, ranks: int = 2, timeout: float = 120, env: dict | None = None):
        return run_job([sys.executable, str(WORKERS / worker), *args], ranks, timeout, env)

    return run


@pytest.fixture
def world_of_one():
    """A process group of this one process (rank 0 of 1), destroyed after the test."""
    if importlib.util.find_spec("mpi4py") is None:
        missing_oracle("mpi4py is needed: pip install mpi4py mpich")
    import minigrad.distributed as dist

    dist.init_process_group("mpi")
    yield dist
    if dist.is_initialized():
        dist.destroy_process_group()
