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


# --- the layer table: every kind builds, writes itself in the script and has a memory estimate -------------------

def _layer(kind: str, varied: bool):
    """The kind's default layer, or one with every setting moved off its default (numbers up by one,
    within their limits; the last of the choices)."""
    from mnistlab.model.layers import KINDS
    from mnistlab.model.spec import default_layer

    if not varied:
        return default_layer(kind)
    values = {f.name: f.choices[-1] if f.choices else min(f.default + 1, f.limits[1]) for f in KINDS[kind].fields}
    return LayerSpec(kind, **values)


def _spec_with(layer: LayerSpec) -> ModelSpec:
    """A small spec holding `layer` where it fits: on the images, else after Flatten."""
    from mnistlab.model.spec import flatten

    for layers in ((layer, flatten()), (flatten(), layer)):
        try:
            return ModelSpec(layers)
        except SpecError:
            continue
    raise AssertionError(f"{layer} fits nowhere")


@pytest.mark.parametrize("varied", [False, True], ids=["defaults", "varied"])
@pytest.mark.parametrize("kind", sorted(__import__("mnistlab.model.layers", fromlist=["KINDS"]).KINDS))
def test_every_kind_in_the_table_builds_writes_itself_and_has_a_memory_estimate(kind, varied):
    from mnistlab.model.budget import training_memory
    from mnistlab.model.layers import KINDS
    from mnistlab.model.script import _layer_code
    from mnistlab.model.spec import layer_table

    spec = _spec_with(_layer(kind, varied))
    model = build_model(spec, compile=False)
    rows = layer_table(spec)
    built = model.layers[:-1]
    assert [type(layer).__name__ for layer in built] == [KINDS[layer.kind].title for layer in spec.layers]
    for row, layer in zip(rows, model.layers, strict=True):  # Keras's own shapes and counts, layer by layer
        assert tuple(layer.output.shape[1:]) == row.output_shape
        assert layer.count_params() == row.params
    # the script's line makes the same Keras layer (same config but for its name)
    index = [layer.kind for layer in spec.layers].index(kind)
    written = eval(_layer_code(spec.layers[index]), {"layers": keras.layers})  # our own text
    expected, got = built[index].get_config(), written.get_config()
    expected.pop("name"), got.pop("name")
    assert got == expected
    # the memory estimate counts what Keras trains
    estimate = training_memory(spec)
    assert estimate.weights == 4 * model.count_params()
    assert estimate.gradients == 4 * sum(int(v.numpy().size) for v in model.trainable_variables)
    assert estimate.activations > 0 and estimate.total > estimate.weights


def test_every_field_of_the_table_is_a_layer_spec_setting_with_its_type():
    import dataclasses

    from mnistlab.model.layers import KINDS, LayerSpec
    from mnistlab.model.spec import LIMITS

    settings = {f.name: f for f in dataclasses.fields(LayerSpec)}
    for kind in KINDS.values():
        for field in kind.fields:
            assert type(settings[field.name].default) is type(field.default), (kind.name, field.name)
            if field.limits is not None:
                assert LIMITS[field.name] == field.limits
                assert all(type(bound) is type(field.default) for bound in field.limits)
            else:
                assert field.default in field.choices
