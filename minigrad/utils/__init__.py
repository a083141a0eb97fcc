"""``minigrad.utils``: where PyTorch keeps ``torch.utils.data``.

``minigrad.utils.data`` IS ``minigrad.data`` (the same module object, and so are its submodules:
``minigrad.utils.data.distributed is minigrad.data.distributed``), so a script's
``from torch.utils.data import DataLoader`` ports by renaming ``torch`` and nothing is defined twice.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from minigrad import data

# Register the aliases before anyone imports ``minigrad.utils.data.X``: otherwise Python would
# load minigrad/data/X.py a second time, as a different module with its own classes.
for _info in pkgutil.iter_modules(data.__path__):
    sys.modules[f"{__name__}.data.{_info.name}"] = importlib.import_module(f"{data.__name__}.{_info.name}")
sys.modules[f"{__name__}.data"] = data

__all__ = ["data"]
