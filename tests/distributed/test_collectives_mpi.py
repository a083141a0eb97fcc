"""Every collective on every dtype between 2 real MPI processes (workers/collectives.py)."""

from __future__ import annotations


def test_every_collective_on_every_dtype_agrees_with_numpy_on_both_ranks(run_ranks):
    result = run_ranks("collectives.py", timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    for rank in (0, 1):
        assert f"collectives ok on rank {rank}:" in result.stdout, result.stdout
