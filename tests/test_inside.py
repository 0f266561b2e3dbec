"""mnistlab.insight.inside against plain Keras: layer outputs, saliency, 2-D maps, weights as pictures."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.decomposition import PCA

from mnistlab import PRESETS, ModelSpec, SpecError, build_model, train
from mnistlab.errors import ModelFileError
from mnistlab.insight.evaluate import evaluate_predictions
from mnistlab.insight.inside import (
    SMOOTHGRAD_NOISE,
    SMOOTHGRAD_SAMPLES,
    _inspectors,
    dense_templates,
    embed,
    features,
    first_conv_filters,
    inspector,
    layer_outputs,
    pca_2d,
    saliency,
)
from mnistlab.model.spec import ACTIVATIONS, LayerSpec, dense, flatten

RNG = np.random.default_rng(3)
DIGIT = RNG.integers(0, 256, (28, 28)).astype(np.uint8)


def keras_reference(model, layer, image_uint8):
    """The layer's output from a Keras sub-model and `predict`, as a student would get it."""
    shape = tuple(model.inputs[0].shape[1:])
    x = (image_uint8.astype(np.float32) / 255.0).reshape((1, *shape))
    return keras.Model(model.inputs, layer.output).predict(x, verbose=0)[0]


def check_against_keras(model, image=DIGIT):
    items = layer_outputs(model, image)
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    assert [item.name for item in items] == [layer.name for layer in layers]
    for item, layer in zip(items, layers, strict=True):
        np.testing.assert_allclose(item.array, keras_reference(model, layer, image), atol=1e-5, rtol=0)
    assert [item.is_output for item in items] == [False] * (len(items) - 1) + [True]
    return items


@pytest.mark.parametrize("name", ["mlp_relu_adam", "cnn_lenet_tanh"])
def test_layer_outputs_equal_keras_sub_models(name):
    items = check_against_keras(build_model(PRESETS[name].spec, compile=False))
    assert items[-1].array.shape == (10,)
    assert items[-1].array.sum() == pytest.approx(1.0, abs=1e-5)


def test_kinds_name_what_each_layer_is():
    items = layer_outputs(build_model(PRESETS["cnn_deep_adagrad"].spec, compile=False), DIGIT)
    assert [item.kind for item in items[:4]] == ["conv2d", "pooling", "dropout", "conv2d"]
    assert "flatten" in [item.kind for item in items]
    assert items[0].array.shape == (28, 28, 64)


def test_a_trained_model_uint8_and_float_images_agree(tiny):
    result = train(ModelSpec((flatten(), dense(16)), epochs=1, train_size=300), tiny, use_cache=False)
    image = tiny.x_test[5]
    as_uint8 = layer_outputs(result.model, image)
    as_float = layer_outputs(result.model, image.astype(np.float32) / 255.0)
    for a, b in zip(as_uint8, as_float, strict=True):
        np.testing.assert_allclose(a.array, b.array, atol=1e-6)
    check_against_keras(result.model, image)


def test_one_inspector_per_model_traced_once_and_dropped_with_the_model():
    model = build_model(ModelSpec((flatten(), dense(8))), compile=False)
    for i in range(5):
        layer_outputs(model, RNG.integers(0, 256, (28, 28)).astype(np.uint8))
        saliency(model, DIGIT, i)
    found = inspector(model)
    assert found.outputs.experimental_get_tracing_count() == 1
    assert found.saliency.experimental_get_tracing_count() == 1
    assert inspector(model) is found
    alive = weakref.ref(model)
    del model, found
    gc.collect()
    assert alive() is None, "the cache does not keep a dropped model alive"
    assert all(key is not None for key in _inspectors.keys())


@pytest.mark.parametrize("ending", ["softmax dense", "logits", "softmax layer"])
def test_saliency_of_a_linear_model_is_its_weights(ending):
    """For a model whose score is linear in the pixels the gradient is the class's weight column,
    whatever the noise: an exact reference (uploaded models without the app's wrapper too)."""
    if ending == "softmax dense":
        model = build_model(ModelSpec((flatten(),)), compile=False)
    elif ending == "logits":
        model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)])
    else:
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10),
                                  keras.layers.Softmax()])
    dense_layer = next(layer for layer in model.layers if type(layer).__name__ == "Dense")
    kernel = np.asarray(dense_layer.kernel)
    for c in (0, 7):
        np.testing.assert_allclose(saliency(model, DIGIT, c), kernel[:, c].reshape(28, 28), atol=1e-5)


