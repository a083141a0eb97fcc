"""``no_grad``, ``enable_grad`` and ``set_grad_enabled``: context managers, decorators, and
thread-local state, as in PyTorch."""

from __future__ import annotations

import threading

import pytest

import minigrad


@pytest.fixture
def x():
    return minigrad.ones(2, requires_grad=True)


def test_no_grad_context_records_nothing_and_restores(x):
    with minigrad.no_grad():
        assert not minigrad.is_grad_enabled()
        y = x * 2
    assert minigrad.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert (x * 2).requires_grad


def test_no_grad_and_enable_grad_as_decorators(x):
    @minigrad.no_grad()
    def without(t):
        return t * 2

    @minigrad.enable_grad()
    def with_grad(t):
        return t * 2

    assert not without(x).requires_grad
    with minigrad.no_grad():
        assert with_grad(x).requires_grad
        assert not minigrad.is_grad_enabled()
    assert without.__name__ == "without"  # functools.wraps


def test_enable_grad_inside_no_grad(x):
    with minigrad.no_grad():
        with minigrad.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_set_grad_enabled_as_context_call_and_decorator(x):
    with minigrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with minigrad.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()

    try:
        minigrad.set_grad_enabled(False)  # a bare call switches at once, as in PyTorch
        assert not minigrad.is_grad_enabled()
    finally:
        minigrad.set_grad_enabled(True)
    assert minigrad.is_grad_enabled()

    @minigrad.set_grad_enabled(False)
    def without(t):
        return t * 2

    assert minigrad.is_grad_enabled()  # decorating does not switch the mode
    assert not without(x).requires_grad
    assert minigrad.is_grad_enabled()


def test_mode_is_restored_when_the_block_raises():
    with pytest.raises(ValueError):
        with minigrad.no_grad():
            raise ValueError("boom")
    assert minigrad.is_grad_enabled()


def test_the_same_no_grad_object_can_be_reused_and_nested():
    guard = minigrad.no_grad()
    with guard:
        with minigrad.enable_grad():
            with guard:
                assert not minigrad.is_grad_enabled()
            assert minigrad.is_grad_enabled()
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()


def test_grad_mode_is_thread_local(x):
    inside_no_grad, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with minigrad.no_grad():
            seen["worker"] = minigrad.is_grad_enabled()
            inside_no_grad.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside_no_grad.wait(5)
        assert minigrad.is_grad_enabled()
        assert (x * 2).requires_grad  # the main thread still records
    finally:
        release.set()
        thread.join()
    assert seen["worker"] is False

    seen.clear()
    with minigrad.no_grad():
        other = threading.Thread(target=lambda: seen.setdefault("fresh", minigrad.is_grad_enabled()))
        other.start()
        other.join()
    assert seen["fresh"] is True  # a new thread starts with grad enabled
