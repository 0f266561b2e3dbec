"""Tests for mnistlab.data (dataset, sources, download, load): every source, every format, every bad file."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnistlab.data import download, formats, load, sources
from mnistlab.data.dataset import CLASS_NAMES, DIGITS, Dataset, one_hot, to_inputs
from mnistlab.data.formats import IDX_FILES, NPZ_KEYS, idx_role, parse_idx
from mnistlab.data.load import clear_cache, fallback_expired, load_dataset
from mnistlab.data.sources import dataset_from_idx_files, dataset_from_npz_bytes, load_idx_folder, load_npz
from mnistlab.data.stats import class_counts, mean_images
from mnistlab.errors import DataError

KERAS_IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No network, a private Keras home, and nothing remembered between tests."""
    monkeypatch.setenv("MNISTLAB_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    clear_cache()
    yield
    clear_cache()


def tiny_arrays(n_train: int = 30, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX layout written out by hand: 0x0000 0x08 ndim, big-endian dims, raw bytes."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def npz_bytes(arrays: dict, compressed: bool = False) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def write_idx_folder(folder: Path, arrays: dict, gz: bool = True, dotted: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for key, filename in KERAS_IDX_NAMES.items():
        filename = filename.replace("-idx", ".idx") if dotted else filename
        raw = idx_bytes(arrays[key])
        (folder / (filename + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)


def assert_same(dataset: Dataset, arrays: dict) -> None:
    for key, expected in arrays.items():
        actual = getattr(dataset, key)
        assert actual.dtype == np.uint8
        assert not actual.flags.writeable
        np.testing.assert_array_equal(actual, expected)


# ---------------------------------------------------------------- the offline sample

def test_sample_is_real_balanced_read_only_and_deterministic():
    sample = load_dataset("mnist", "sample")
    assert sample.x_train.shape == (4000, 28, 28) and sample.x_test.shape == (1000, 28, 28)
    assert sample.x_train.dtype == np.uint8 and sample.y_train.dtype == np.uint8
    assert list(class_counts(sample.y_train)) == [400] * 10
    assert list(class_counts(sample.y_test)) == [100] * 10
    assert sample.is_sample and "sample" in str(sample.source) and "offline" in str(sample.source)
    assert sample.class_names == tuple("0123456789")
    with pytest.raises(ValueError):
        sample.x_train[0, 0, 0] = 1
    train = {image.tobytes() for image in sample.x_train}
    assert not train & {image.tobytes() for image in sample.x_test}  # no test digit leaks
    assert sample.x_train.max() == 255 and 0.08 < sample.x_train.mean() / 255 < 0.2  # real ink

    clear_cache()
    sources._sample_arrays.cache_clear()
    again = load_dataset("mnist", "sample")
    assert again is not sample
    assert_same(again, {key: getattr(sample, key) for key in NPZ_KEYS})


def test_auto_offline_without_cache_falls_back_to_the_sample_once():
    first = load_dataset()
    assert first.is_sample
    assert load_dataset("mnist", "auto") is first  # loaded once per process


def test_concurrent_loads_share_one_dataset():
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_dataset()))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(result) for result in results}) == 1


@pytest.mark.skipif(not sources.DEBIAN_FASHION_DIR.is_dir(), reason="dataset-fashion-mnist not installed")
def test_auto_offline_finds_debian_fashion_mnist():
    fashion = load_dataset("fashion_mnist")
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.x_test.shape == (10000, 28, 28)
    assert list(class_counts(fashion.y_test)) == [1000] * 10
    assert fashion.class_names[0] == "T-shirt/top" and fashion.class_names[9] == "Ankle boot"
    assert "Debian" in str(fashion.source) and not fashion.is_sample


def test_fashion_without_any_source_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "DEBIAN_FASHION_DIR", tmp_path / "nowhere")
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion_mnist")
    with pytest.raises(DataError, match="offline"):
        load_dataset("fashion_mnist", "keras")