def test_saliency_is_smoothgrad_of_the_logit_for_a_cnn():
    model = build_model(PRESETS["cnn_lenet_tanh"].spec, compile=False)
    found = saliency(model, DIGIT, 3)
    x = tf.constant(DIGIT.astype(np.float32)[None, :, :, None] / 255.0)
    noise = tf.random.stateless_normal((SMOOTHGRAD_SAMPLES, 28, 28, 1), seed=[7, 11], stddev=SMOOTHGRAD_NOISE)
    noisy = tf.repeat(x, SMOOTHGRAD_SAMPLES, axis=0) + noise
    logits_model = keras.Model(model.inputs, model.layers[-1].input)
    with tf.GradientTape() as tape:
        tape.watch(noisy)
        score = tf.reduce_sum((logits_model(noisy) @ model.layers[-1].kernel + model.layers[-1].bias)[:, 3])
    reference = tf.reduce_mean(tape.gradient(score, noisy), axis=0).numpy().reshape(28, 28)
    np.testing.assert_allclose(found, reference, atol=1e-5)
    assert found.shape == (28, 28) and np.abs(found).max() > 0
    answer = int(np.argmax(layer_outputs(model, DIGIT)[-1].array))
    np.testing.assert_array_equal(saliency(model, DIGIT), saliency(model, DIGIT, answer))
    with pytest.raises(ValueError, match="class from 0 to 9"):
        saliency(model, DIGIT, 10)


def test_features_are_the_layer_before_the_output_and_pca_matches_scikit_learn(tiny):
    model = build_model(PRESETS["mlp_relu_adam"].spec, compile=False)
    images = tiny.x_test[:120]
    found = features(model, images, batch_size=50)
    reference = keras.Model(model.inputs, model.layers[-1].input).predict(
        images[..., None].astype(np.float32) / 255, verbose=0)
    np.testing.assert_allclose(found, reference, atol=1e-5)
    xy = embed(model, images)
    assert xy.shape == (120, 2)
    expected = PCA(2).fit_transform(reference.astype(np.float64))
    np.testing.assert_allclose(np.abs(xy), np.abs(expected), atol=2e-3 * np.abs(expected).max())
    np.testing.assert_array_equal(embed(model, images), xy)  # same data, same map


def test_pca_of_raw_digits_matches_scikit_learn_up_to_sign(tiny):
    x = tiny.x_train.reshape(len(tiny.x_train), -1).astype(np.float64) / 255
    expected = PCA(2).fit_transform(x)
    found = pca_2d(x)
    for axis in range(2):
        sign = np.sign(found[:, axis] @ expected[:, axis])
        np.testing.assert_allclose(found[:, axis], sign * expected[:, axis], atol=1e-3 * np.abs(expected).max())
    assert pca_2d(x[:1]).shape == (1, 2)


def test_tsne_places_every_image(tiny):
    model = build_model(ModelSpec((flatten(), dense(8))), compile=False)
    xy = embed(model, tiny.x_test[:60], method="tsne")
    assert xy.shape == (60, 2) and np.isfinite(xy).all()
    with pytest.raises(ValueError, match="pca, tsne"):
        embed(model, tiny.x_test[:5], method="umap")
    with pytest.raises(ValueError, match="At most 2,000"):
        embed(model, np.zeros((2001, 28, 28), np.uint8))


def test_first_conv_filters_and_dense_templates_are_the_kernels():
    cnn = build_model(PRESETS["cnn_lenet_tanh"].spec, compile=False)
    filters = first_conv_filters(cnn)
    kernel = np.asarray(cnn.layers[0].kernel)
    assert filters.shape == (6, 3, 3)
    np.testing.assert_allclose(filters[4], kernel[:, :, 0, 4])
    assert dense_templates(cnn) is None

    mlp = build_model(ModelSpec((flatten(), dense(20), dense(5))), compile=False)
    templates = dense_templates(mlp, 7)
    assert templates.shape == (7, 28, 28)
    np.testing.assert_allclose(templates[3], np.asarray(mlp.layers[1].kernel)[:, 3].reshape(28, 28))
    assert dense_templates(mlp).shape == (20, 28, 28)
    assert first_conv_filters(mlp) is None


def test_a_model_that_cannot_be_taken_apart_is_a_model_file_error():
    class Opaque(keras.Model):  # a subclassed model: no graph of layers to read
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(10)

        def call(self, x):
            return self.dense(keras.ops.reshape(x, (-1, 784)))

    model = Opaque()
    model(np.zeros((1, 28, 28, 1), np.float32))
    with pytest.raises(ModelFileError, match="cannot be looked at"):
        layer_outputs(model, DIGIT)


