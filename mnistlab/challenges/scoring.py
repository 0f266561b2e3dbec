"""What a challenge is scored on, cut into a public and a private half, and a model's score on each.

The halves are drawn from the challenge's code, so every app server of the class cuts the same ones: a
seeded permutation of the test set, or — for the class's labelled drawings — a hash of each drawing's id.
A drawings challenge scores on the drawings labelled before it was made: a set that does not move while
the students compete, so a score kept once stays right for every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnistlab.challenges.rules import ChallengeError
from mnistlab.i18n import N_

MIN_SCORING_DRAWINGS = 100  # fewer, and one drawing moves a half's accuracy by more than 2 %


@dataclass(frozen=True, eq=False)
class ScoringSet:
    images: np.ndarray  # uint8 (N, 28, 28)
    labels: np.ndarray  # (N,) int
    public: np.ndarray  # (N,) bool: in the public half; the rest is the private half


def _seed(code: str) -> int:
    return int.from_bytes(hashlib.sha256(f"mnistlab-challenge:{code}".encode()).digest()[:8], "big")


def halves(code: str, count: int) -> np.ndarray:
    """The public half of a test set of `count` images (a mask): half of them, drawn by the code."""
    order = np.random.default_rng(_seed(code)).permutation(count)
    public = np.zeros(count, dtype=bool)
    public[order[: count // 2]] = True
    return public


def in_public_half(code: str, drawing_id: int) -> bool:
    """A drawing's half, from its id alone: the halves stay the same whatever else the class draws."""
    return hashlib.sha256(f"{code}:{drawing_id}".encode()).digest()[0] % 2 == 0


def on_test_set(code: str, dataset: Any) -> ScoringSet:
    """The dataset's test set (as `mnistlab.data` loaded it: offline, the sample's test part)."""
    return ScoringSet(dataset.x_test, dataset.y_test, halves(code, len(dataset.y_test)))


def on_drawings(code: str, drawings: list[Any]) -> ScoringSet:
    """The labelled drawings given (those made before the challenge); ChallengeError when too few."""
    if len(drawings) < MIN_SCORING_DRAWINGS:
        raise ChallengeError("too_few_drawings", N_("The class has {count} labelled drawings from before this "
                                                    "challenge; scoring on drawings needs at least {least}."),
                             count=len(drawings), least=MIN_SCORING_DRAWINGS)
    images = np.stack([drawing.image for drawing in drawings])
    labels = np.array([drawing.label for drawing in drawings])
    public = np.array([in_public_half(code, drawing.id) for drawing in drawings])
    return ScoringSet(images, labels, public)


def score(model: Any, scoring: ScoringSet) -> tuple[float, float]:
    """(public, private) accuracy of a Keras model, through the core's one prediction path."""
    from mnistlab.insight.evaluate import predict_proba

    right = predict_proba(model, scoring.images).argmax(axis=1) == scoring.labels
    return float(right[scoring.public].mean()), float(right[~scoring.public].mean())
