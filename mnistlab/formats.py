"""Reading the file formats MNIST comes in, and checking what they hold.

Kept apart from `mnistlab.data` (which knows where datasets come from) because this is
the part that touches untrusted bytes: IDX files (gzipped or not), Keras-layout .npz
archives, and the arrays inside them. Everything here is pure parsing and checking with
size caps, no network or caches, so it can be read and tested on its own. Anything a
user can hand us (a path, uploaded bytes) fails with a `DataError` that names the file
and the problem, never with a raw parser exception. Underscored names are shared with
`mnistlab.data` but are not part of the public API.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mnistlab.errors import DataError

IDX_FILES = {  # Keras / Debian names, keyed by (split, kind)
    ("train", "images"): "train-images-idx3-ubyte.gz",
    ("train", "labels"): "train-labels-idx1-ubyte.gz",
    ("test", "images"): "t10k-images-idx3-ubyte.gz",
    ("test", "labels"): "t10k-labels-idx1-ubyte.gz",
}
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_BYTES = 200_000_000  # the full sets are ~55 MB; anything far bigger is a bomb
_IDX_MAGIC = {"labels": 0x00000801, "images": 0x00000803}
_ROLE_TEXT = {("train", "images"): "training images", ("train", "labels"): "training labels",
              ("test", "images"): "test images", ("test", "labels"): "test labels"}


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


# ---------------------------------------------------------------- sets of IDX files

def _idx_role(filename: str) -> tuple[str, str] | None:
    """Which of the four files this is, judged by its name (Keras, Debian and the
    original dotted `train-images.idx3-ubyte` spellings all work)."""
    name = Path(filename).name.lower()
    split = "test" if ("t10k" in name or "test" in name) else "train" if "train" in name else None
    kind = "images" if ("images" in name or "idx3" in name) else \
        "labels" if ("labels" in name or "idx1" in name) else None
    return (split, kind) if split and kind else None


def _idx_arrays(files: Mapping[str, bytes], origin: str, strict: bool) -> dict[str, np.ndarray]:
    """The four IDX files of a set, told apart by name and parsed, keyed like an .npz.
    `strict` refuses files whose name says nothing; otherwise they are skipped."""
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
    return {f"{'x' if kind == 'images' else 'y'}_{split}": array
            for (split, kind), array in parsed.items()}
