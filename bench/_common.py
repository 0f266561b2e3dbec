"""Shared bits of the benchmarks: quiet TensorFlow, find the data, time and summarise.

Every script puts the repository root on sys.path itself (see the top of each script),
so `python bench/NAME.py` works from the repository root without installing anything.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # as the app (mnistlab/__init__.py)

REPO_ROOT = Path(__file__).resolve().parent.parent
# The official MNIST test set sits beside the checkout (see its README); never in the repo.
MNIST_TEST_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist-test"
MNIST_TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def benchmark_dataset(name: str = "fashion_mnist"):
    """Full-size data for realistic timings: Fashion-MNIST (Debian package) or the MNIST sample."""
    from mnistlab import load_dataset

    dataset = load_dataset(name)
    print(f"data: {dataset.source}")
    return dataset


def load_mnist_test(folder: str | os.PathLike | None = None):
    """The official 10,000-digit MNIST test set as uint8 (images, labels), or None if the
    folder or one of its two files is missing. It ships without training files, so the two
    IDX files are parsed directly rather than through load_dataset."""
    from mnistlab.data.formats import parse_idx

    folder = Path(folder) if folder is not None else MNIST_TEST_DIR
    paths = [folder / name for name in MNIST_TEST_FILES]
    if not all(path.is_file() for path in paths):
        return None
    images = parse_idx(paths[0].read_bytes(), paths[0].name, "images")
    labels = parse_idx(paths[1].read_bytes(), paths[1].name, "labels")
    return images, labels


def median(values) -> float:
    return statistics.median(values)


def percentile(values, q: float) -> float:
    """The q-th percentile (0–100), linear between the closest ranks, as NumPy's default."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def epoch_timer():
    """A Keras callback that records each epoch's wall time from on_epoch_begin to
    on_epoch_end, exactly as train()'s own callback measures `epoch_seconds`. It has no
    batch hooks, so Keras may still dispatch batch callbacks asynchronously."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []
            self._started = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._started)

    return EpochTimer()


def markdown_table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A GitHub-style markdown table; `align` has one letter per column, "l" or "r"
    (default: the first column left, the others right)."""
    align = align or "l" + "r" * (len(header) - 1)
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells):
        padded = [str(cell).ljust(w) if a == "l" else str(cell).rjust(w)
                  for cell, w, a in zip(cells, widths, align, strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "".join("|" + ("-" * (w + 2) if a == "l" else "-" * (w + 1) + ":")
                   for w, a in zip(widths, align, strict=True)) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
