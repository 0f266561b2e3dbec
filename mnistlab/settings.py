"""Where mnistlab keeps its files on this machine: one place for the rule."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The folder of the training cache and the default SQLite run store: `MNISTLAB_CACHE_DIR`, else
    `~/.cache/mnistlab`. Each process reads its own setting (a worker on another machine has its own)."""
    return Path(os.environ.get("MNISTLAB_CACHE_DIR") or Path.home() / ".cache" / "mnistlab")
