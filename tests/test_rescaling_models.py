"""A model that scales its own input (`keras.layers.Rescaling(1 / 255)` first, as Keras's image tutorials
write it) reads raw 0..255 pixels: uploaded as a `.keras` file, Evaluate, Draw and Inside must feed it
those, and agree with Keras itself fed the same way."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mnistlab.insight.evaluate import evaluate, predict_digit, predict_proba
from mnistlab.insight.inside import features, layer_outputs, saliency
from mnistlab.model.files import load_model_bytes


def _layers():
    return [keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax")]


@pytest.fixture(scope="module")
def trained(tiny):
    """(the trained Keras model, the same model uploaded as a .keras file)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Rescaling(1 / 255), *_layers()])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(raw(tiny.x_train), keras.utils.to_categorical(tiny.y_train, 10), batch_size=32, epochs=3, verbose=0)
    return model, load_model_bytes(keras_bytes(model), "rescaling.keras")


def raw(x):
    """uint8 images as Keras's tutorials feed a Rescaling model: float 0..255 with a channel axis."""
    return np.asarray(x, dtype=np.float32).reshape(-1, 28, 28, 1)


def keras_bytes(model) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.keras"
        model.save(path)
        return path.read_bytes()


def test_evaluate_reads_an_uploaded_rescaling_model_as_keras_does(trained, tiny):
    model, uploaded = trained
    reference = model.evaluate(raw(tiny.x_test), keras.utils.to_categorical(tiny.y_test, 10), verbose=0,
                               return_dict=True)
    assert reference["accuracy"] > 0.5  # it learned something: a model fed the wrong scale would show it
    result = evaluate(uploaded, tiny)
    assert result.accuracy == pytest.approx(reference["accuracy"])
    assert result.loss == pytest.approx(reference["loss"], rel=1e-4)
    np.testing.assert_allclose(result.probabilities, model.predict(raw(tiny.x_test), verbose=0), atol=1e-5)
    np.testing.assert_allclose(predict_proba(uploaded, tiny.x_test[:10] / 255.0), result.probabilities[:10],
                               atol=1e-5)


def test_draw_predicts_for_a_rescaling_model_as_keras_does(trained, tiny):
    model, uploaded = trained
    for image in tiny.x_test[:5]:
        expected = np.asarray(model(raw(image), training=False))[0]
        np.testing.assert_allclose(predict_digit(uploaded, image.astype(np.float32) / 255), expected, atol=1e-5)
        np.testing.assert_allclose(predict_digit(uploaded, image), expected, atol=1e-5)


def test_inside_shows_a_rescaling_models_layers_as_keras_computes_them(trained, tiny):
    model, uploaded = trained
    image = tiny.x_test[3]
    items = layer_outputs(uploaded, image)
    assert [item.name for item in items] == [layer.name for layer in model.layers]
    for item, layer in zip(items, model.layers, strict=True):
        expected = keras.Model(model.inputs, layer.output).predict(raw(image), verbose=0)[0]
        np.testing.assert_allclose(item.array, expected, atol=1e-5, rtol=1e-5)
    assert items[0].array.max() > 0.9  # the Rescaling layer's output: the digit in [0, 1], full ink near 1


def test_saliency_and_map_of_a_rescaling_model_equal_its_twin_that_reads_0_to_1(trained, tiny):
    """The same weights without the Rescaling layer, fed [0, 1]: the same model, so the same saliency (a
    gradient per [0, 1] pixel) and the same features for the 2-D map."""
    model, uploaded = trained
    twin = keras.Sequential([keras.Input((28, 28, 1)), *_layers()])
    twin.set_weights(model.get_weights())
    image = tiny.x_test[7]
    np.testing.assert_allclose(saliency(uploaded, image, 3), saliency(twin, image, 3), atol=1e-5, rtol=1e-4)
    np.testing.assert_allclose(features(uploaded, tiny.x_test[:40]), features(twin, tiny.x_test[:40]),
                               atol=1e-5, rtol=1e-5)
