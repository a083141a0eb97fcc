"""A failing rank ends the whole job quickly, non-zero, and says why (workers/failures.py)."""

from __future__ import annotations

import time

import pytest


def run_failure(run_ranks, mode: str):
    start = time.monotonic()
    result = run_ranks("failures.py", mode, timeout=60)
    return result, time.monotonic() - start


def test_a_rank_that_raises_ends_the_job_with_its_traceback(run_ranks):
    result, seconds = run_failure(run_ranks, "raise")
    assert result.returncode != 0
    assert "rank 1 of 2 raised ValueError" in result.stderr
    assert "Traceback" in result.stderr and "ValueError: rank 1 found a corrupt batch" in result.stderr
    assert "nothing went wrong" not in result.stdout
    # rank 0 waits in a collective with a 60 s timeout: only MPI_Abort can end it this early.
    assert seconds < 30, f"the job took {seconds:.1f} s to end"


def test_a_rank_that_never_joins_makes_the_collective_time_out_with_a_clear_message(run_ranks):
    result, seconds = run_failure(run_ranks, "timeout")
    assert result.returncode != 0
    assert "DistBackendError" in result.stderr
    assert "all_reduce on rank 0 of 2 timed out after 2 s" in result.stderr
    assert "another rank did not join it" in result.stderr and "timeout=" in result.stderr
    assert seconds < 30


@pytest.mark.parametrize("mode, words", [
    ("shapes", "parameter '2.weight' on rank 0 has shape (2, 8)"),
    ("count", "rank 1 has 4 parameters but rank 0 has 2"),
])
def test_different_models_on_the_ranks_are_named_at_construction(run_ranks, mode, words):
    result, _ = run_failure(run_ranks, mode)
    assert result.returncode != 0
    assert "DistributedDataParallel: the model differs between ranks" in result.stderr
    assert words in result.stderr, result.stderr[-3000:]
    assert "nothing went wrong" not in result.stdout
