"""Sampling: PyTorch's signatures, shapes, dtypes and errors; the statistics of the samples;
reproducibility under ``manual_seed`` and ``minigrad.Generator``. (The streams themselves
cannot match PyTorch's: the generators differ.)"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad


def shape_and_dtype(tensor):
    return tuple(tensor.shape), str(tensor.dtype).replace("torch.", "").replace("minigrad.", "")


SIGNATURES = {  # the same call on both libraries: shapes and dtypes must agree
    "rand size=": lambda lib: lib.rand(size=(2, 3)),
    "rand tuple float64": lambda lib: lib.rand((2, 3), dtype=lib.float64),
    "randn varargs": lambda lib: lib.randn(2, 3, 4),
    "randn size= float16": lambda lib: lib.randn(size=(5,), dtype=lib.float16),
    "randint high size": lambda lib: lib.randint(5, (3,)),
    "randint low high size=": lambda lib: lib.randint(2, 5, size=(2, 2)),
    "randint int32": lambda lib: lib.randint(0, 5, (3,), dtype=lib.int32),
    "randint float": lambda lib: lib.randint(0, 5, (3,), dtype=lib.float32),
    "randperm": lambda lib: lib.randperm(7),
    "randperm int32": lambda lib: lib.randperm(4, dtype=lib.int32),
    "randperm empty": lambda lib: lib.randperm(0),
    "normal float float size": lambda lib: lib.normal(2.0, 3.0, (4, 2)),
    "normal float float size= dtype": lambda lib: lib.normal(0.0, 1.0, size=(3,), dtype=lib.float64),
    "normal tensor tensor": lambda lib: lib.normal(lib.zeros(2, 1), lib.ones(3)),
    "normal tensor float": lambda lib: lib.normal(lib.zeros(2, 3, dtype=lib.float64), 2.0),
    "normal float tensor": lambda lib: lib.normal(1.0, lib.ones(4)),
    "bernoulli": lambda lib: lib.bernoulli(lib.full((3, 2), 0.5)),
    "bernoulli float64": lambda lib: lib.bernoulli(lib.full((3,), 0.5, dtype=lib.float64)),
    "Tensor.bernoulli p": lambda lib: lib.zeros(4).bernoulli(0.3),
    "poisson": lambda lib: lib.poisson(lib.full((2, 2), 3.0)),
    "multinomial 1-D": lambda lib: lib.multinomial(lib.tensor([0.2, 0.3, 0.5]), 2),
    "multinomial 2-D replacement": lambda lib: lib.multinomial(lib.ones(4, 3), 6, replacement=True),
    "Tensor.multinomial": lambda lib: lib.ones(3).multinomial(3),
    "uniform_": lambda lib: lib.empty(2, 3).uniform_(-1, 1),
    "normal_": lambda lib: lib.empty(2, 3, dtype=lib.float64).normal_(1.0, 0.5),
    "bernoulli_": lambda lib: lib.empty(3).bernoulli_(0.25),
    "bernoulli_ int": lambda lib: lib.zeros(3, dtype=lib.int64).bernoulli_(0.5),
    "random_ float": lambda lib: lib.empty(3).random_(),
    "random_ to": lambda lib: lib.empty(3, dtype=lib.int32).random_(7),
    "random_ from to": lambda lib: lib.empty(3, dtype=lib.int64).random_(-3, 3),
    "exponential_": lambda lib: lib.empty(4).exponential_(2.0),
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_shapes_and_dtypes_match_pytorch(name, torch):
    made = SIGNATURES[name](minigrad)
    assert shape_and_dtype(made) == shape_and_dtype(SIGNATURES[name](torch))
    assert not made.requires_grad


ERRORS = {
    "rand of integers": (lambda lib: lib.rand(2, dtype=lib.int64), NotImplementedError),
    "randn of integers": (lambda lib: lib.randn(2, dtype=lib.int64), NotImplementedError),
    "randint empty range": (lambda lib: lib.randint(3, 3, (2,)), RuntimeError),
    "randperm negative": (lambda lib: lib.randperm(-1), RuntimeError),
    "multinomial 3-D": (lambda lib: lib.multinomial(lib.ones(1, 1, 2), 1), RuntimeError),
    "multinomial negative": (lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1), RuntimeError),
    "multinomial zero sum": (lambda lib: lib.multinomial(lib.zeros(2), 1), RuntimeError),
    "multinomial too many": (lambda lib: lib.multinomial(lib.ones(2), 3), RuntimeError),
    "multinomial no samples": (lambda lib: lib.multinomial(lib.ones(2), 0), RuntimeError),
    "multinomial integers": (lambda lib: lib.multinomial(lib.ones(2, dtype=lib.int64), 1), RuntimeError),
    "normal negative std": (lambda lib: lib.normal(0.0, -1.0, (2,)), RuntimeError),
    "normal negative std tensor": (lambda lib: lib.normal(lib.zeros(2), -lib.ones(2)), RuntimeError),
    "bernoulli p > 1": (lambda lib: lib.bernoulli(lib.tensor([2.0])), RuntimeError),
    "poisson negative rate": (lambda lib: lib.poisson(lib.tensor([-1.0])), RuntimeError),
    "uniform_ from > to": (lambda lib: lib.empty(2).uniform_(3, 1), RuntimeError),
    "uniform_ integers": (lambda lib: lib.empty(2, dtype=lib.int64).uniform_(), NotImplementedError),
    "normal_ negative std": (lambda lib: lib.empty(2).normal_(0, -1), RuntimeError),
    "exponential_ lambda": (lambda lib: lib.empty(2).exponential_(-1), RuntimeError),
    "random_ from >= to": (lambda lib: lib.empty(2).random_(3, 1), RuntimeError),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_arguments_raise_pytorchs_error_class(name, torch):
    fn, error = ERRORS[name]
    with pytest.raises(error):
        fn(minigrad)
    with pytest.raises(error):
        fn(torch)


# --- statistics --------------------------------------------------------------------------------
N = 40_000  # standard error of a mean of unit-variance samples: 0.005; the bounds below are ~6 of it


def test_uniform_and_normal_samples_have_the_right_moments():
    minigrad.manual_seed(0)
    u = minigrad.rand(N, dtype=minigrad.float64).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    z = minigrad.randn(N).numpy()
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    g = minigrad.normal(2.0, 3.0, (N,)).numpy()
    assert abs(g.mean() - 2) < 0.1 and abs(g.std() - 3) < 0.1
    per_element = minigrad.normal(minigrad.tensor([[-5.0], [5.0]]).expand(2, N), minigrad.tensor([0.5, 2.0])[:, None])
    assert np.allclose(per_element.numpy().mean(1), [-5, 5], atol=0.1)
    assert np.allclose(per_element.numpy().std(1), [0.5, 2.0], atol=0.1)
    filled = minigrad.empty(N).uniform_(-3, 1).numpy()
    assert -3 <= filled.min() and filled.max() < 1 and abs(filled.mean() + 1) < 0.05
    normal_filled = minigrad.empty(N, dtype=minigrad.float64).normal_(4.0, 0.5).numpy()
    assert abs(normal_filled.mean() - 4) < 0.02 and abs(normal_filled.std() - 0.5) < 0.02


def test_discrete_samples_have_the_right_frequencies():
    minigrad.manual_seed(1)
    p = minigrad.tensor([0.1, 0.7, 0.2])
    draws = minigrad.bernoulli(p.expand(N, 3)).numpy()
    assert np.allclose(draws.mean(0), [0.1, 0.7, 0.2], atol=0.015) and set(np.unique(draws)) <= {0.0, 1.0}
    assert abs(minigrad.zeros(N).bernoulli_(0.25).numpy().mean() - 0.25) < 0.015
    counts = minigrad.poisson(minigrad.full((N,), 3.5)).numpy()
    assert abs(counts.mean() - 3.5) < 0.06 and abs(counts.var() - 3.5) < 0.15 and (counts == counts.round()).all()
    waits = minigrad.empty(N).exponential_(2.0).numpy()
    assert waits.min() >= 0 and abs(waits.mean() - 0.5) < 0.02
    ints = minigrad.randint(-2, 3, (N,)).numpy()
    assert ints.min() == -2 and ints.max() == 2 and abs(ints.mean()) < 0.05
    filled = minigrad.empty(N, dtype=minigrad.int64).random_(4, 8).numpy()
    assert set(np.unique(filled)) == {4, 5, 6, 7}
    wide = minigrad.empty(N).random_().numpy()
    assert wide.min() >= 0 and wide.max() <= 2**24 and wide.max() > 2**23 and (wide == wide.round()).all()


def test_multinomial_frequencies_and_sampling_without_replacement():
    minigrad.manual_seed(2)
    weights = minigrad.tensor([[1.0, 0.0, 3.0, 4.0], [5.0, 5.0, 0.0, 0.0]])
    draws = minigrad.multinomial(weights, N, replacement=True).numpy()
    for row, w in zip(draws, weights.numpy()):
        assert np.allclose(np.bincount(row, minlength=4) / N, w / w.sum(), atol=0.015)
    for _ in range(50):
        picks = minigrad.multinomial(weights, 2).numpy()
        assert all(len(set(row)) == 2 for row in picks)  # no category twice in a row
        assert set(picks[1]) == {0, 1} and 1 not in picks[0]  # zero weights are never drawn while others remain
    first = np.bincount([int(minigrad.multinomial(minigrad.tensor([1.0, 3.0]), 1)) for _ in range(2000)])
    assert abs(first[1] / 2000 - 0.75) < 0.05


def test_randperm_is_a_permutation():
    minigrad.manual_seed(3)
    for n in (0, 1, 10, 257):
        order = minigrad.randperm(n).numpy()
        assert sorted(order.tolist()) == list(range(n))


# --- reproducibility ---------------------------------------------------------------------------
def draw_everything(generator=None):
    g = {"generator": generator}
    return [minigrad.rand(3, **g), minigrad.randn(size=(2,), **g), minigrad.randint(0, 9, (4,), **g),
            minigrad.randperm(5, **g), minigrad.normal(0.0, 1.0, (2,), **g),
            minigrad.bernoulli(minigrad.full((3,), 0.5), **g),
            minigrad.multinomial(minigrad.ones(4), 2, **g), minigrad.poisson(minigrad.ones(3), **g),
            minigrad.empty(2).uniform_(**g), minigrad.empty(2).normal_(**g), minigrad.empty(2).exponential_(**g),
            minigrad.empty(2).random_(10, **g), minigrad.empty(2).bernoulli_(0.5, **g)]


def same(a, b):
    return all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a, b))


def test_manual_seed_reproduces_every_sampler():
    minigrad.manual_seed(7)
    first = draw_everything()
    minigrad.manual_seed(7)
    assert same(first, draw_everything())
    assert not same(first, draw_everything())


def test_generator_streams_are_reproducible_and_leave_the_default_stream_alone():
    minigrad.manual_seed(11)
    expected = minigrad.rand(4)
    minigrad.manual_seed(11)
    generator = minigrad.Generator().manual_seed(5)
    from_generator = draw_everything(generator)
    assert minigrad.rand(4).equal(expected)  # the default stream did not move
    assert same(from_generator, draw_everything(minigrad.Generator().manual_seed(5)))
    assert generator.initial_seed() == 5 and minigrad.Generator().initial_seed() == 67280421310721


def test_generator_state_round_trips():
    generator = minigrad.Generator().manual_seed(3)
    minigrad.rand(5, generator=generator)
    state = generator.get_state()
    assert state.dtype == minigrad.uint8 and state.ndim == 1
    first = minigrad.rand(5, generator=generator)
    generator.set_state(state)
    assert minigrad.rand(5, generator=generator).equal(first)
    chosen = generator.seed()
    assert generator.initial_seed() == chosen
    with pytest.raises(RuntimeError, match="set_state"):
        generator.set_state(minigrad.tensor([1, 2], dtype="uint8"))


def test_a_generator_of_another_device_type_is_refused(fake_cpu):
    generator = minigrad.Generator(fake_cpu)
    with pytest.raises(RuntimeError, match="generator"):
        minigrad.rand(2, generator=generator)
    with pytest.raises(TypeError, match="Generator"):
        minigrad.rand(2, generator=3)
    assert minigrad.rand(2, generator=generator, device=fake_cpu).device == fake_cpu


@pytest.fixture
def fake_cpu():
    from minigrad.backends.numpy_backend import NumpyBackend

    from minigrad import backends

    class FakeCpuBackend(NumpyBackend):
        type = "randomfake"

    backends.register("randomfake", lambda index: FakeCpuBackend())
    yield "randomfake"
    backends._factories.pop("randomfake", None)
    backends._probes.pop("randomfake", None)
    for key in [k for k in backends._cache if k.startswith("randomfake")]:
        del backends._cache[key]


# --- in place -----------------------------------------------------------------------------------
def test_in_place_fills_bump_the_version_and_refuse_a_leaf_that_requires_grad(torch):
    x = minigrad.zeros(3)
    before = x._version
    x.uniform_()
    assert x._version == before + 1
    for lib in (minigrad, torch):
        leaf = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            leaf.normal_()
        with lib.no_grad():
            leaf.normal_()  # allowed without recording, as PyTorch's init functions do


def test_a_filled_non_leaf_passes_no_gradient_back(torch):
    for lib in (minigrad, torch):
        w = lib.ones(3, requires_grad=True)
        h = w * 2
        h.uniform_()
        (h * 1).sum().backward()
        assert np.array_equal(np.asarray(w.grad.tolist()), np.zeros(3))


def test_samples_of_tensors_that_require_grad_pass_zero_gradients_back(torch):
    for lib in (minigrad, torch):
        mean, std = lib.zeros(2, requires_grad=True), lib.ones(2, requires_grad=True)
        p, rate = lib.full((2,), 0.5, requires_grad=True), lib.full((2,), 2.0, requires_grad=True)
        samples = [lib.normal(mean, std), lib.normal(mean, 2.0), lib.bernoulli(p), lib.poisson(rate)]
        assert all(s.requires_grad for s in samples)
        sum(s.sum() for s in samples).backward()
        for t in (mean, std, p, rate):
            assert t.grad.tolist() == [0.0, 0.0]


def test_generator_seeds_follow_pytorchs_rules(torch):
    assert minigrad.Generator().manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()
    for lib in (minigrad, torch):
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            lib.Generator().manual_seed(2**64)
    assert minigrad.Generator().device == minigrad.device("cpu")
