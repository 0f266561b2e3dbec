"""One home for each pixel and model-input rule: mnistlab.data.pixels and mnistlab.model.io, checked against
Keras, and a check that no other module scales by 255 on its own."""

from __future__ import annotations

import inspect
import io
import re
import tokenize
from pathlib import Path

import keras
import numpy as np
import pytest

from mnistlab import PRESETS
from mnistlab.data import pixels
from mnistlab.data.formats import _as_images
from mnistlab.errors import DataError, ModelFileError
from mnistlab.insight.evaluate import predict_digit
from mnistlab.model.io import (
    ACCEPTED_INPUTS,
    InputConvention,
    input_convention,
    model_from_bytes,
    model_inputs,
    model_to_bytes,
)
from mnistlab.model.script import to_keras_script

ROOT = Path(__file__).resolve().parents[1]
LEVELS = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)


def test_to_unit_is_keras_rescaling_bit_for_bit_and_to_uint8_undoes_it():
    ours = pixels.to_unit(LEVELS)
    theirs = np.asarray(keras.layers.Rescaling(1 / 255)(LEVELS.astype(np.float32)))
    assert ours.dtype == np.float32 and np.array_equal(ours, theirs)
    assert np.array_equal(pixels.to_uint8(ours), LEVELS)
    assert pixels.to_uint8(LEVELS) is LEVELS  # uint8 stays as it is
    assert pixels.to_uint8(np.array([-0.5, 0.5 / 255, 1.5 / 255, 2.0])).tolist() == [0, 0, 2, 255]  # halves to even
    np.testing.assert_array_equal(pixels.as_unit(ours), ours)  # floats are taken as [0, 1] already
    np.testing.assert_allclose(pixels.unit_to_gray_levels(ours), LEVELS, atol=1e-4)


def mnist_convnet():
    """keras-io's examples/vision/mnist_convnet.py."""
    return keras.Sequential([
        keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
        keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax"),
    ])


def residual_logits():
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    y = keras.layers.Conv2D(8, 3, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Add()([x, y]))
    return keras.Model(inputs, keras.layers.Dense(10)(x))


def with_first(*first, shape=(28, 28, 1)):
    return keras.Sequential([keras.Input(shape), *first, keras.layers.Flatten(), keras.layers.Dense(10)])


AUGMENT = [keras.layers.RandomRotation(0.1), keras.layers.RandomZoom(0.1)]

CONVENTIONS = {
    "keras-io mnist_convnet": (mnist_convnet, (28, 28, 1), False),
    "functional residual CNN, logits": (residual_logits, (28, 28, 1), False),
    "(784,) MLP": (lambda: with_first(shape=(784,)), (784,), False),
    "(28, 28)": (lambda: with_first(shape=(28, 28)), (28, 28), False),
    "Rescaling(1/255) first": (lambda: with_first(keras.layers.Rescaling(1 / 255)), (28, 28, 1), True),
    "(784,) with Rescaling": (lambda: with_first(keras.layers.Rescaling(1 / 255), shape=(784,)), (784,), True),
    "to [-1, 1]": (lambda: with_first(keras.layers.Rescaling(1 / 127.5, offset=-1)), (28, 28, 1), True),
    "augmentation model, then Rescaling": (
        lambda: with_first(keras.Sequential(AUGMENT), keras.layers.Rescaling(1 / 255)), (28, 28, 1), True),
    "[0, 1] to [-1, 1]": (lambda: with_first(keras.layers.Rescaling(2.0, offset=-1)), (28, 28, 1), False),
    "Rescaling after a Dense": (lambda: with_first(keras.layers.Dense(4), keras.layers.Rescaling(1 / 255)),
                                (28, 28, 1), False),
}


@pytest.mark.parametrize("name", CONVENTIONS)
def test_each_models_input_convention_and_what_it_is_fed(name):
    make, shape, gray_levels = CONVENTIONS[name]
    model = make()
    convention = input_convention(model)
    assert convention == InputConvention(shape, gray_levels)
    image = np.random.default_rng(1).integers(0, 256, (28, 28)).astype(np.uint8)
    fed = model_inputs(image[None], convention)
    assert fed.shape == (1, *shape) and fed.dtype == np.float32
    expected = image.astype(np.float32) if gray_levels else pixels.to_unit(image)
    np.testing.assert_array_equal(fed.reshape(28, 28), expected)
    np.testing.assert_allclose(predict_digit(model, image), predict_digit(model, pixels.to_unit(image)), atol=1e-6)


def test_one_shape_rule_for_files_and_models():
    assert ACCEPTED_INPUTS == pixels.IMAGE_SHAPES
    for shape in pixels.IMAGE_SHAPES:
        assert _as_images(np.zeros((2, *shape), np.uint8), "x").shape == (2, 28, 28)
    with pytest.raises(DataError, match="28×28"):
        _as_images(np.zeros((2, 1, 784), np.uint8), "x")
    with pytest.raises(ModelFileError, match="28×28"):  # 784 values, but not a shape a model may take
        predict_digit(with_first(shape=(1, 784)), np.zeros((28, 28), np.float32))


def test_model_bytes_round_trip():
    model = residual_logits()
    again = model_from_bytes(model_to_bytes(model))
    x = pixels.to_unit(np.random.default_rng(2).integers(0, 256, (3, 28, 28, 1)).astype(np.uint8))
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), atol=1e-6)


SCALING = re.compile(r"[*/]\s*(?:np\s*\.\s*)?(?:float(?:32|64)\s*\(\s*)?255\b|\b255(?:\.0*)?\s*[*/]")
PROSE = {tokenize.COMMENT, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def scaling_in(source: str) -> list[tuple[int, str]]:
    """Lines whose code (comments and strings left out: they explain, they do not run) scales by 255."""
    code: dict[int, list[str]] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in PROSE:
            code.setdefault(token.start[0], []).append(token.string)
    return [(number, " ".join(parts)) for number, parts in sorted(code.items()) if SCALING.search(" ".join(parts))]


def test_no_module_but_pixels_scales_by_255():
    """0..255 ↔ 0..1 is written once, in mnistlab/data/pixels.py: not in the core, the UI or the exported script."""
    found = []
    for path in sorted([*(ROOT / "mnistlab").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]):
        if path != ROOT / "mnistlab" / "data" / "pixels.py":
            found += [f"{path.relative_to(ROOT)}:{n}: {code}" for n, code in scaling_in(path.read_text("utf-8"))]
    assert not found, "\n".join(found)
    for name in ("off", "strong"):
        script = to_keras_script(PRESETS["cnn_lenet_tanh"].spec.replace(augmentation=name))
        own = inspect.getsource(pixels.to_unit).split("\n", 2)[2]  # its body, without the docstring
        assert own.strip() in script and len(scaling_in(script)) == 1  # the app's to_unit, and nothing else
    assert scaling_in("x = a.astype(np.float32) / np.float32(255.0)") and scaling_in("Rescaling(1 / 255)")
    assert scaling_in("(a * 255).round()") and not scaling_in("b = 255 - v  # 1 / 255") and not scaling_in('"0..255"')
