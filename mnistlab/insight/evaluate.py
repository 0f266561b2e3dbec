"""How good is a model, and where does it fail: predictions, metrics, galleries.

The metrics are plain NumPy on (labels, probabilities), so they are tested against
scikit-learn and Keras without a model, and the Evaluate page can slice the same
result any way (a confusion cell, the most confident mistakes) without predicting
again. TensorFlow is imported only inside the functions that run a model.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnistlab.errors import ModelFileError
from mnistlab.i18n import N_
from mnistlab.model.io import input_convention, model_inputs
from mnistlab.tflog import quiet_per_model_traces

NUM_CLASSES = 10
# Keras clips probabilities to [EPSILON, 1 - EPSILON] before the log in
# categorical cross-entropy; we do the same so our loss matches model.evaluate.
EPSILON = 1e-7


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _by_confidence(indices: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """`indices` ordered most confident first; ties keep index order (stable)."""
    order = np.argsort(-confidence[indices], kind="stable")
    return _readonly(indices[order].astype(np.int64))


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A model's results on a test set. Arrays are read-only: one result is shared
    by every widget that looks at it, so none of them may change it."""

    loss: float
    accuracy: float
    y_true: np.ndarray  # (N,) int64
    y_pred: np.ndarray  # (N,) int64
    probabilities: np.ndarray  # (N, 10) float32
    confidence: np.ndarray  # (N,) float32: the probability of the predicted class
    confusion: np.ndarray  # (10, 10) int64, rows = true, cols = predicted
    precision: np.ndarray  # (10,) float64
    recall: np.ndarray  # (10,) float64
    f1: np.ndarray  # (10,) float64
    support: np.ndarray  # (10,) int64: how many test images of each class
    errors: np.ndarray  # indices of mistakes, most confident first
    correct: np.ndarray  # indices of right answers, most confident first
    confused_pairs: list[tuple[int, int, int]]  # (true, predicted, count)
    class_names: tuple[str, ...] = field(default=tuple(str(d) for d in range(10)))

    def cell_indices(self, true: int, pred: int) -> np.ndarray:
        """Indices of test images of class `true` predicted as `pred` (one confusion
        matrix cell), most confident first: the images behind a clicked cell."""
        for name, label in (("true", true), ("pred", pred)):
            if not 0 <= int(label) < NUM_CLASSES:
                raise ValueError(f"{name} must be a class from 0 to 9, not {label}.")
        hits = np.flatnonzero((self.y_true == true) & (self.y_pred == pred))
        return _by_confidence(hits, self.confidence)


def evaluate_predictions(
    y_true: np.ndarray,
    probabilities: np.ndarray,
    class_names: tuple[str, ...] | list[str] | None = None,
) -> Evaluation:
    """Compute every metric the Evaluate page shows from labels and probabilities.

    Precision, recall and F1 follow scikit-learn with `zero_division=0`: a class never
    predicted has precision 0 rather than a warning and a NaN in a table.
    """
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    probs = np.asarray(probabilities, dtype=np.float32)
    if probs.ndim != 2 or probs.shape != (len(y_true), NUM_CLASSES):
        raise ValueError(f"Expected probabilities of shape ({len(y_true)}, {NUM_CLASSES}), got {probs.shape}.")
    if len(y_true) and (y_true.min() < 0 or y_true.max() >= NUM_CLASSES):
        raise ValueError("Labels must be classes from 0 to 9.")
    rows = np.arange(len(y_true))
    y_pred = probs.argmax(axis=1).astype(np.int64)
    confidence = probs[rows, y_pred]

    p64 = probs.astype(np.float64)
    p64 = p64 / np.maximum(p64.sum(axis=1, keepdims=True), EPSILON)
    p_true = np.clip(p64[rows, y_true], EPSILON, 1.0 - EPSILON)
    loss = float(-np.log(p_true).mean()) if len(y_true) else float("nan")

    confusion = (
        np.bincount(y_true * NUM_CLASSES + y_pred, minlength=NUM_CLASSES**2)
        .reshape(NUM_CLASSES, NUM_CLASSES)
        .astype(np.int64)
    )
    tp = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        denominator = support + predicted  # = 2tp + fp + fn, as scikit-learn has it
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)

    wrong = y_pred != y_true
    off_diagonal = confusion * (1 - np.eye(NUM_CLASSES, dtype=np.int64))
    pairs = [(int(t), int(p), int(off_diagonal[t, p])) for t, p in zip(*np.nonzero(off_diagonal), strict=True)]
    pairs.sort(key=lambda pair: (-pair[2], pair[0], pair[1]))

    names = tuple(class_names) if class_names is not None else tuple(map(str, range(10)))
    return Evaluation(
        loss=loss,
        accuracy=float(np.mean(~wrong)) if len(y_true) else float("nan"),
        y_true=_readonly(y_true),
        y_pred=_readonly(y_pred),
        probabilities=_readonly(probs),
        confidence=_readonly(confidence),
        confusion=_readonly(confusion),
        precision=_readonly(precision),
        recall=_readonly(recall),
        f1=_readonly(f1),
        support=_readonly(support.astype(np.int64)),
        errors=_by_confidence(np.flatnonzero(wrong), confidence),
        correct=_by_confidence(np.flatnonzero(~wrong), confidence),
        confused_pairs=pairs,
        class_names=names,
    )


