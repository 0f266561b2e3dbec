"""The class's hardest digits: the labelled drawings that the class's recent models misread most.

The work is bounded: the latest `RECENT_RUNS` finished runs on MNIST that kept their model, each
reading every drawing once (one batch per thousand drawings). The page caches the answer per (run ids,
drawings), so it is computed again only when a run or a drawing is added.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnistlab.errors import MnistlabError
from mnistlab.store.drawings import Drawing
from mnistlab.store.runs import Run, Store

RECENT_RUNS = 5
SHOWN = 12


@dataclass(frozen=True)
class Hard:
    drawing: Drawing
    misread: int  # by how many of the models
    models: int  # how many models read it
    read_as: int  # the wrong answer they gave most


def recent_runs(runs: Iterable[Run], dataset: str = "mnist", limit: int = RECENT_RUNS) -> list[Run]:
    """The latest complete runs on `dataset` whose model is kept, newest first."""
    usable = [r for r in runs if r.status == "done" and r.has_model and not r.problem and r.dataset == dataset]
    return sorted(usable, key=lambda r: (-r.created, -r.id))[:limit]


def predictions(models: Sequence[Any], drawings: Sequence[Drawing]) -> np.ndarray:
    """What each model reads in each drawing: (models, drawings) ints."""
    from mnistlab.insight.evaluate import predict_proba

    if not drawings or not models:
        return np.zeros((len(models), len(drawings)), dtype=np.int64)
    images = np.stack([d.image for d in drawings])
    return np.stack([predict_proba(model, images).argmax(axis=1) for model in models])


def hardest(drawings: Sequence[Drawing], predicted: np.ndarray, shown: int = SHOWN) -> list[Hard]:
    """The drawings misread by the most models (ties: the newest first), at most `shown`; none read right
    by every model is left out."""
    if not drawings or predicted.size == 0:
        return []
    labels = np.array([d.label for d in drawings])
    wrong = predicted != labels[None, :]
    counts = wrong.sum(axis=0)
    found = []
    for index in np.flatnonzero(counts):
        answers = predicted[wrong[:, index], index]
        found.append(Hard(drawings[index], int(counts[index]), predicted.shape[0], int(np.bincount(answers).argmax())))
    found.sort(key=lambda h: (-h.misread, -h.drawing.created, -h.drawing.id))
    return found[:shown]


def class_hardest(store: Store, runs: Sequence[Run], drawings: Sequence[Drawing], shown: int = SHOWN) -> list[Hard]:
    """`hardest` for the models of `runs` (from `recent_runs`); a model that cannot be loaded is left out."""
    models = []
    for run in runs:
        try:
            models.append(store.load_model(run.id))
        except MnistlabError:
            continue
    return hardest(drawings, predictions(models, drawings), shown)
