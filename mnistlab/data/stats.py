"""The numbers the Home and Dataset pages show about a dataset."""

from __future__ import annotations

import numpy as np


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