def _as_probabilities(out: np.ndarray) -> np.ndarray:
    """Model outputs as probabilities. A model that ends without softmax (logits,
    common in uploaded models) gets a softmax here so the charts still make sense."""
    out = np.asarray(out, dtype=np.float32)
    if out.ndim != 2 or out.shape[1] != NUM_CLASSES:
        raise ModelFileError(
            "output_shape",
            N_("This model gives outputs of shape {shape}; mnistlab needs {classes} class scores per image."),
            shape=str(out.shape[1:]), classes=NUM_CLASSES,
        )
    looks_like_probs = out.size == 0 or (
        out.min() >= 0.0 and out.max() <= 1.0 and np.allclose(out.sum(axis=1), 1.0, atol=1e-3)
    )
    if looks_like_probs:
        return out
    shifted = np.exp(out - out.max(axis=1, keepdims=True))
    return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)


_predictors: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_predictors_lock = threading.Lock()


def _predictor(model: Any) -> Any:
    """A `tf.function` of `model(x, training=False)` with a fixed input signature,
    made once per model and kept as long as the model lives.

    `model.predict` builds a data pipeline on every call (≈70 ms): far too slow for a
    canvas that predicts on every stroke. A fixed signature (any batch size) means new
    images never retrace, and one function serves a data set and a single drawing alike:
    a model is traced once (two functions a model made TensorFlow warn of "retracing" as
    soon as a class went through a few models). The function holds the model only
    weakly, so the cache does not keep a model alive that the app has dropped.
    """
    import tensorflow as tf

    quiet_per_model_traces()
    with _predictors_lock:
        if model not in _predictors:
            shape = input_convention(model).shape
            model_ref = weakref.ref(model)

            def run(x: Any) -> Any:
                return model_ref()(x, training=False)

            _predictors[model] = tf.function(run, input_signature=[tf.TensorSpec((None, *shape), tf.float32)])
        return _predictors[model]


def predict_proba(model: Any, images: np.ndarray, batch_size: int = 128) -> np.ndarray:  # 1,024 held 0.5 GB more
    """Class probabilities (N, 10) float32 for uint8 (N, 28, 28) or float [0, 1]
    images, prepared for the model (`mnistlab.model.io`) one batch at a time so a
    whole data set is never held as float32 at once."""
    images = np.asarray(images)
    convention = input_convention(model)
    predict = _predictor(model)
    outputs = [
        np.asarray(predict(model_inputs(images[start : start + batch_size], convention)))
        for start in range(0, len(images), batch_size)
    ]
    if not outputs:
        return np.zeros((0, NUM_CLASSES), dtype=np.float32)
    return _as_probabilities(np.concatenate(outputs))


def evaluate(model: Any, dataset: Any) -> Evaluation:
    """Evaluate `model` on `dataset.x_test` / `dataset.y_test` (uint8)."""
    probabilities = predict_proba(model, dataset.x_test)
    names = getattr(dataset, "class_names", None)
    return evaluate_predictions(dataset.y_test, probabilities, names)


def predict_digit(model: Any, image28: np.ndarray) -> np.ndarray:
    """Probabilities (10,) float32 for one image of 28×28 pixels ((28, 28), (28, 28, 1)
    or (784,)), float [0, 1] or uint8, fast enough to run on every canvas stroke."""
    image = np.asarray(image28)
    if image.size != 28 * 28:
        raise ValueError(f"Expected one 28×28 image, got an array of shape {image.shape}.")
    out = _predictor(model)(model_inputs(image[None], input_convention(model)))
    return _as_probabilities(np.asarray(out))[0]
