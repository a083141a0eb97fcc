"""Training utilities (``torch.nn.utils``): gradient clipping, parameters as one vector, and
``rnn`` (``pad_sequence``, packed sequences)."""

from minigrad.nn.utils import clip_grad, convert_parameters, rnn  # noqa: F401  (submodules, as in torch)
from minigrad.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from minigrad.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]
