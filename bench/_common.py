"""Shared bits of the benchmarks: quiet TensorFlow, pick the data, print a table."""

from __future__ import annotations

import os
import statistics

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def benchmark_dataset(name: str = "fashion_mnist"):
    """Full-size data for realistic timings: Fashion-MNIST (Debian package) or the MNIST sample."""
    from mnistlab import load_dataset

    dataset = load_dataset(name)
    print(f"data: {dataset.source}")
    return dataset


def median(values) -> float:
    return statistics.median(values)
