"""The one error every malformed checkpoint is reported as."""

from __future__ import annotations


class CheckpointError(ValueError):
    """A file is not a readable checkpoint; the message names it and the problem."""
