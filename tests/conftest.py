"""Shared fixtures: a tiny real dataset (the embedded sample) and an isolated cache."""

import os

import numpy as np
import pytest

os.environ.setdefault("MNISTLAB_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The app trains the Draw page's default model when it starts; tests that open the app
# must not all pay for it (tests/test_warmup.py turns it on).
os.environ.setdefault("MNISTLAB_WARMUP", "0")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """No test reads or writes the user's real training cache or run store."""
    monkeypatch.setenv("MNISTLAB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def sample():
    from mnistlab import load_dataset

    return load_dataset("mnist", "sample")


@pytest.fixture(scope="session")
def tiny(sample):
    """600 real training digits and 200 test digits: enough to learn something in a second."""
    from mnistlab.data import Dataset

    def pick(x, y, n):
        idx = np.concatenate([np.flatnonzero(y == c)[: n // 10] for c in range(10)])
        return x[idx], y[idx]

    x_train, y_train = pick(sample.x_train, sample.y_train, 600)
    x_test, y_test = pick(sample.x_test, sample.y_test, 200)
    return Dataset("mnist", x_train, y_train, x_test, y_test, sample.class_names, "tiny test sample", True)
