"""The curves the builder draws are the activations Keras computes (checked against Keras itself)."""

import numpy as np
import pytest

from mnistlab.model.activations import CURVES, curve, svg
from mnistlab.model.spec import ACTIVATIONS


def test_every_activation_the_builder_offers_has_a_curve():
    assert set(ACTIVATIONS) <= set(CURVES)


@pytest.mark.parametrize("name", sorted(CURVES))
def test_the_curve_is_what_keras_computes(name):
    import keras

    x = np.linspace(-6, 6, 241).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.activations.get(name)(keras.ops.convert_to_tensor(x)))
    np.testing.assert_allclose(curve(name, x), expected, atol=1e-5, rtol=1e-5)


def test_the_plot_is_a_small_svg_with_the_curve():
    drawing = svg("relu")
    assert drawing.startswith("<svg") and drawing.endswith("</svg>") and "relu(x)" in drawing
    assert len(drawing) < 4000 and drawing.count("<polyline") == 1