layers = st.one_of(
    st.builds(lambda u, a: LayerSpec("dense", units=u, activation=a), st.integers(1, 12), st.sampled_from(ACTIVATIONS)),
    st.builds(lambda f, k, s, p, a: LayerSpec("conv2d", filters=f, kernel_size=k, strides=s, padding=p, activation=a),
              st.integers(1, 4), st.integers(1, 5), st.integers(1, 3), st.sampled_from(["valid", "same"]),
              st.sampled_from(ACTIVATIONS)),
    st.builds(lambda p: LayerSpec("maxpool2d", pool_size=p), st.integers(1, 4)),
    st.builds(lambda r: LayerSpec("dropout", rate=r), st.floats(0, 0.9)),
    st.just(LayerSpec("flatten")),
    st.just(LayerSpec("batchnorm")),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layers, max_size=5))
def test_any_spec_the_builder_allows_can_be_looked_inside(layer_list):
    try:
        spec = ModelSpec(tuple(layer_list))
    except SpecError:
        return
    model = build_model(spec, compile=False)
    items = check_against_keras(model)
    assert len(items) == len(spec.layers) + 1
    s = saliency(model, DIGIT)
    assert s.shape == (28, 28) and np.isfinite(s).all()
    assert embed(model, RNG.integers(0, 256, (20, 28, 28)).astype(np.uint8)).shape == (20, 2)


def test_compare_two_evaluations_and_specs():
    from mnistlab.insight.compare import accuracy_change, confusion_difference, spec_differences

    y = np.array([0, 0, 1, 1, 2, 2])
    a = evaluate_predictions(y, np.eye(10)[[0, 1, 1, 1, 2, 0]])
    b = evaluate_predictions(y, np.eye(10)[[0, 0, 1, 0, 2, 2]])
    np.testing.assert_allclose(accuracy_change(a, b)[:3], [0.5, -0.5, 0.5])
    diff = confusion_difference(a, b)
    assert diff[0, 0] == 1 and diff[0, 1] == -1 and diff[1, 0] == 1 and diff.sum() == 0
    with pytest.raises(ValueError, match="same test set"):
        accuracy_change(a, evaluate_predictions(y[:3], np.eye(10)[[0, 1, 2]]))

    one = ModelSpec((flatten(), dense(32)), epochs=2).to_dict()
    two = ModelSpec((flatten(), dense(64, "tanh"), dense(8)), epochs=2, optimizer="sgd").to_dict()
    rows = {d.what: (d.a, d.b) for d in spec_differences(one, two)}
    assert rows == {"layer 2": ("Dense 32 relu", "Dense 64 tanh"),
                    "layer 3": ("Dense 10 softmax (output)", "Dense 8 relu"),
                    "layer 4": ("—", "Dense 10 softmax (output)"), "Optimizer": ("adam", "sgd")}
    assert spec_differences(one, one) == []


def test_tiled_maps_keep_every_value_in_its_place_on_one_scale():
    from mnistlab.insight.charts_inside import maps_chart, tile

    maps = np.arange(5 * 3 * 2, dtype=np.float32).reshape(5, 3, 2)
    picture, which = tile(maps, columns=2)
    assert picture.shape == (3 * 4 - 1, 2 * 3 - 1)
    np.testing.assert_array_equal(picture[4:7, 3:5], maps[3])  # row 1, column 1
    assert which[4, 3] == 3 and which[3, 0] == -1 and np.isnan(picture[3, 0])
    heat = maps_chart(maps).data[0]
    assert (heat.zmin, heat.zmax) == (0.0, 29.0), "one colour scale for the whole layer"
    weights = maps_chart(maps - 10, symmetric=True).data[0]
    assert weights.zmin == -weights.zmax == -19.0


def test_units_strip_labels_the_most_active_and_the_map_keeps_image_rows():
    from mnistlab.insight.charts_inside import embedding_chart, units_chart

    bars = units_chart(np.array([0.1, 3.0, -1.0, 2.0]), top=2).data[0]
    assert list(bars.text) == ["", "unit 1", "", "unit 3"]
    xy = np.array([[0, 0], [1, 1], [2, 2], [3, 3]], dtype=np.float32)
    fig = embedding_chart(xy, np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), list("abc"), "map", selected=2)
    by_name = {trace.name: trace for trace in fig.data}
    assert list(by_name["b"].customdata) == [1] and list(by_name["mistakes"].customdata) == [2]
    assert list(by_name["mistakes"].text) == ["b read as c"]
    assert list(by_name["this digit"].x) == [2.0]
