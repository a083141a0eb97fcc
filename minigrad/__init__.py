"""minigrad: a small, fast, honest deep-learning framework with PyTorch's API.

    import minigrad
    x = minigrad.randn(3, requires_grad=True)
    (x * x).sum().backward()
    x.grad  # == 2 * x
"""

import os as _os

# Installed, backends/ and models/ sit inside this package (minigrad.backends, minigrad.models).
# In a checkout they sit beside it: let this package find them there, so a checkout (or a git
# worktree of it) always runs its own copy, installed or not.
_checkout = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_checkout, "pyproject.toml")) and _os.path.isfile(
    _os.path.join(_checkout, "backends", "__init__.py")
):
    __path__.append(_checkout)  # noqa: F821  (a package's search path)

# nn, optim and accelerator are usable right after `import minigrad`, as torch's are.
from minigrad import accelerator, autograd, cuda, nn, optim
from minigrad.autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.device import device, get_default_device, set_default_device
from minigrad.dtypes import bool_ as bool  # PyTorch's name
from minigrad.dtypes import (
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from minigrad.factories import (
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.functions import (
    abs,
    amax,
    amin,
    argmax,
    argmin,
    clamp,
    clone,
    exp,
    flatten,
    log,
    log_softmax,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    permute,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    squeeze,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)

# DLPack: zero-copy exchange with NumPy, CuPy and PyTorch (Tensor.__dlpack__ is the other way).
from minigrad.generator import Generator
from minigrad.interop import from_dlpack
from minigrad.memory_format import channels_last, contiguous_format, memory_format, preserve_format
from minigrad.ops.composite import cat, stack
from minigrad.ops.gather_scatter import (
    argwhere,
    gather,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    put,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)
from minigrad.ops.layout import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    cartesian_prod,
    chunk,
    column_stack,
    diag,
    diag_embed,
    diagonal,
    dsplit,
    dstack,
    flip,
    fliplr,
    flipud,
    hsplit,
    hstack,
    meshgrid,
    movedim,
    narrow,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    select,
    split,
    swapaxes,
    tensor_split,
    tile,
    trace,
    tril,
    tril_indices,
    triu,
    triu_indices,
    unbind,
    vsplit,
    vstack,
)
from minigrad.ops.layout import movedim as moveaxis
from minigrad.ops.layout import swapaxes as swapdims
from minigrad.ops.products import (
    addbmm,
    addmm,
    addmv,
    baddbmm,
    bmm,
    cross,
    dot,
    einsum,
    ger,
    kron,
    mm,
    mv,
    outer,
    tensordot,
    vdot,
)
from minigrad.ops.sorting import (
    argsort,
    bincount,
    bucketize,
    kthvalue,
    median,
    mode,
    msort,
    nanmedian,
    searchsorted,
    sort,
    topk,
    unique,
    unique_consecutive,
)
from minigrad.printing import set_printoptions
from minigrad.random_ops import bernoulli, multinomial, normal, poisson
from minigrad.serialization import CheckpointError, load, save
from minigrad.size import Size
from minigrad.tensor import Tensor
from minigrad.tensor_special import erf, expm1, log1p
from minigrad.type_info import finfo, iinfo

float = float32
double = float64
half = float16
long = int64
int = int32
cfloat = complex64
cdouble = complex128


def __getattr__(name: str) -> object:
    # minigrad.utils (torch.utils.data) and minigrad.data on first use: importing the data
    # package (MNIST's download code) is not part of every `import minigrad`.
    if name in ("utils", "data"):
        import importlib

        return importlib.import_module(f"minigrad.{name}")
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    "Tensor", "from_dlpack", "autograd", "cuda", "nn", "optim", "device", "tensor", "from_numpy", "zeros",
    "ones", "empty", "full", "eye", "arange", "linspace", "randn", "rand", "randint", "randperm",
    "zeros_like", "ones_like", "empty_like", "randn_like", "rand_like", "full_like",
    "manual_seed", "get_rng_state", "set_rng_state", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "inference_mode", "is_inference_mode_enabled",
    "cat", "stack", "save", "load", "CheckpointError",
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
    "float", "double", "half", "long", "int", "abs", "amax", "amin", "argmax", "argmin", "clamp",
    "exp", "flatten", "log", "log_softmax", "matmul", "max", "maximum", "mean", "min", "minimum",
    "permute", "relu", "reshape", "sigmoid", "softmax", "sqrt", "squeeze", "sum", "tanh",
    "transpose", "unsqueeze", "var", "where",
    "accelerator", "dtype", "Size", "complex64", "complex128", "cfloat", "cdouble",
    "get_default_device", "set_default_device", "get_default_dtype", "set_default_dtype",
    "set_printoptions", "Generator", "finfo", "iinfo",
    "erf", "expm1", "log1p",
    # indexing, layout, sorting, products and sampling (issue 10)
    "clone", "memory_format", "contiguous_format", "preserve_format", "channels_last",
    "argwhere", "gather", "index_add", "index_copy", "index_fill", "index_select",
    "masked_fill", "masked_scatter", "masked_select", "nonzero", "put", "scatter", "scatter_add",
    "scatter_reduce", "take", "take_along_dim", "block_diag", "cartesian_prod", "chunk", "diag", "diag_embed",
    "diagonal", "flip", "fliplr", "flipud", "meshgrid", "movedim", "moveaxis", "narrow", "repeat_interleave",
    "roll", "rot90", "select", "split", "swapaxes", "swapdims", "tensor_split", "tile", "trace", "tril", "triu",
    "unbind", "addbmm", "addmm", "addmv", "baddbmm", "bmm", "cross", "dot", "einsum", "ger", "kron", "mm", "mv",
    "outer", "vdot", "argsort", "kthvalue", "median", "mode", "msort", "nanmedian", "sort", "topk", "unique",
    "unique_consecutive", "bernoulli", "multinomial", "normal", "poisson", "index_put", "atleast_1d",
    "atleast_2d", "atleast_3d", "column_stack", "dsplit", "dstack", "hsplit", "hstack", "row_stack", "tril_indices",
    "triu_indices", "vsplit", "vstack", "tensordot", "bincount", "bucketize", "searchsorted",
]
