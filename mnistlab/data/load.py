"""`load_dataset`: MNIST or Fashion-MNIST from the best source there is, loaded once per process.

"auto" tries the Keras cache, then a download when the machine is online, then Debian's
Fashion-MNIST files, then the offline MNIST sample — and after falling back, tries the
download again `DOWNLOAD_RETRY_S` later instead of keeping the sample until a restart.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from mnistlab.data import download, sources
from mnistlab.data.dataset import DATASET_NAMES, Dataset
from mnistlab.data.formats import idx_role
from mnistlab.errors import DataError
from mnistlab.i18n import N_, Message

LOAD_FROM = ("auto", "keras", "sample")  # or a path to an .npz or a folder of IDX files
DOWNLOAD_RETRY_S = 600.0  # after a fallback to the sample, try the full set again this much later

_memo: OrderedDict[tuple, Dataset] = OrderedDict()
_memo_lock = threading.Lock()
_key_locks: dict[tuple, threading.Lock] = {}
_MEMO_SIZE = 4  # full sets are ~55 MB each; Community Cloud has < 2.7 GB
_next_download: dict[str, float] = {}  # dataset name -> time.monotonic() before which "auto" does not download


def _memoised(key: tuple, load: Callable[[], Dataset]) -> Dataset:
    """Load once per process per key; concurrent callers of one key wait for one load."""
    with _memo_lock:
        lock = _key_locks.setdefault(key, threading.Lock())
    with lock:
        with _memo_lock:
            if key in _memo:
                _memo.move_to_end(key)
                return _memo[key]
        dataset = load()
        with _memo_lock:
            _memo[key] = dataset
            while len(_memo) > _MEMO_SIZE:
                _memo.popitem(last=False)
        return dataset


def loaded_by_name(dataset: Dataset) -> bool:
    """Whether `dataset` is one that `load_dataset` has loaded in this process (not an upload),
    so another process can load the same by its name. Never loads anything."""
    with _memo_lock:
        return any(loaded is dataset for loaded in _memo.values())


def clear_cache() -> None:
    """Forget loaded datasets, the online check and when to try a download again (for tests)."""
    with _memo_lock:
        _memo.clear()
    download.forget_online()
    _next_download.clear()


def fallback_expired(dataset: Dataset) -> bool:
    """Whether `dataset` is the offline sample standing in for a full set that could not be
    had, and the time to try the download again has come: a process-wide cache of the
    dataset should then load it again (which retries the download) instead of keeping the
    sample until the server restarts."""
    due = _next_download.get(dataset.name)
    return dataset.is_sample and due is not None and time.monotonic() >= due


def load_dataset(name: str = "mnist", load_from: str | os.PathLike = "auto") -> Dataset:
    """MNIST or Fashion-MNIST from `load_from`: "auto" (Keras cache, then a download if
    online, then Debian's Fashion-MNIST files, then the MNIST sample), "keras" (cache or
    download), "sample" (MNIST only), or a path to an .npz or a folder of IDX files.
    Where the result came from is its `source`."""
    if name not in DATASET_NAMES:
        raise DataError("unknown_dataset", N_("Unknown dataset {name!r}; choose one of {names}."), name=name,
                        names=", ".join(DATASET_NAMES))
    label = DATASET_NAMES[name]
    if isinstance(load_from, os.PathLike) or load_from not in LOAD_FROM:
        return _load_path(name, Path(load_from))
    failed_download: Message | None = None
    if load_from in ("auto", "keras"):
        cached = all(path.is_file() for path in sources.keras_files(name).values())
        waiting = load_from == "auto" and time.monotonic() < _next_download.get(name, 0.0)
        if cached or (not waiting and download.is_online()):
            try:
                return _memoised((name, "keras", str(sources.keras_datasets_dir())),
                                 lambda: sources.load_keras(name, download_missing=not cached))
            except DataError as error:
                if load_from == "keras" or cached:
                    raise
                # "auto" must still give the app something (a captive portal, a flaky
                # network); treat the machine as offline for a while and fall through.
                failed_download = error.message
                download.remember_online(False)
        elif load_from == "keras":
            raise DataError("offline_not_cached", N_("{label} is not in the Keras cache ({path}) and the machine is "
                                                     "offline, so it cannot be downloaded."),
                            label=label, path=sources.shown_path(sources.keras_datasets_dir()))
        if not waiting:  # falling back: do not try the network again for a while
            _next_download[name] = time.monotonic() + DOWNLOAD_RETRY_S
    if name == "fashion_mnist":
        if load_from == "auto" and sources.debian_fashion_installed():
            return _memoised((name, "debian"), sources.load_debian_fashion)
        if failed_download is not None:
            raise DataError("fashion_offline", N_("Fashion-MNIST has no offline sample. Get it by going online (it "
                                                  "downloads once into the Keras cache), by `sudo apt-get install "
                                                  "dataset-fashion-mnist`, or by uploading its four IDX files or an "
                                                  ".npz. (The download failed: {problem})"), problem=failed_download)
        raise DataError("fashion_offline", N_("Fashion-MNIST has no offline sample. Get it by going online (it "
                                              "downloads once into the Keras cache), by `sudo apt-get install "
                                              "dataset-fashion-mnist`, or by uploading its four IDX files or an .npz."))
    return _memoised((name, "sample"), sources.load_sample)


def _load_path(name: str, path: Path) -> Dataset:
    try:
        path = path.expanduser().resolve()
        stat = path.stat()
    except (OSError, RuntimeError) as error:
        raise DataError("path_unreadable", N_("Cannot use {path} as {label} data: it does not exist or cannot be "
                                              "read."), path=str(path), label=DATASET_NAMES[name]) from error
    key = (name, "path", str(path), stat.st_mtime_ns, stat.st_size)
    if path.is_dir():
        return _memoised(key, lambda: sources.load_idx_folder(path, name))
    if idx_role(path.name) and not path.name.endswith(".npz"):
        raise DataError("single_idx_file", N_("{filename} is a single IDX file; give the folder holding all four."),
                        filename=path.name)
    return _memoised(key, lambda: sources.load_npz(path, name))
