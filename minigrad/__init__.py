"""minigrad: a small, fast, honest deep-learning framework with PyTorch's API.

    import minigrad
    x = minigrad.randn(3, requires_grad=True)
    (x * x).sum().backward()
    x.grad  # == 2 * x
"""

from backends.dtypes import (
    bool_ as bool,  # noqa: A004  (PyTorch's name)
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from minigrad import autograd
from minigrad import cuda  # noqa: F401  (minigrad.cuda.is_available(), as torch.cuda)
from minigrad.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.device import device
from minigrad.factories import (
    arange, empty, empty_like, eye, from_numpy, full, full_like, get_rng_state, linspace, manual_seed, ones,
    ones_like, rand, rand_like, randint, randn, randn_like, randperm, set_rng_state, tensor, zeros,
    zeros_like,
)
from minigrad.ops.composite import cat, stack
from minigrad.serialization import CheckpointError, load, save
from minigrad.tensor import Tensor
from minigrad.functions import (
    abs, amax, amin, argmax, argmin, clamp, exp, flatten, log, matmul, max, maximum, mean, min,
    minimum, permute, relu, reshape, sigmoid, softmax, log_softmax, sqrt, squeeze, sum, tanh,
    transpose, unsqueeze, var, where,
)

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001

__version__ = "0.1.0"

__all__ = [
    "Tensor", "autograd", "device", "tensor", "from_numpy", "zeros", "ones", "empty", "full",
    "eye", "arange", "linspace", "randn", "rand", "randint", "randperm", "zeros_like",
    "ones_like", "empty_like", "randn_like", "rand_like", "full_like", "manual_seed", "no_grad",
    "get_rng_state", "set_rng_state",
    "enable_grad", "set_grad_enabled", "is_grad_enabled", "cat", "stack", "save", "load",
    "CheckpointError", "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "bool",
]
