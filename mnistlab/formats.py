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
from collections.abc import Callable, Iterator, Mapping
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
MAX_BYTES = 200_000_000  # a file as it comes (packed): the full sets are ~55 MB
MAX_IMAGES = 100_000  # per array: MNIST has 60,000 training images
MAX_UNPACKED_BYTES = 2 * MAX_IMAGES * 28 * 28 * 8  # an .npz of float64 train and test images, read in chunks
CHUNK_IMAGES = 1024  # converted at a time: 6 MB of float64
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


def _image_count(shape: tuple, what: str) -> int:
    """How many 28×28 images an array of this shape holds: (N, 28, 28), (N, 784) or
    (N, 28, 28, 1), at most MAX_IMAGES; judged before any data is read."""
    if not (shape[1:] in ((28, 28), (784,), (28, 28, 1)) and len(shape) > 1):
        raise DataError(f"{what}: images must be 28×28 (shape (N, 28, 28)), got shape {shape}.")
    if shape[0] == 0:
        raise DataError(f"{what}: there are no images.")
    if shape[0] > MAX_IMAGES:
        raise DataError(f"{what}: {shape[0]:,} images; at most {MAX_IMAGES:,} are accepted.")
    return shape[0]


def _to_uint8(chunks: Callable[[], Iterator[np.ndarray]], count: int, dtype: np.dtype, what: str) -> np.ndarray:
    """Images of any number type as uint8 (count, 28, 28), CHUNK_IMAGES at a time, so a
    float64 set costs its uint8 result plus one chunk, never a float copy of the whole.
    `chunks()` gives the images in order and can be called twice (a first pass finds the
    range: integers must lie in 0..255; floats all within [0, 1] are taken as scaled and
    multiplied by 255, other floats must lie in [0, 255]; floats round to the nearest level)."""
    if dtype.kind not in "iuf":
        raise DataError(f"{what}: images must be numbers, got dtype {dtype}.")
    low, high = math.inf, -math.inf
    for chunk in chunks():
        if dtype.kind == "f" and not np.isfinite(chunk).all():
            raise DataError(f"{what}: images contain NaN or infinite values.")
        low, high = min(low, chunk.min()), max(high, chunk.max())
    if low < 0 or high > 255:
        raise DataError(f"{what}: pixel values must lie in 0..255, found {low}..{high}.")
    out, done = np.empty((count, 28, 28), np.uint8), 0
    for chunk in chunks():
        chunk = chunk.reshape(-1, 28, 28)
        if dtype.kind == "f":
            chunk = np.rint(chunk * 255.0 if high <= 1.0 else chunk)
        out[done:done + len(chunk)] = chunk
        done += len(chunk)
    if done != count:
        raise DataError(f"{what} is truncated.")
    return out


def _as_images(a: np.ndarray, what: str) -> np.ndarray:
    """uint8 (N, 28, 28) from (N, 28, 28), (N, 784) or (N, 28, 28, 1) of any number type
    (see `_to_uint8`), converted in chunks."""
    count = _image_count(a.shape, what)
    a = a if a.shape[1:] == (28, 28) else a.reshape(count, 28, 28)
    if a.dtype == np.uint8:
        return _read_only(a)
    chunks = lambda: (a[i:i + CHUNK_IMAGES] for i in range(0, count, CHUNK_IMAGES))  # noqa: E731
    return _read_only(_to_uint8(chunks, count, a.dtype, what), owned=True)


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

class _Gunzip:
    """Reads (possibly multi-member) gzip a piece at a time, so only what is asked for is
    ever inflated: a bomb costs what its header declares, and the header is checked first."""

    def __init__(self, data: bytes, what: str) -> None:
        self.rest, self.what = memoryview(data), what
        self.stream, self.pending = zlib.decompressobj(wbits=31), b""

    def read(self, n: int) -> bytes:
        out = bytearray()
        try:
            while len(out) < n:
                if self.pending:
                    take, self.pending = self.pending[: n - len(out)], self.pending[n - len(out):]
                    out += take
                    continue
                if self.stream.eof:
                    if not self.stream.unused_data:
                        break
                    self.rest, self.stream = memoryview(self.stream.unused_data), zlib.decompressobj(wbits=31)
                if not self.rest and not self.stream.unconsumed_tail:
                    if not self.stream.eof:
                        raise DataError(f"{self.what} is a truncated gzip file.")
                    break
                source = self.stream.unconsumed_tail or self.rest[: 1 << 16]
                self.rest = self.rest if self.stream.unconsumed_tail else self.rest[1 << 16:]
                self.pending = self.stream.decompress(source, min(n - len(out), 1 << 20))
        except zlib.error as error:
            raise DataError(f"{self.what} is a damaged gzip file ({error}).") from error
        return bytes(out)