def test_bad_names_and_sources():
    with pytest.raises(DataError, match="kmnist"):
        load_dataset("kmnist")
    with pytest.raises(DataError):
        load_dataset("fashion_mnist", "sample")
    with pytest.raises(DataError, match="no_such.npz"):
        load_dataset("mnist", "/no/where/no_such.npz")


# ---------------------------------------------------------------- the Keras cache and download

def keras_datasets(tmp_path: Path) -> Path:
    return tmp_path / "keras_home" / "datasets"


def test_cached_npz_is_found_by_auto_and_by_keras(tmp_path):
    arrays = tiny_arrays()
    keras_datasets(tmp_path).mkdir(parents=True)
    (keras_datasets(tmp_path) / "mnist.npz").write_bytes(npz_bytes(arrays))
    found = load_dataset("mnist", "auto")
    assert_same(found, arrays)
    assert not found.is_sample and "Keras cache" in str(found.source) and "mnist.npz" in str(found.source)
    assert load_dataset("mnist", "keras") is found


def test_cached_fashion_folder_is_preferred_to_debian(tmp_path):
    arrays = tiny_arrays()
    write_idx_folder(keras_datasets(tmp_path) / "fashion-mnist", arrays)
    found = load_dataset("fashion_mnist")
    assert_same(found, arrays)
    assert found.class_names[1] == "Trouser" and "Keras cache" in str(found.source)


def test_keras_offline_without_cache_is_a_clear_error():
    with pytest.raises(DataError, match="offline"):
        load_dataset("mnist", "keras")


def test_offline_env_never_touches_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used although MNISTLAB_OFFLINE=1")

    monkeypatch.setattr(download.urllib.request, "urlopen", no_network)
    assert not download.is_online()
    assert load_dataset().is_sample


def test_offline_probe_gives_up_quickly(monkeypatch):
    monkeypatch.delenv("MNISTLAB_OFFLINE")
    monkeypatch.setattr(download, "ONLINE_TIMEOUT_S", 0.2)
    release = threading.Event()
    monkeypatch.setattr(download.urllib.request, "urlopen",
                        lambda *args, **kwargs: (release.wait(5), io.BytesIO())[1])
    try:
        assert download.is_online() is False
    finally:
        release.set()


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_download_lands_atomically_where_keras_looks(monkeypatch, tmp_path, name):
    arrays = tiny_arrays()
    served = {"mnist.npz": npz_bytes(arrays)}
    served.update({f"{KERAS_IDX_NAMES[key]}.gz": gzip.compress(idx_bytes(arrays[key]))
                   for key in KERAS_IDX_NAMES})
    urls = []

    def fetch(url, deadline):
        urls.append(url)
        return served[url.rsplit("/", 1)[1]]

    monkeypatch.setattr(download, "KNOWN_SHA256", {name: sha256(raw) for name, raw in served.items()})
    monkeypatch.setattr(download, "is_online", lambda: True)
    monkeypatch.setattr(download, "fetch", fetch)
    loaded = load_dataset(name, "keras")
    assert_same(loaded, arrays)
    assert "download" in str(loaded.source)
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    folder = keras_datasets(tmp_path) / ("" if name == "mnist" else "fashion-mnist")
    expected = ["mnist.npz"] if name == "mnist" else sorted(IDX_FILES.values())
    assert sorted(urls) == [base + filename for filename in expected]
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == expected  # no temp files


def test_bad_download_is_not_cached(monkeypatch, tmp_path):
    monkeypatch.setattr(download, "is_online", lambda: True)
    monkeypatch.setattr(download, "fetch", lambda url, deadline: b"<html>captive portal</html>")
    with pytest.raises(DataError, match="mnist.npz"):
        load_dataset("mnist", "keras")
    assert not (keras_datasets(tmp_path) / "mnist.npz").exists()


