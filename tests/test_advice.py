"""Overfitting noticed from hand-made training histories."""

from __future__ import annotations

from mnistlab import i18n
from mnistlab.insight.advice import RISING_EPOCHS, overfitting


def history(loss, val_loss=None):
    made = {"loss": list(loss), "accuracy": [0.5] * len(loss)}
    if val_loss is not None:
        made.update(val_loss=list(val_loss), val_accuracy=[0.5] * len(val_loss))
    return made


def test_validation_loss_rising_two_epochs_while_training_loss_falls_is_overfitting():
    notice = overfitting(history([1.0, 0.6, 0.4, 0.3], [0.9, 0.5, 0.55, 0.6]))
    assert notice is not None
    assert notice.params == {"best": 2, "rising": RISING_EPOCHS}  # epochs count from 1, as on the charts
    text = str(notice)
    assert "epoch 2" in text and "Dropout" in text and "augmentation" in text and "smaller model" in text


def test_one_rising_epoch_is_not_yet_overfitting():
    assert overfitting(history([1.0, 0.6, 0.4], [0.9, 0.5, 0.55])) is None
    assert overfitting(history([1.0, 0.6, 0.4, 0.3], [0.9, 0.5, 0.55, 0.52])) is None  # up, then down again


def test_both_losses_rising_is_not_overfitting():
    assert overfitting(history([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])) is None


def test_training_loss_that_did_not_fall_over_the_rise_is_not_overfitting():
    assert overfitting(history([1.0, 0.5, 0.55, 0.5], [0.9, 0.5, 0.55, 0.6])) is None


def test_no_validation_is_no_notice():
    assert overfitting(history([1.0, 0.6, 0.4, 0.3])) is None
    assert overfitting({}) is None


def test_a_rise_the_model_recovered_from_is_forgotten():
    """Validation loss went up twice, then reached a new lowest point: nothing to say."""
    assert overfitting(history([1.0, 0.8, 0.6, 0.5, 0.4], [0.9, 0.95, 1.0, 0.5, 0.45])) is None
    later = overfitting(history([1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2], [0.9, 0.95, 1.0, 0.5, 0.45, 0.5, 0.6]))
    assert later is not None and later.params["best"] == 5


def test_a_diverged_history_is_not_called_overfitting():
    assert overfitting(history([1.0, 0.6, float("nan"), float("nan")], [0.9, 0.5, 0.55, 0.6])) is None


def test_a_stopped_runs_partial_epoch_is_ignored():
    made = history([1.0, 0.6, 0.4, 0.3], [0.9, 0.5, 0.55, 0.6])
    made["partial_epoch"] = {"epoch": 5, "batches": 3, "of": 10, "loss": 0.2}
    assert overfitting(made) is not None


def test_the_notice_speaks_chinese_to_a_chinese_reader():
    notice = overfitting(history([1.0, 0.6, 0.4, 0.3], [0.9, 0.5, 0.55, 0.6]))
    english = str(notice)
    i18n.set_language_source(lambda: "zh")
    try:
        chinese = str(notice)
    finally:
        i18n.set_language_source(None)
    assert chinese != english and "过拟合" in chinese and "Dropout" in chinese
