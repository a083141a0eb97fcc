"""``default_collate`` and ``default_convert``: PyTorch's rules for turning examples into batches.

``default_collate`` merges a list of ``B`` examples field by field: tensors and NumPy arrays are
stacked to ``(B, ...)``, Python ints become an int64 tensor, floats float64 (PyTorch's choice:
``torch.tensor(floats, dtype=torch.float64)``; call ``.float()`` on the batch for float32),
bools bool, NumPy scalars keep their dtype; strings stay a list; dicts, named tuples and
sequences are collated per key/position. A tuple example gives a *list* of batches, as in PyTorch.
``default_convert`` (used when automatic batching is off) turns NumPy arrays into tensors and
leaves everything else as it is.
"""

from __future__ import annotations

import collections.abc
from collections.abc import Sequence
from typing import Any

import numpy as np

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_string_array(array: np.ndarray) -> bool:
    return array.dtype.kind in "SaUO"  # bytes, strings, objects: not numbers


def default_collate(batch: Sequence[Any]) -> Any:
    """One batch from ``batch``, a list of examples (see the module docstring for the rules)."""
    import minigrad

    elem = batch[0]
    if isinstance(elem, minigrad.Tensor):
        return minigrad.stack(list(batch))
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if _is_string_array(np.asarray(elem)):
            raise TypeError(_ERROR.format(np.asarray(elem).dtype))
        return minigrad.from_numpy(np.stack([np.asarray(example) for example in batch]))
    if isinstance(elem, bool):
        return minigrad.tensor(list(batch), dtype=minigrad.bool)
    if isinstance(elem, int):
        return minigrad.tensor(list(batch), dtype=minigrad.int64)
    if isinstance(elem, float):
        return minigrad.tensor(list(batch), dtype=minigrad.float64)
    if isinstance(elem, (str, bytes)):
        return batch  # as given (a list, or a tuple inside a transposed sequence), as PyTorch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([example[key] for example in batch]) for key in elem}
        return _same_type(elem, collated, dict)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(example) != len(elem) for example in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(field) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # a list, not a tuple: PyTorch's (backwards-compatible) choice
        return _same_type(elem, fields, list)
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """NumPy arrays and scalars (not strings) become tensors, inside dicts and sequences too;
    tuples become lists, as in PyTorch; everything else is returned as it is."""
    import minigrad

    if isinstance(data, minigrad.Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        array = np.asarray(data)
        return data if _is_string_array(array) else minigrad.from_numpy(array)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return _same_type(data, {key: default_convert(value) for key, value in data.items()}, dict)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, tuple):
        return [default_convert(value) for value in data]
    if isinstance(data, collections.abc.Sequence):
        return _same_type(data, [default_convert(value) for value in data], list)
    return data


def _same_type(example: Any, collated: Any, fallback: type) -> Any:
    """``collated`` in the example's own container type when it can be built from it (a user's
    dict or list subclass), else the plain ``fallback``."""
    if type(example) is fallback:
        return collated
    try:
        return type(example)(collated)
    except TypeError:
        return collated