def test_auto_falls_back_when_the_download_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(download, "is_online", lambda: True)
    monkeypatch.setattr(download, "fetch", lambda url, deadline: b"<html>captive portal</html>")
    assert load_dataset("mnist").is_sample
    monkeypatch.setattr(sources, "DEBIAN_FASHION_DIR", tmp_path / "nowhere")
    with pytest.raises(DataError, match="download failed"):
        load_dataset("fashion_mnist")


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def test_a_download_that_is_not_the_published_file_is_refused_and_not_cached(monkeypatch, tmp_path):
    monkeypatch.setattr(download, "is_online", lambda: True)
    # a valid .npz, but not MNIST's
    monkeypatch.setattr(download, "fetch", lambda url, deadline: npz_bytes(tiny_arrays()))
    with pytest.raises(DataError, match="mnist.npz is not the file Keras publishes"):
        load_dataset("mnist", "keras")
    assert not (keras_datasets(tmp_path) / "mnist.npz").exists()


def test_the_known_hashes_are_those_keras_checks():
    from keras.src.datasets import mnist

    assert download.KNOWN_SHA256["mnist.npz"] in Path(mnist.__file__).read_text()
    assert set(download.KNOWN_SHA256) == {"mnist.npz", *IDX_FILES.values()}


class Trickle:
    """A response that sends one byte every 10 ms for ever: each read is quick, the whole never ends."""

    def __init__(self, stop: threading.Event):
        self.stop = stop

    def read(self, n=-1):
        return b"" if self.stop.wait(0.01) else b"x"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_the_whole_download_has_a_time_limit(monkeypatch):
    stop = threading.Event()
    monkeypatch.setattr(download.urllib.request, "urlopen", lambda url, timeout: Trickle(stop))
    monkeypatch.setattr(download, "is_online", lambda: True)
    monkeypatch.setattr(download, "DOWNLOAD_TOTAL_S", 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(DataError, match="did not finish within 0.3 s"):
            load_dataset("mnist", "keras")
        assert time.monotonic() - started < 5
    finally:
        stop.set()


def test_after_a_failed_download_the_app_tries_again_later(monkeypatch, tmp_path):
    from ui.resources import shared_dataset

    good = npz_bytes(tiny_arrays())
    served = {"mnist.npz": b"<html>captive portal</html>"}
    calls = []

    def fetch(url, deadline):
        calls.append(url)
        return served["mnist.npz"]

    monkeypatch.setattr(download, "KNOWN_SHA256", {**download.KNOWN_SHA256, "mnist.npz": sha256(good)})
    monkeypatch.setattr(download, "fetch", fetch)
    monkeypatch.setattr(download, "is_online", lambda: True)
    shared_dataset.clear()
    try:
        first = shared_dataset("mnist")
        assert first.is_sample and len(calls) == 1
        load._memo.clear()  # a new session, the same process
        assert shared_dataset("mnist") is first and load_dataset("mnist").is_sample
        assert len(calls) == 1  # no new attempt before DOWNLOAD_RETRY_S
        served["mnist.npz"] = good  # the network is back ...
        load._next_download["mnist"] = time.monotonic() - 1  # ... and DOWNLOAD_RETRY_S has passed
        assert fallback_expired(first)
        again = shared_dataset("mnist")
        assert len(calls) == 2 and not again.is_sample
        assert_same(again, tiny_arrays())
        assert shared_dataset("mnist") is again
    finally:
        shared_dataset.clear()


# ---------------------------------------------------------------- formats round trip

def test_parse_idx_matches_a_hand_built_reference():
    images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
    raw = b"\x00\x00\x08\x03" + b"\x00\x00\x00\x03" + b"\x00\x00\x00\x1c" * 2 + bytes(images.ravel().tolist())
    np.testing.assert_array_equal(parse_idx(raw, "a"), images)
    labels = [d % 10 for d in range(257)]  # 257 = 0x101 catches a byte-order mistake
    raw = b"\x00\x00\x08\x01" + b"\x00\x00\x01\x01" + bytes(labels)
    parsed = parse_idx(gzip.compress(raw), "b", kind="labels")
    assert parsed.dtype == np.uint8 and parsed.tolist() == labels


@pytest.mark.parametrize("gz, dotted", [(True, False), (False, False), (False, True)])
def test_idx_folder_round_trip(tmp_path, gz, dotted):
    arrays = tiny_arrays()
    write_idx_folder(tmp_path / "idx", arrays, gz=gz, dotted=dotted)
    (tmp_path / "idx" / "README.txt").write_text("ignored")
    loaded = load_dataset("mnist", tmp_path / "idx")
    assert_same(loaded, arrays)
    assert loaded.name == "mnist" and "30 train / 20 test" in str(loaded.source)
    assert_same(load_idx_folder(str(tmp_path / "idx")), arrays)


def test_uploaded_idx_files_round_trip_in_any_order():
    arrays = tiny_arrays()
    files = {f"{KERAS_IDX_NAMES[key]}" + (".gz" if key.startswith("x") else ""):
             gzip.compress(idx_bytes(arrays[key])) if key.startswith("x") else idx_bytes(arrays[key])
             for key in reversed(KERAS_IDX_NAMES)}
    uploaded = dataset_from_idx_files(files)
    assert_same(uploaded, arrays)
    assert uploaded.name == "custom" and uploaded.class_names == DIGITS


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_round_trip_from_path_bytes_and_file(tmp_path, compressed):
    arrays = tiny_arrays()
    raw = npz_bytes(arrays, compressed)
    (tmp_path / "my.npz").write_bytes(raw)
    assert_same(load_dataset("mnist", str(tmp_path / "my.npz")), arrays)
    assert_same(load_npz(tmp_path / "my.npz"), arrays)
    assert_same(load_npz(raw), arrays)
    upload = io.BytesIO(raw)
    upload.name = "up.npz"
    assert "up.npz" in str(load_npz(upload).source)
    assert "mine.npz" in str(dataset_from_npz_bytes(raw, "mine.npz").source)


def test_npz_other_layouts_and_dtypes_are_converted():
    arrays = tiny_arrays()
    as_float = {**arrays, "x_train": arrays["x_train"] / 255.0,
                "x_test": arrays["x_test"].astype(np.float32).reshape(-1, 784),
                "y_train": arrays["y_train"].astype(np.int64)[:, None],
                "y_test": arrays["y_test"].astype(np.float64)}
    assert_same(dataset_from_npz_bytes(npz_bytes(as_float)), arrays)
    as_int = {**arrays, "x_train": arrays["x_train"].astype(np.int32)[..., None]}
    assert_same(dataset_from_npz_bytes(npz_bytes(as_int)), arrays)


def test_dataset_leaves_the_callers_arrays_writable():
    arrays = tiny_arrays()
    dataset = Dataset("custom", **arrays, class_names=DIGITS, source="test")
    assert arrays["x_train"].flags.writeable and not dataset.x_train.flags.writeable


# ---------------------------------------------------------------- malformed input

def with_replaced(key, value):
    return npz_bytes({**tiny_arrays(), key: value})


def zip_without_npy():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


BAD_NPZ = {
    "empty": b"",
    "not a zip": b"just some text, not an archive",
    "truncated": npz_bytes(tiny_arrays())[:-200],
    "missing key": npz_bytes({k: v for k, v in tiny_arrays().items() if k != "y_test"}),
    "no arrays": zip_without_npy(),
    "pickled objects": with_replaced("y_train", np.array([object()] * 30, dtype=object)),
    "not 28x28": with_replaced("x_train", np.zeros((30, 28, 27), np.uint8)),
    "labels 2-D": with_replaced("y_train", np.zeros((30, 3), np.uint8)),
    "labels out of range": with_replaced("y_test", np.full(20, 10)),
    "negative labels": with_replaced("y_test", np.full(20, -1)),
    "fractional labels": with_replaced("y_test", np.full(20, 0.5)),
    "count mismatch": with_replaced("y_train", np.zeros(29, np.uint8)),
    "strings": with_replaced("x_test", np.full((20, 28, 28), "a")),
    "pixels out of range": with_replaced("x_test", np.full((20, 28, 28), 256)),
    "NaN pixels": with_replaced("x_test", np.full((20, 28, 28), np.nan)),
    "no images": with_replaced("x_test", np.zeros((0, 28, 28), np.uint8)),
}


@pytest.mark.parametrize("problem", BAD_NPZ)
def test_bad_npz_is_a_data_error_naming_the_file(problem, tmp_path):
    with pytest.raises(DataError, match="broken_upload.npz"):
        dataset_from_npz_bytes(BAD_NPZ[problem], "broken_upload.npz")
    (tmp_path / "on_disk.npz").write_bytes(BAD_NPZ[problem])
    with pytest.raises(DataError, match="on_disk.npz"):
        load_dataset("mnist", tmp_path / "on_disk.npz")


def test_npz_bomb_is_refused(monkeypatch):
    raw = npz_bytes(tiny_arrays(), compressed=True)
    monkeypatch.setattr(formats, "MAX_UNPACKED_BYTES", 10_000)
    with pytest.raises(DataError, match=r"bomb.npz.*refusing"):
        dataset_from_npz_bytes(raw, "bomb.npz")


def traced_peak(work) -> int:
    """Bytes allocated at the peak while `work()` runs (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_float_npz_is_converted_in_chunks_with_bounded_memory():
    n = 20_000  # float32 zeros: 63 MB unpacked from a few hundred kB; converting at once took ~4 times that
    raw = npz_bytes({"x_train": np.zeros((n, 28, 28), np.float32), "y_train": np.zeros(n, np.uint8),
                     "x_test": np.full((10, 784), 0.5), "y_test": np.arange(10)}, compressed=True)
    assert len(raw) < 1_000_000
    loaded = []
    peak = traced_peak(lambda: loaded.append(dataset_from_npz_bytes(raw, "zeros.npz")))
    assert peak < n * 784 + 16_000_000  # the uint8 result plus a few chunks
    assert loaded[0].x_train.shape == (n, 28, 28) and not loaded[0].x_train.any()
    assert (loaded[0].x_test == 128).all()  # 0.5 of a scaled image is level 127.5, rounded to even


def npy_header_only(shape, dtype) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                  "fortran_order": False, "shape": shape})
    return stream.getvalue()


def test_an_npz_declaring_too_many_images_is_refused_before_reading():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, value in tiny_arrays().items():
            archive.writestr(f"{key}.npy", npy_header_only((200_000, 28, 28), "f8") if key == "x_train"
                             else npz_member(value))
    with pytest.raises(DataError, match="x_train: 200,000 images; at most 100,000"):
        dataset_from_npz_bytes(buffer.getvalue(), "many.npz")


def npz_member(array) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()


def test_an_idx_gzip_bomb_inflates_only_what_its_header_declares():
    labels = idx_bytes(np.arange(10, dtype=np.uint8))
    bomb = gzip.compress(labels + bytes(60_000_000), compresslevel=1)  # 10 labels, then 60 MB of zeros
    peak = traced_peak(lambda: expect_error(lambda: parse_idx(bomb, "bomb-labels.gz"),
                                            "bomb-labels.gz has extra bytes"))
    assert peak < 4_000_000
    huge = gzip.compress(struct.pack(">I3I", 0x803, 1_000_000_000, 28, 28) + bytes(1000))
    with pytest.raises(DataError, match="declares 1,000,000,000 images; at most 100,000"):
        parse_idx(huge, "huge-images.gz")


def expect_error(work, message):
    with pytest.raises(DataError, match=message):
        work()


def good_idx_files() -> dict[str, bytes]:
    return {f"{name}.gz": gzip.compress(idx_bytes(tiny_arrays()[key]))
            for key, name in KERAS_IDX_NAMES.items()}


BAD_IDX = {  # problem -> (file replaced, its bytes)
    "empty": ("train-labels-idx1-ubyte", b""),
    "wrong magic": ("train-images-idx3-ubyte", b"\x00\x00\x08\x04" + bytes(100)),
    "labels where images belong": ("t10k-images-idx3-ubyte", idx_bytes(np.zeros(20, np.uint8))),
    "truncated header": ("t10k-labels-idx1-ubyte", b"\x00\x00\x08\x01\x00"),
    "truncated data": ("train-images-idx3-ubyte", idx_bytes(tiny_arrays()["x_train"])[:-1]),
    "extra data": ("train-labels-idx1-ubyte", idx_bytes(tiny_arrays()["y_train"]) + b"\x00"),
    "labels out of range": ("t10k-labels-idx1-ubyte", idx_bytes(np.full(20, 10, np.uint8))),
    "not 28x28": ("t10k-images-idx3-ubyte", idx_bytes(np.zeros((20, 27, 27), np.uint8))),
    "count mismatch": ("train-labels-idx1-ubyte", idx_bytes(np.zeros(29, np.uint8))),
    "truncated gzip": ("train-images-idx3-ubyte.gz",
                       gzip.compress(idx_bytes(tiny_arrays()["x_train"]))[:-30]),
    "damaged gzip": ("train-images-idx3-ubyte.gz", b"\x1f\x8b" + bytes(50)),
}


@pytest.mark.parametrize("problem", BAD_IDX)
def test_bad_idx_is_a_data_error_naming_the_file(problem, tmp_path):
    filename, raw = BAD_IDX[problem]
    files = {name: content for name, content in good_idx_files().items()
             if idx_role(name) != idx_role(filename)}
    files[filename] = raw
    with pytest.raises(DataError, match=filename):
        dataset_from_idx_files(files)
    folder = tmp_path / "idx"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    with pytest.raises(DataError, match=filename):
        load_dataset("mnist", folder)


def test_gzip_bomb_is_refused(monkeypatch):
    bomb = gzip.compress(b"\x00\x00\x08\x01\x00\x01\x00\x00" + bytes(65536))
    monkeypatch.setattr(formats, "MAX_BYTES", 10_000)
    with pytest.raises(DataError, match=r"bomb-labels.gz.*more than"):
        parse_idx(bomb, "bomb-labels.gz")


def test_idx_upload_set_problems_are_explained():
    files = good_idx_files()
    with pytest.raises(DataError, match="test labels"):
        dataset_from_idx_files({k: v for k, v in files.items() if "t10k-labels" not in k})
    with pytest.raises(DataError, match="holiday.png"):
        dataset_from_idx_files({**files, "holiday.png": b"\x89PNG"})
    with pytest.raises(DataError, match="Two files"):
        dataset_from_idx_files({**files, "train-images.idx3-ubyte": b""})


def test_single_idx_file_as_a_path_is_explained(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(tiny_arrays()["x_train"]))
    with pytest.raises(DataError, match="folder"):
        load_dataset("mnist", tmp_path / "train-images-idx3-ubyte")


VALID_IDX = gzip.compress(idx_bytes(np.arange(12, dtype=np.uint8) % 10))
VALID_NPZ = npz_bytes({key: np.zeros_like(value) for key, value in tiny_arrays(12, 10).items()},
                      compressed=True)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutated(valid: bytes):
    """Random bytes, valid files with a few bytes changed, and valid files cut short."""
    edits = st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)), max_size=6)
    return st.one_of(
        st.binary(max_size=300),
        st.binary(max_size=60).map(lambda tail: b"\x00\x00\x08\x03" + tail),
        st.integers(0, len(valid)).map(lambda n: valid[:n]),
        edits.map(lambda changes: bytes(_apply(valid, changes))),
    )


def _apply(valid: bytes, changes) -> bytearray:
    out = bytearray(valid)
    for index, value in changes:
        out[index] = value
    return out


@FUZZ
@given(mutated(VALID_IDX))
def test_parse_idx_never_raises_anything_but_data_error(raw):
    try:
        parsed = parse_idx(raw, "fuzz-labels-idx1-ubyte")
    except DataError as error:
        assert "fuzz-labels-idx1-ubyte" in str(error)
    else:
        assert parsed.dtype == np.uint8


@FUZZ
@given(mutated(VALID_NPZ))
def test_npz_bytes_never_raise_anything_but_data_error(raw):
    try:
        loaded = dataset_from_npz_bytes(raw, "fuzz.npz")
    except DataError as error:
        assert "fuzz.npz" in str(error)
    else:
        assert loaded.x_train.dtype == np.uint8 and loaded.x_train.shape[1:] == (28, 28)


# ---------------------------------------------------------------- subsets, fingerprints, helpers

def test_subset_train_is_stratified_and_deterministic():
    sample = load_dataset("mnist", "sample")
    subset = sample.subset_train(1000, seed=3)
    assert list(class_counts(subset.y_train)) == [100] * 10
    assert subset.x_test is sample.x_test and "1,000" in str(subset.source)
    np.testing.assert_array_equal(subset.x_train, sample.subset_train(1000, seed=3).x_train)
    assert not np.array_equal(subset.x_train, sample.subset_train(1000, seed=4).x_train)
    train = {image.tobytes() for image in sample.x_train}
    assert all(image.tobytes() in train for image in subset.x_train)
    assert sample.subset_train(0, 1) is sample and sample.subset_train(4000, 1) is sample
    with pytest.raises(DataError, match="at least 10"):
        sample.subset_train(9, 1)


def test_subset_of_unbalanced_classes_keeps_shares_and_size():
    arrays = tiny_arrays(100)
    arrays["y_train"] = np.repeat(np.arange(10), [55, 5, 5, 5, 5, 5, 5, 5, 5, 5]).astype(np.uint8)
    dataset = Dataset("custom", **arrays, class_names=DIGITS, source="t")
    subset = dataset.subset_train(20, seed=0)
    counts = class_counts(subset.y_train)
    assert counts.sum() == 20 and counts[0] == 11 and all(counts[1:] >= 1)


def test_fingerprint_is_stable_memoised_and_content_sensitive():
    arrays = tiny_arrays()
    first = Dataset("mnist", **arrays, class_names=DIGITS, source="a")
    same = Dataset("mnist", **arrays, class_names=DIGITS, source="b")
    assert first.fingerprint == same.fingerprint and len(first.fingerprint) == 16
    assert first.fingerprint is first.fingerprint  # computed once
    changed = {**arrays, "x_test": arrays["x_test"].copy()}
    changed["x_test"][0, 0, 0] ^= 1
    assert Dataset("mnist", **changed, class_names=DIGITS, source="a").fingerprint \
        != first.fingerprint
    assert Dataset("fashion_mnist", **arrays, class_names=CLASS_NAMES["fashion_mnist"],
                        source="a").fingerprint != first.fingerprint
    assert first.subset_train(20, 0).fingerprint != first.fingerprint


def test_helpers_agree_with_numpy_references():
    arrays = tiny_arrays(50)
    x, y = arrays["x_train"], arrays["y_train"]
    assert class_counts(y).tolist() == [np.sum(y == c) for c in range(10)]
    means = mean_images(x, y)
    assert means.shape == (10, 28, 28) and means.dtype == np.float32
    np.testing.assert_allclose(means[3], x[y == 3].astype(np.float64).mean(axis=0), rtol=1e-6)
    assert not mean_images(x[y != 7], y[y != 7])[7].any()
    inputs = to_inputs(x)
    assert inputs.shape == (50, 28, 28, 1) and inputs.dtype == np.float32
    np.testing.assert_allclose(inputs[..., 0], x / 255.0, rtol=1e-6)
    assert to_inputs(x[0]).shape == (1, 28, 28, 1)
    np.testing.assert_array_equal(one_hot(y), np.eye(10, dtype=np.float32)[y])
    with pytest.raises(DataError):
        one_hot(np.array([10]))


def test_importing_data_pulls_in_no_heavy_modules():
    code = ("import sys, mnistlab.data.load, mnistlab.data.stats; "
            "print([m for m in ('tensorflow', 'keras', 'streamlit', 'mlxtend') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_a_dataset_loaded_by_name_is_known_as_such_and_an_upload_is_not(sample):
    from mnistlab.data.load import loaded_by_name

    assert loaded_by_name(load_dataset("mnist", "sample"))
    copy = Dataset("mnist", sample.x_train, sample.y_train, sample.x_test, sample.y_test, sample.class_names,
                   "uploaded", True)
    assert not loaded_by_name(copy)
