"""The network: whether the Keras download host answers, and downloading its files safely.

urllib, not `keras.datasets`, so the Dataset page never imports TensorFlow. A download is
bounded in time and size, checked against the file's known SHA-256, and written atomically,
so neither a slow network nor a captive portal nor a crash leaves a bad file in the cache.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from mnistlab.data import formats
from mnistlab.errors import DataError
from mnistlab.i18n import N_

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ONLINE_TIMEOUT_S = 3.0  # an offline machine must fall through to the sample quickly
DOWNLOAD_TIMEOUT_S = 30.0  # one read
DOWNLOAD_TOTAL_S = 90.0  # all the files of a dataset, however slowly they trickle in
# The files Keras downloads, by SHA-256: mnist.npz as keras.datasets.mnist checks it; the
# Fashion-MNIST files (Keras checks none) are Zalando's originals, the same bytes.
KNOWN_SHA256 = {
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "train-images-idx3-ubyte.gz": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
    "train-labels-idx1-ubyte.gz": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
    "t10k-images-idx3-ubyte.gz": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
    "t10k-labels-idx1-ubyte.gz": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
}

_online: tuple[float, bool] | None = None  # (when it was checked, the answer)


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
    return remember_online(bool(answers))


def remember_online(online: bool) -> bool:
    """Take `online` as the answer of `is_online` for the next minute (a failed download says no)."""
    global _online
    _online = (time.monotonic(), online)
    return online


def forget_online() -> None:
    """The next `is_online` asks the network again."""
    global _online
    _online = None


def fetch(url: str, deadline: float) -> bytes:
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


def verified(filename: str, data: bytes) -> bytes:
    """`data` if it is the file Keras publishes under `filename` (by SHA-256), else a DataError."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != KNOWN_SHA256[filename]:
        raise DataError("download_checksum", N_("The download of {filename} is not the file Keras publishes "
                                                "(SHA-256 {digest}…, expected {expected}…); not using it."),
                        filename=filename, digest=digest[:12], expected=KNOWN_SHA256[filename][:12])
    return data


def write_atomically(path: Path, data: bytes) -> None:
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
