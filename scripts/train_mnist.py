"""Train a LeNet-style network on MNIST with minigrad, from a checkout (no install needed).

    python scripts/train_mnist.py --epochs 1 --limit 5000

The same program as ``python -m minigrad.train`` and the ``minigrad-train`` command: the code
is in ``minigrad/train.py``; ``--help`` lists the flags.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run from a checkout without installing: make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minigrad.train import (  # noqa: E402, F401  (tests and users import these names from here)
    Progress,
    TrainingError,
    check_device,
    console_main,
    load_data,
    main,
    parse_args,
    run,
)

if __name__ == "__main__":
    console_main()
