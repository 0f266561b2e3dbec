"""Spec → Keras: the model Keras builds agrees with what the spec says, for any spec."""

import keras
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnistlab import PRESETS, ModelSpec, SpecError, build_model, output_shapes, param_count
from mnistlab.model.spec import ACTIVATIONS, LayerSpec


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build_with_the_counted_parameters(name):
    spec = PRESETS[name].spec
    model = build_model(spec)
    assert model.output_shape == (None, 10)
    assert model.count_params() == param_count(spec)
    keras_shapes = [tuple(layer.output.shape[1:]) for layer in model.layers]
    assert keras_shapes == output_shapes(spec)


def test_sgd_preset_has_nesterov_momentum_and_inverse_time_decay():
    optimizer = build_model(PRESETS["mlp_tanh_sgd"].spec).optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert optimizer.nesterov and optimizer.momentum == pytest.approx(0.9)
    schedule = optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.InverseTimeDecay)
    assert float(schedule(1_000_000)) == pytest.approx(0.01 / 2)


layers = st.one_of(
    st.builds(
        lambda u, a: LayerSpec("dense", units=u, activation=a), st.integers(-2, 64), st.sampled_from(ACTIVATIONS)
    ),
    st.builds(
        lambda f, k, s, p, a: LayerSpec("conv2d", filters=f, kernel_size=k, strides=s, padding=p, activation=a),
        st.integers(0, 8), st.integers(0, 8), st.integers(1, 3), st.sampled_from(["valid", "same"]),
        st.sampled_from(ACTIVATIONS),
    ),
    st.builds(lambda p: LayerSpec("maxpool2d", pool_size=p), st.integers(0, 6)),
    st.builds(lambda r: LayerSpec("dropout", rate=r), st.one_of(st.floats(-0.5, 1.5), st.just(float("nan")))),
    st.just(LayerSpec("flatten")),
    st.just(LayerSpec("batchnorm")),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(layers, max_size=6))
def test_any_spec_builds_a_10_way_model_or_is_a_spec_error(layer_list):
    try:
        spec = ModelSpec(tuple(layer_list))
    except SpecError:
        return
    model = build_model(spec, compile=False)
    assert model.output_shape == (None, 10)
    assert model.count_params() == param_count(spec)
