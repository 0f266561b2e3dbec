"""Metrics agree with scikit-learn and Keras; predictions are right and fast paths
do not retrace."""

from __future__ import annotations

import gc
import weakref
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from mnistlab.errors import ModelFileError
from mnistlab.insight.evaluate import (
    _predictor,
    evaluate,
    evaluate_predictions,
    predict_digit,
    predict_proba,
)

LABELS = list(range(10))


def random_probabilities(rng: np.random.Generator, n: int, never: tuple[int, ...] = ()) -> np.ndarray:
    p = rng.random((n, 10)) ** 4
    p[:, list(never)] = 0.0
    return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(
    ("seed", "present", "never_predicted"),
    [(0, range(10), ()), (1, range(7), (9,)), (2, (3, 5), (0, 3, 4)), (3, range(10), (2, 8))],
)
def test_metrics_equal_scikit_learn(seed: int, present, never_predicted) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.choice(list(present), size=300).astype(np.uint8)
    probs = random_probabilities(rng, 300, never_predicted)
    result = evaluate_predictions(y_true, probs)

    y_pred = probs.argmax(axis=1)
    np.testing.assert_array_equal(result.y_pred, y_pred)
    np.testing.assert_array_equal(result.confusion, confusion_matrix(y_true, y_pred, labels=LABELS))
    assert result.confusion.dtype == np.int64
    expected = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, zero_division=0)
    for ours, theirs in zip((result.precision, result.recall, result.f1, result.support), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert result.accuracy == pytest.approx(np.mean(y_pred == y_true))
    np.testing.assert_allclose(result.confidence, probs.max(axis=1))


def test_loss_equals_keras_categorical_crossentropy() -> None:
    import keras

    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 10, 200)
    probs = random_probabilities(rng, 200, never=(7,))
    probs[0] = np.eye(10)[(y_true[0] + 1) % 10]  # certain and wrong: log(0) without clipping
    probs[1] = np.eye(10)[y_true[1]]  # certain and right
    keras_loss = keras.losses.categorical_crossentropy(np.eye(10)[y_true], probs)
    result = evaluate_predictions(y_true, probs)
    assert result.loss == pytest.approx(float(np.mean(keras_loss)), rel=1e-5)


def test_galleries_are_ordered_by_confidence_most_confident_first() -> None:
    y_true = np.array([0, 1, 2, 3, 4, 5])
    probs = np.zeros((6, 10), dtype=np.float32)
    # (prediction, confidence): 0 and 3 and 5 wrong, 1 2 4 right
    for i, (pred, conf) in enumerate([(9, 0.6), (1, 0.5), (2, 0.99), (8, 0.95), (4, 0.7), (1, 0.6)]):
        probs[i, pred] = conf
        probs[i, (pred + 1) % 10] = 1 - conf
    result = evaluate_predictions(y_true, probs)
    assert result.errors.tolist() == [3, 0, 5]  # 0.95, then the 0.6 tie in index order
    assert result.correct.tolist() == [2, 4, 1]
    assert result.y_pred[result.errors].tolist() == [8, 9, 1]


def test_cell_indices_and_confused_pairs() -> None:
    y_true = np.array([7, 7, 7, 7, 1, 1, 4, 9])
    preds = np.array([1, 1, 7, 1, 7, 1, 9, 4])
    confidences = np.array([0.5, 0.9, 0.8, 0.7, 0.6, 0.95, 0.55, 0.65])
    probs = np.full((8, 10), 0.0, dtype=np.float32)
    probs[np.arange(8), preds] = confidences
    probs[np.arange(8), (preds + 5) % 10] = 1 - confidences
    result = evaluate_predictions(y_true, probs, class_names=[f"c{i}" for i in range(10)])

    assert result.cell_indices(7, 1).tolist() == [1, 3, 0]
    assert result.cell_indices(1, 1).tolist() == [5]
    assert result.cell_indices(0, 0).tolist() == []
    assert result.confused_pairs == [(7, 1, 3), (1, 7, 1), (4, 9, 1), (9, 4, 1)]
    assert result.class_names[7] == "c7"
    with pytest.raises(ValueError, match="0 to 9"):
        result.cell_indices(10, 1)


def test_confused_pairs_are_the_off_diagonal_of_the_confusion_matrix() -> None:
    rng = np.random.default_rng(5)
    result = evaluate_predictions(rng.integers(0, 10, 500), random_probabilities(rng, 500))
    counts = [count for _, _, count in result.confused_pairs]
    assert counts == sorted(counts, reverse=True) and min(counts) > 0
    assert sum(counts) == len(result.errors)
    for true, pred, count in result.confused_pairs:
        assert true != pred and result.confusion[true, pred] == count
        assert len(result.cell_indices(true, pred)) == count


