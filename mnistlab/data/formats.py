"""Reading the file formats MNIST comes in, and checking what they hold.

(Over 300 lines on purpose: all parsing of untrusted bytes in one module, with its caps.)

Kept apart from `mnistlab.data.sources` (which knows where datasets come from) because this is
the part that touches untrusted bytes: IDX files (gzipped or not), Keras-layout .npz
archives, and the arrays inside them. Everything here is pure parsing and checking with
size caps, no network or caches, so it can be read and tested on its own. Anything a
user can hand us (a path, uploaded bytes) fails with a `DataError` that names the file
and the problem, never with a raw parser exception. Underscored names stay in this module.
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

from mnistlab.data.pixels import IMAGE_SHAPE, IMAGE_SHAPES, PIXEL_MAX, to_uint8
from mnistlab.errors import DataError
from mnistlab.i18n import L_, N_, Message

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
_ROLE_TEXT = {("train", "images"): L_("training images"), ("train", "labels"): L_("training labels"),
              ("test", "images"): L_("test images"), ("test", "labels"): L_("test labels")}
Where = str | Message  # what a message calls a file: its name, or words such as "the uploaded .npz"


# ---------------------------------------------------------------- checking arrays

def checked_arrays(arrays: Mapping[str, np.ndarray], where: Where) -> dict[str, np.ndarray]:
    """The four arrays of a set (NPZ_KEYS) as read-only uint8 images and labels, counts matching."""
    out = {}
    for key in NPZ_KEYS:
        convert = _as_images if key.startswith("x") else _as_labels
        out[key] = convert(np.asarray(arrays[key]), L_("{where}: {key}", where=where, key=key))
    for split in ("train", "test"):
        n_x, n_y = len(out[f"x_{split}"]), len(out[f"y_{split}"])
        if n_x != n_y:
            raise DataError("count_mismatch", N_("{where}: x_{split} has {n_x:,} images but y_{split} has {n_y:,} "
                                                 "labels."), where=where, split=split, n_x=n_x, n_y=n_y)
    return out


def read_only(array: np.ndarray, owned: bool = False) -> np.ndarray:
    """Freeze an array; one that may be the caller's is copied first, so their own
    array stays writable and later writes to it cannot reach the Dataset."""
    if array.flags.writeable:
        array = array if owned else array.copy()
        array.flags.writeable = False
    return array


def _image_count(shape: tuple, what: Where) -> int:
    """How many 28×28 images an array of this shape holds: (N, 28, 28), (N, 784) or
    (N, 28, 28, 1), at most MAX_IMAGES; judged before any data is read."""
    if not (shape[1:] in IMAGE_SHAPES and len(shape) > 1):
        raise DataError("image_shape", N_("{what}: images must be 28×28 (shape (N, 28, 28)), got shape {shape}."),
                        what=what, shape=str(shape))
    if shape[0] == 0:
        raise DataError("no_images", N_("{what}: there are no images."), what=what)
    if shape[0] > MAX_IMAGES:
        raise DataError("too_many_images", N_("{what}: {count:,} images; at most {limit:,} are accepted."),
                        what=what, count=shape[0], limit=MAX_IMAGES)
    return shape[0]


def _to_uint8(chunks: Callable[[], Iterator[np.ndarray]], count: int, dtype: np.dtype, what: Where) -> np.ndarray:
    """Images of any number type as uint8 (count, 28, 28), CHUNK_IMAGES at a time, so a
    float64 set costs its uint8 result plus one chunk, never a float copy of the whole.
    `chunks()` gives the images in order and can be called twice (a first pass finds the
    range: integers must lie in 0..255; floats all within [0, 1] are taken as scaled and
    multiplied by 255, other floats must lie in [0, 255]; floats round to the nearest level)."""
    if dtype.kind not in "iuf":
        raise DataError("image_dtype", N_("{what}: images must be numbers, got dtype {dtype}."), what=what,
                        dtype=str(dtype))
    low, high = math.inf, -math.inf
    for chunk in chunks():
        if dtype.kind == "f" and not np.isfinite(chunk).all():
            raise DataError("image_not_finite", N_("{what}: images contain NaN or infinite values."), what=what)
        low, high = min(low, chunk.min()), max(high, chunk.max())
    if low < 0 or high > PIXEL_MAX:
        raise DataError("pixel_range", N_("{what}: pixel values must lie in 0..255, found {low}..{high}."),
                        what=what, low=low.item() if hasattr(low, "item") else low,
                        high=high.item() if hasattr(high, "item") else high)
    out, done = np.empty((count, *IMAGE_SHAPE), np.uint8), 0
    for chunk in chunks():
        chunk = chunk.reshape(-1, *IMAGE_SHAPE)
        if dtype.kind == "f":
            chunk = to_uint8(chunk) if high <= 1.0 else np.rint(chunk)
        out[done:done + len(chunk)] = chunk
        done += len(chunk)
    if done != count:
        raise DataError("truncated", N_("{what} is truncated."), what=what)
    return out


def _as_images(a: np.ndarray, what: Where) -> np.ndarray:
    """uint8 (N, 28, 28) from (N, 28, 28), (N, 784) or (N, 28, 28, 1) of any number type
    (see `_to_uint8`), converted in chunks."""
    count = _image_count(a.shape, what)
    a = a if a.shape[1:] == IMAGE_SHAPE else a.reshape(count, *IMAGE_SHAPE)
    if a.dtype == np.uint8:
        return read_only(a)
    chunks = lambda: (a[i:i + CHUNK_IMAGES] for i in range(0, count, CHUNK_IMAGES))  # noqa: E731
    return read_only(_to_uint8(chunks, count, a.dtype, what), owned=True)


def _as_labels(a: np.ndarray, what: Where) -> np.ndarray:
    """uint8 (N,) in 0..9; (N, 1) and integral floats are accepted."""
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise DataError("label_shape", N_("{what}: labels must be one number per image (shape (N,)), got shape "
                                          "{shape}."), what=what, shape=str(a.shape))
    if a.dtype.kind not in "iuf" or (a.dtype.kind == "f" and not np.all(np.mod(a, 1) == 0)):
        raise DataError("label_dtype", N_("{what}: labels must be whole numbers 0–9, got dtype {dtype}."),
                        what=what, dtype=str(a.dtype))
    if len(a) and (a.min() < 0 or a.max() > 9):
        raise DataError("label_range", N_("{what}: labels must lie in 0–9, found {low}..{high}."), what=what,
                        low=f"{a.min():g}", high=f"{a.max():g}")
    return read_only(a.astype(np.uint8), owned=True) if a.dtype != np.uint8 else read_only(a)


# ---------------------------------------------------------------- parsing bytes

class _Gunzip:
    """Reads (possibly multi-member) gzip a piece at a time, so only what is asked for is
    ever inflated: a bomb costs what its header declares, and the header is checked first."""

    def __init__(self, data: bytes, what: Where) -> None:
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
                        raise DataError("gzip_truncated", N_("{what} is a truncated gzip file."), what=self.what)
                    break
                source = self.stream.unconsumed_tail or self.rest[: 1 << 16]
                self.rest = self.rest if self.stream.unconsumed_tail else self.rest[1 << 16:]
                self.pending = self.stream.decompress(source, min(n - len(out), 1 << 20))
        except zlib.error as error:
            raise DataError("gzip_damaged", N_("{what} is a damaged gzip file ({error})."), what=self.what,
                            error=str(error)) from error
        return bytes(out)


def parse_idx(data: bytes, what: Where, kind: str | None = None) -> np.ndarray:
    """Parse one IDX file (gzipped or not, judged by its magic bytes 1f 8b) into uint8
    (N, 28, 28) images or (N,) labels. `what` names the file in error messages; `kind`
    ("images" or "labels"), if given, must match the file's own magic number. The header's
    sizes are checked before the data is read (or inflated)."""
    stream = _Gunzip(data, what) if bytes(data[:2]) == b"\x1f\x8b" else io.BytesIO(data)
    head = stream.read(4)
    if not head:
        raise DataError("empty", N_("{what} is empty."), what=what)
    magic = int.from_bytes(head.ljust(4, b"\xff"), "big")
    if magic not in _IDX_MAGIC.values():
        raise DataError("idx_magic", N_("{what} is not an MNIST IDX file: magic number 0x{magic:08x}, expected "
                                        "0x00000803 (images) or 0x00000801 (labels)."), what=what, magic=magic)
    found = "images" if magic == _IDX_MAGIC["images"] else "labels"
    if kind is not None and kind != found:
        if kind == "images":
            raise DataError("idx_kind", N_("{what} holds labels (magic 0x{magic:08x}) but images were expected."),
                            what=what, magic=magic)
        raise DataError("idx_kind", N_("{what} holds images (magic 0x{magic:08x}) but labels were expected."),
                        what=what, magic=magic)
    raw_dims = stream.read(4 * (magic & 0xFF))
    if len(raw_dims) < 4 * (magic & 0xFF):
        raise DataError("idx_header_truncated", N_("{what} is truncated inside its header."), what=what)
    dims = struct.unpack(f">{magic & 0xFF}I", raw_dims)
    if found == "images" and dims[1:] != (28, 28):
        raise DataError("idx_image_size", N_("{what}: images must be 28×28, this file holds {height}×{width}."),
                        what=what, height=dims[1], width=dims[2])
    if dims[0] > MAX_IMAGES and found == "images":
        raise DataError("too_many_images", N_("{what}: its header declares {count:,} images; at most {limit:,} are "
                                              "accepted."), what=what, count=dims[0], limit=MAX_IMAGES)
    if dims[0] > MAX_IMAGES:
        raise DataError("too_many_labels", N_("{what}: its header declares {count:,} labels; at most {limit:,} are "
                                              "accepted."), what=what, count=dims[0], limit=MAX_IMAGES)
    count = math.prod(dims)
    if 4 + len(raw_dims) + count > MAX_BYTES:
        raise DataError("too_large", N_("{what} would decompress to more than {limit:,} bytes; refusing it."),
                        what=what, limit=MAX_BYTES)
    array, body = np.empty(count, np.uint8), 0
    while body < count and (piece := stream.read(min(count - body, 1 << 20))):
        array[body:body + len(piece)] = np.frombuffer(piece, np.uint8)
        body += len(piece)
    if body < count:
        raise DataError("idx_truncated", N_("{what} is truncated: its header promises {count:,} bytes of data, found "
                                            "{found:,}."), what=what, count=count, found=body)
    if stream.read(1):
        raise DataError("idx_extra_bytes", N_("{what} has extra bytes: its header promises {count:,} bytes of data, "
                                              "found more."), what=what, count=count)
    array = array.reshape(dims)
    if found == "labels" and count and array.max() > 9:
        raise DataError("label_range", N_("{what}: labels must lie in 0–9, found {high}."), what=what,
                        high=int(array.max()))
    return array


def _npy_header(stream: BinaryIO, key: str, what: Where) -> tuple[tuple, bool, np.dtype]:
    """Shape, order and dtype of one .npy member, checked before its data is read: np.load
    would allocate whatever shape a header claims, and would unpickle object arrays if allowed."""
    version = np.lib.format.read_magic(stream)
    if version not in ((1, 0), (2, 0)):
        raise DataError("npy_version", N_("{what}: unsupported .npy format version {version}."), what=what,
                        version=str(version))
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
        np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(stream)
    if dtype.hasobject:
        raise DataError("npy_objects", N_("{what} holds Python objects (pickled data); refusing to load it."),
                        what=what)
    if any(d < 0 for d in shape):
        raise DataError("npy_shape", N_("{what}: implausible array shape {shape}."), what=what, shape=str(shape))
    if key.startswith("x"):
        _image_count(shape, what)
    elif len(shape) not in (1, 2) or shape[1:] not in ((), (1,)):
        raise DataError("label_shape", N_("{what}: labels must be one number per image (shape (N,)), got shape "
                                          "{shape}."), what=what, shape=str(shape))
    elif shape[0] > MAX_IMAGES:
        raise DataError("too_many_labels", N_("{what}: {count:,} labels; at most {limit:,} are accepted."),
                        what=what, count=shape[0], limit=MAX_IMAGES)
    if dtype.itemsize > 8 and key.startswith("x"):
        raise DataError("image_dtype", N_("{what}: images must be numbers, got dtype {dtype}."), what=what,
                        dtype=str(dtype))
    if dtype.itemsize > 8:
        raise DataError("label_dtype", N_("{what}: labels must be numbers, got dtype {dtype}."), what=what,
                        dtype=str(dtype))
    return shape, fortran_order, dtype


def _read_data(stream: BinaryIO, count: int, dtype: np.dtype, what: Where) -> np.ndarray:
    out, done, size = np.empty(count, dtype), 0, count * dtype.itemsize
    raw = out.view(np.uint8)
    while done < size and (piece := stream.read(min(size - done, 1 << 20))):
        raw[done:done + len(piece)] = np.frombuffer(piece, np.uint8)
        done += len(piece)
    if done < size:
        raise DataError("truncated", N_("{what} is truncated."), what=what)
    return out


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, what: Where) -> np.ndarray:
    """One array of an .npz. Images that are not uint8 are converted while they are read,
    CHUNK_IMAGES at a time (reading the member twice: once for the range, once to convert)."""
    with archive.open(info) as stream:
        shape, fortran_order, dtype = _npy_header(stream, key, what)
        if not key.startswith("x") or dtype == np.uint8:
            array = _read_data(stream, math.prod(shape), dtype, what)
            return array.reshape(shape, order="F" if fortran_order else "C")
    if fortran_order:
        raise DataError("npy_fortran", N_("{what}: images of dtype {dtype} stored in Fortran order; save them with "
                                          "np.ascontiguousarray (or as uint8)."), what=what, dtype=str(dtype))
    count = shape[0]

    def chunks() -> Iterator[np.ndarray]:
        with archive.open(info) as again:
            _npy_header(again, key, what)
            for start in range(0, count, CHUNK_IMAGES):
                n = min(CHUNK_IMAGES, count - start)
                yield _read_data(again, n * 784, dtype, what)

    return _to_uint8(chunks, count, dtype, what)


def read_npz(data: bytes, what: Where) -> dict[str, np.ndarray]:
    """The four arrays of a Keras-layout .npz, within the size caps; `what` names it in messages."""
    if not data:
        raise DataError("empty", N_("{what} is empty."), what=what)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            missing = [key for key in NPZ_KEYS if key not in members]
            if missing:
                if members:
                    raise DataError("npz_missing", N_("{what} lacks the arrays {missing} (an MNIST .npz holds "
                                                      "{wanted}; it has {found})."), what=what,
                                    missing=", ".join(missing), wanted=", ".join(NPZ_KEYS), found=", ".join(members))
                raise DataError("npz_missing", N_("{what} lacks the arrays {missing} (an MNIST .npz holds {wanted}; "
                                                  "it has none)."), what=what, missing=", ".join(missing),
                                wanted=", ".join(NPZ_KEYS))
            if sum(members[key].file_size for key in NPZ_KEYS) > MAX_UNPACKED_BYTES:
                raise DataError("too_large", N_("{what} unpacks to more than {limit:,} bytes; refusing it."),
                                what=what, limit=MAX_UNPACKED_BYTES)
            return {key: _read_npy(archive, members[key], key, L_("{where}: {key}", where=what, key=key))
                    for key in NPZ_KEYS}
    except DataError:
        raise
    except Exception as error:  # zipfile and numpy's header parser raise a zoo of types
        raise DataError("npz_unreadable", N_("{what} is not a readable .npz file ({error})."), what=what,
                        error=str(error)) from error


def read_file(path: Path) -> bytes:
    """A file's bytes, refused above MAX_BYTES."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DataError("too_large", N_("{what} is larger than {limit:,} bytes; refusing it."), what=str(path),
                            limit=MAX_BYTES)
        return path.read_bytes()
    except OSError as error:
        raise DataError("unreadable", N_("Cannot read {what}: {error}."), what=str(path),
                        error=str(error.strerror or error)) from error