def parse_idx(data: bytes, what: str, kind: str | None = None) -> np.ndarray:
    """Parse one IDX file (gzipped or not, judged by its magic bytes 1f 8b) into uint8
    (N, 28, 28) images or (N,) labels. `what` names the file in error messages; `kind`
    ("images" or "labels"), if given, must match the file's own magic number. The header's
    sizes are checked before the data is read (or inflated)."""
    stream = _Gunzip(data, what) if bytes(data[:2]) == b"\x1f\x8b" else io.BytesIO(data)
    head = stream.read(4)
    if not head:
        raise DataError(f"{what} is empty.")
    magic = int.from_bytes(head.ljust(4, b"\xff"), "big")
    if magic not in _IDX_MAGIC.values():
        raise DataError(f"{what} is not an MNIST IDX file: magic number 0x{magic:08x}, expected "
                        f"0x00000803 (images) or 0x00000801 (labels).")
    found = "images" if magic == _IDX_MAGIC["images"] else "labels"
    if kind is not None and kind != found:
        raise DataError(f"{what} holds {found} (magic 0x{magic:08x}) but {kind} were expected.")
    raw_dims = stream.read(4 * (magic & 0xFF))
    if len(raw_dims) < 4 * (magic & 0xFF):
        raise DataError(f"{what} is truncated inside its header.")
    dims = struct.unpack(f">{magic & 0xFF}I", raw_dims)
    if found == "images" and dims[1:] != (28, 28):
        raise DataError(f"{what}: images must be 28×28, this file holds {dims[1]}×{dims[2]}.")
    if dims[0] > MAX_IMAGES:
        raise DataError(f"{what}: its header declares {dims[0]:,} {found}; at most {MAX_IMAGES:,} are accepted.")
    count = math.prod(dims)
    if 4 + len(raw_dims) + count > MAX_BYTES:
        raise DataError(f"{what} would decompress to more than {MAX_BYTES:,} bytes; refusing it.")
    array, body = np.empty(count, np.uint8), 0
    while body < count and (piece := stream.read(min(count - body, 1 << 20))):
        array[body:body + len(piece)] = np.frombuffer(piece, np.uint8)
        body += len(piece)
    if body < count:
        raise DataError(f"{what} is truncated: its header promises {count:,} bytes of data, found {body:,}.")
    if stream.read(1):
        raise DataError(f"{what} has extra bytes: its header promises {count:,} bytes of data, found more.")
    array = array.reshape(dims)
    if found == "labels" and count and array.max() > 9:
        raise DataError(f"{what}: labels must lie in 0–9, found {array.max()}.")
    return array


def _npy_header(stream: BinaryIO, key: str, what: str) -> tuple[tuple, bool, np.dtype]:
    """Shape, order and dtype of one .npy member, checked before its data is read: np.load
    would allocate whatever shape a header claims, and would unpickle object arrays if allowed."""
    version = np.lib.format.read_magic(stream)
    if version not in ((1, 0), (2, 0)):
        raise DataError(f"{what}: unsupported .npy format version {version}.")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
        np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(stream)
    if dtype.hasobject:
        raise DataError(f"{what} holds Python objects (pickled data); refusing to load it.")
    if any(d < 0 for d in shape):
        raise DataError(f"{what}: implausible array shape {shape}.")
    if key.startswith("x"):
        _image_count(shape, what)
    elif len(shape) not in (1, 2) or shape[1:] not in ((), (1,)):
        raise DataError(f"{what}: labels must be one number per image (shape (N,)), got shape {shape}.")
    elif shape[0] > MAX_IMAGES:
        raise DataError(f"{what}: {shape[0]:,} labels; at most {MAX_IMAGES:,} are accepted.")
    if dtype.itemsize > 8:
        raise DataError(f"{what}: {'images' if key.startswith('x') else 'labels'} must be numbers, got dtype {dtype}.")
    return shape, fortran_order, dtype


def _read_data(stream: BinaryIO, count: int, dtype: np.dtype, what: str) -> np.ndarray:
    out, done, size = np.empty(count, dtype), 0, count * dtype.itemsize
    raw = out.view(np.uint8)
    while done < size and (piece := stream.read(min(size - done, 1 << 20))):
        raw[done:done + len(piece)] = np.frombuffer(piece, np.uint8)
        done += len(piece)
    if done < size:
        raise DataError(f"{what} is truncated.")
    return out


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, what: str) -> np.ndarray:
    """One array of an .npz. Images that are not uint8 are converted while they are read,
    CHUNK_IMAGES at a time (reading the member twice: once for the range, once to convert)."""
    with archive.open(info) as stream:
        shape, fortran_order, dtype = _npy_header(stream, key, what)
        if not key.startswith("x") or dtype == np.uint8:
            array = _read_data(stream, math.prod(shape), dtype, what)
            return array.reshape(shape, order="F" if fortran_order else "C")
    if fortran_order:
        raise DataError(f"{what}: images of dtype {dtype} stored in Fortran order; save them with "
                        "np.ascontiguousarray (or as uint8).")
    count = shape[0]

    def chunks() -> Iterator[np.ndarray]:
        with archive.open(info) as again:
            _npy_header(again, key, what)
            for start in range(0, count, CHUNK_IMAGES):
                n = min(CHUNK_IMAGES, count - start)
                yield _read_data(again, n * 784, dtype, what)

    return _to_uint8(chunks, count, dtype, what)


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
            if sum(members[key].file_size for key in NPZ_KEYS) > MAX_UNPACKED_BYTES:
                raise DataError(f"{what} unpacks to more than {MAX_UNPACKED_BYTES:,} bytes; refusing it.")
            return {key: _read_npy(archive, members[key], key, f"{what}: {key}") for key in NPZ_KEYS}
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