def test_result_cannot_be_changed_and_bad_shapes_are_refused() -> None:
    rng = np.random.default_rng(6)
    result = evaluate_predictions(rng.integers(0, 10, 20), random_probabilities(rng, 20))
    with pytest.raises(ValueError):
        result.confusion[0, 0] = 99
    with pytest.raises(AttributeError):
        result.accuracy = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="shape"):
        evaluate_predictions(np.zeros(5, dtype=int), np.zeros((4, 10)))
    with pytest.raises(ValueError, match="0 to 9"):
        evaluate_predictions(np.array([10]), np.full((1, 10), 0.1))


# --- with a model --------------------------------------------------------------------


def tiny_model(input_shape: tuple[int, ...] = (28, 28, 1), activation: str = "softmax"):
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(10, activation=activation)]
    )


@pytest.fixture(scope="module")
def model():
    return tiny_model()


def test_predict_digit_equals_calling_the_model_and_never_retraces(model) -> None:
    rng = np.random.default_rng(7)
    images = rng.random((50, 28, 28), dtype=np.float32)
    for image in images:
        expected = np.asarray(model(image[None, :, :, None], training=False))[0]
        got = predict_digit(model, image)
        assert got.shape == (10,) and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict_digit(model, images[0][:, :, None]), predict_digit(model, images[0]))
    assert _predictor(model).experimental_get_tracing_count() == 1


@pytest.mark.parametrize("input_shape", [(784,), (28, 28)])
def test_predict_digit_reshapes_for_models_trained_on_other_input_shapes(input_shape) -> None:
    other = tiny_model(input_shape)
    image = np.random.default_rng(8).random((28, 28), dtype=np.float32)
    expected = np.asarray(other(image.reshape((1, *input_shape))))[0]
    np.testing.assert_allclose(predict_digit(other, image), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict_proba(other, image[None])[0], expected, rtol=1e-5, atol=1e-6)


def test_unusable_models_and_images_get_clear_errors(model) -> None:
    with pytest.raises(ModelFileError, match="28×28"):
        predict_digit(tiny_model((32, 32, 3)), np.zeros((28, 28)))
    with pytest.raises(ValueError, match="28×28"):
        predict_digit(model, np.zeros((27, 28)))


def test_a_model_that_outputs_logits_still_gives_probabilities() -> None:
    logits_model = tiny_model(activation="linear")
    image = np.random.default_rng(9).random((28, 28), dtype=np.float32)
    probs = predict_digit(logits_model, image)
    logits = np.asarray(logits_model(image[None, :, :, None]))[0]
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(probs, expected, rtol=1e-5)


def test_predict_proba_converts_uint8_per_batch(model) -> None:
    x = np.random.default_rng(10).integers(0, 256, (37, 28, 28), dtype=np.uint8)
    expected = np.asarray(model(x[..., None].astype(np.float32) / 255.0))
    small_batches = predict_proba(model, x, batch_size=8)
    assert small_batches.shape == (37, 10) and small_batches.dtype == np.float32
    np.testing.assert_allclose(small_batches, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict_proba(model, x / 255.0), expected, rtol=1e-5, atol=1e-6)
    assert predict_proba(model, x[:0]).shape == (0, 10)
    predict_digit(model, x[0])
    # one function a model, traced once, for a data set and a single drawing alike (issue 18 item 9)
    assert _predictor(model).experimental_get_tracing_count() == 1


def test_evaluate_a_model_on_a_dataset(model) -> None:
    rng = np.random.default_rng(11)
    dataset = SimpleNamespace(
        x_test=rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 60).astype(np.uint8),
        class_names=[f"class {i}" for i in range(10)],
    )
    result = evaluate(model, dataset)
    assert result.probabilities.shape == (60, 10)
    assert result.support.sum() == 60 and result.class_names[3] == "class 3"
    assert len(result.errors) + len(result.correct) == 60
    np.testing.assert_array_equal(result.y_true, dataset.y_test)

    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    reference = model.evaluate(
        dataset.x_test[..., None] / 255.0, np.eye(10)[dataset.y_test], verbose=0, return_dict=True
    )
    assert result.loss == pytest.approx(reference["loss"], rel=1e-4)
    assert result.accuracy == pytest.approx(reference["accuracy"])


def test_the_prediction_cache_does_not_keep_a_dropped_model_alive() -> None:
    dropped = tiny_model()
    predict_digit(dropped, np.zeros((28, 28), dtype=np.float32))
    ref = weakref.ref(dropped)
    del dropped
    gc.collect()
    assert ref() is None