# ---------------------------------------------------------------- sets of IDX files

def idx_role(filename: str) -> tuple[str, str] | None:
    """Which of the four files this is, judged by its name (Keras, Debian and the
    original dotted `train-images.idx3-ubyte` spellings all work)."""
    name = Path(filename).name.lower()
    split = "test" if ("t10k" in name or "test" in name) else "train" if "train" in name else None
    kind = "images" if ("images" in name or "idx3" in name) else \
        "labels" if ("labels" in name or "idx1" in name) else None
    return (split, kind) if split and kind else None


def _role_list(roles: list[tuple[str, str]]) -> Message:
    """"test images, test labels": each name said in the reader's language when shown (a template
    of placeholders only needs no catalog entry: it is the same in every language)."""
    return Message(", ".join(f"{{r{i}}}" for i in range(len(roles))),
                   **{f"r{i}": _ROLE_TEXT[role] for i, role in enumerate(roles)})


def idx_arrays(files: Mapping[str, bytes], origin: Where, strict: bool) -> dict[str, np.ndarray]:
    """The four IDX files of a set, told apart by name and parsed, keyed like an .npz.
    `strict` refuses files whose name says nothing; otherwise they are skipped."""
    roles: dict[tuple[str, str], str] = {}
    for filename in sorted(files):
        role = idx_role(filename)
        if role is None:
            if strict:
                raise DataError("idx_unnamed", N_("Cannot tell which IDX file {filename} is: its name should say "
                                                  "train or t10k/test, and images or labels."), filename=filename)
            continue
        if role in roles:
            raise DataError("idx_duplicate", N_("Two files for the {role}: {first} and {second}."),
                            role=_ROLE_TEXT[role], first=roles[role], second=filename)
        roles[role] = filename
    missing = [role for role in IDX_FILES if role not in roles]
    if missing:
        raise DataError("idx_missing", N_("{origin}: missing the IDX file(s) for {missing} (expected names like "
                                          "{expected})."), origin=origin,
                        missing=_role_list(missing), expected=", ".join(IDX_FILES.values()))
    parsed = {role: parse_idx(files[roles[role]], roles[role], role[1]) for role in IDX_FILES}
    for split in ("train", "test"):
        (images, image_file), (labels, label_file) = (
            (parsed[(split, k)], roles[(split, k)]) for k in ("images", "labels"))
        if len(images) != len(labels):
            raise DataError("idx_count_mismatch", N_("{image_file} has {images:,} images but {label_file} has "
                                                     "{labels:,} labels."), image_file=image_file,
                            images=len(images), label_file=label_file, labels=len(labels))
    return {f"{'x' if kind == 'images' else 'y'}_{split}": array
            for (split, kind), array in parsed.items()}
