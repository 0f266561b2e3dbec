"""The disk cache of finished trainings: the same dataset + spec + settings + seed never trains twice,
also across restarts. An entry is a folder (`runs/KEY/`: `model.keras`, `result.json`) written
whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnistlab.engine.result import TrainResult
from mnistlab.i18n import L_
from mnistlab.settings import cache_dir as default_cache_dir

if TYPE_CHECKING:
    from mnistlab.data.dataset import Dataset
    from mnistlab.model.spec import ModelSpec

CACHE_VERSION = 1

__all__ = ["CACHE_VERSION", "STALE_S", "cache_key", "clean_stale", "default_cache_dir", "load_cached", "store_result"]


def cache_key(spec: ModelSpec, dataset: Dataset) -> str:
    """Same dataset + spec (with its training settings and seed) → same key. The name does not count."""
    settings = spec.to_dict()
    settings.pop("name")
    text = json.dumps({"v": CACHE_VERSION, "data": dataset.fingerprint, "spec": settings}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


STALE_S = 600.0  # a staging folder this old was left by a killed writer (a write takes seconds)
_cleaned: set[str] = set()


def _entry(cache: Path, key: str) -> Path:
    return cache / "runs" / key


def clean_stale(cache: Path, older_than: float = STALE_S) -> None:
    """Remove the half-written entries (`.KEY-*`) a killed process left; once per folder per process."""
    folder = cache / "runs"
    if str(folder) in _cleaned:
        return
    _cleaned.add(str(folder))
    now = time.time()
    for staging in folder.glob(".*-*"):
        try:
            if staging.is_dir() and now - staging.stat().st_mtime > older_than:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError:  # gone meanwhile, or not ours to read: leave it
            pass


def load_cached(cache: Path, key: str) -> TrainResult | None:
    """The stored result for `key`, or None if there is none or it cannot be read."""
    import keras

    folder = _entry(cache, key)
    if not folder.exists():
        return None
    try:
        meta = json.loads((folder / "result.json").read_text())
        history, seconds, epochs_done = meta["history"], float(meta["seconds"]), int(meta["epochs_done"])
        if not isinstance(history, dict):
            raise ValueError("history is not an object")
        model = keras.saving.load_model(folder / "model.keras", compile=False)
    except Exception:  # noqa: BLE001 — any unreadable entry (bad JSON, flipped bytes, a half-copied folder)
        # is a miss: it is dropped and trained again, never an error on every later request
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return TrainResult(
        model, history, seconds, epochs_done, cached=True, key=key,
        message=L_("Loaded from the cache: trained {done} epochs in {seconds:.1f} s before.", done=epochs_done,
                   seconds=seconds),
    )


def store_result(cache: Path, result: TrainResult, extra: dict[str, Any] | None = None) -> Path:
    """Write the model and its history into the cache; readers see all of it or none of it."""
    final = _entry(cache, result.key)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{result.key}-", dir=final.parent))
    try:
        (staging / "model.keras").write_bytes(result.model_bytes())
        meta = {"history": result.history, "seconds": result.seconds, "epochs_done": result.epochs_done}
        (staging / "result.json").write_text(json.dumps({**meta, **(extra or {})}))
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(staging, final)
        except OSError:  # another process stored the same key first: theirs is as good
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
