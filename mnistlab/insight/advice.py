"""Advice read from a training's curves: what a teacher looking over the student's shoulder would say.

Pure functions of a Keras-style history (`{"loss": [...], "val_loss": [...], ...}`, one value per
complete epoch); they return a `Message` to show, or None when there is nothing to say.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from mnistlab.i18n import L_, Message

RISING_EPOCHS = 2  # validation loss must rise this many epochs in a row: one rise is often noise


def _values(history: Mapping[str, object], key: str) -> list[float]:
    values = history.get(key)
    if not isinstance(values, Sequence) or isinstance(values, str):
        return []
    return [float(v) for v in values]


def overfitting(history: Mapping[str, object]) -> Message | None:
    """Overfitting, as the curves show it: after its lowest point, validation loss rose for
    RISING_EPOCHS epochs in a row while training loss fell over those same epochs.

    Counted from the lowest validation loss so far, so a rise the model later recovered from (a
    new lowest point) is not reported, and the epoch to stop at is the lowest one."""
    loss, val_loss = _values(history, "loss"), _values(history, "val_loss")
    epochs = min(len(loss), len(val_loss))
    if epochs < RISING_EPOCHS + 1 or not all(math.isfinite(v) for v in loss[:epochs] + val_loss[:epochs]):
        return None
    best = min(range(epochs), key=val_loss.__getitem__)  # the first of equal lowest values
    after = range(best, best + RISING_EPOCHS + 1)
    if after[-1] >= epochs:
        return None
    rising = all(val_loss[e + 1] > val_loss[e] for e in after[:-1])
    training_fell = loss[after[-1]] < loss[best]
    if not (rising and training_fell):
        return None
    return L_("**Overfitting.** Validation loss was lowest at epoch {best} and then rose {rising} epochs in a row "
              "while training loss kept falling: the model is starting to learn its training images by heart "
              "instead of what makes a digit, so it does worse on images it has not seen. Try more Dropout, "
              "fewer epochs (stopping near epoch {best}, as Keras's `EarlyStopping` callback does), augmentation, "
              "more training data, or a smaller model.", best=best + 1, rising=RISING_EPOCHS)
