"""ModelSpec: validation, shapes, parameter counts and JSON round trips — no TensorFlow here."""

import json

import pytest

from mnistlab import PRESETS, ModelSpec, SpecError, layer_table, output_shapes, param_count
from mnistlab.spec import LayerSpec, conv2d, default_layer, dense, dropout, flatten, maxpool2d


def test_presets_have_the_tutorials_parameter_counts():
    counts = {name: param_count(preset.spec) for name, preset in PRESETS.items()}
    assert counts == {
        "mlp_tanh_sgd": 669_706,
        "mlp_relu_adam": 669_706,
        "mlp_relu_rmsprop": 669_706,
        "cnn_lenet_tanh": 150_742,
        "cnn_deep_adagrad": 675_370,
        "cnn_keras_io": 34_826,
        "draw_default": 44_074,
    }


def test_lenet_shapes_match_the_tutorial():
    shapes = output_shapes(PRESETS["cnn_lenet_tanh"].spec)
    assert shapes == [(26, 26, 6), (13, 13, 6), (12, 12, 16), (6, 6, 16), (576,), (256,), (10,)]


def test_presets_state_their_training_settings():
    sgd = PRESETS["mlp_tanh_sgd"].spec
    assert (sgd.optimizer, sgd.learning_rate, sgd.momentum, sgd.nesterov, sgd.decay) == ("sgd", 0.01, 0.9, True, 1e-6)
    assert (sgd.batch_size, sgd.epochs) == (100, 100)
    assert PRESETS["cnn_lenet_tanh"].spec.learning_rate == 1.0
    assert "Keras 3" in PRESETS["cnn_lenet_tanh"].description


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_json_round_trip_keeps_equality_and_hash(name):
    spec = PRESETS[name].spec
    again = ModelSpec.from_json(spec.to_json())
    assert again == spec and hash(again) == hash(spec)
    assert json.loads(spec.to_json())["layers"][0]["kind"] == spec.layers[0].kind


def test_name_is_a_label_not_part_of_identity():
    spec = PRESETS["mlp_relu_adam"].spec
    assert spec.replace(name="mine") == spec


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ((flatten(), conv2d(8)), r"Layer 2 \(Conv2D\).*after Flatten"),
        ((maxpool2d(2),) * 5, "less than 1×1"),
        ((flatten(), dense(0)), "units must be at least 1"),
        ((flatten(), dropout(1.0)), "dropout rate"),
        ((flatten(), dropout(-0.1)), "dropout rate"),
        ((flatten(), dense(10, "swish")), "unknown activation"),
        ((conv2d(8, 30),), "does not fit"),
        ((conv2d(8),), "add a Flatten"),
        ((dense(10),), "add a Flatten layer before it"),
        ((flatten(), maxpool2d()), "already flat"),
    ],
)
def test_impossible_architectures_name_the_layer_and_reason(layers, message):
    with pytest.raises(SpecError, match=message):
        ModelSpec(layers)


@pytest.mark.parametrize(
    "change",
    [
        {"learning_rate": 0.0},
        {"learning_rate": float("nan")},
        {"batch_size": 0},
        {"epochs": 0},
        {"validation_split": 0.95},
        {"train_size": 5},
        {"optimizer": "lbfgs"},
        {"nesterov": True, "optimizer": "adam"},
        {"momentum": 1.0},
    ],
)
def test_impossible_training_settings(change):
    with pytest.raises(SpecError):
        ModelSpec((flatten(),), **change)


def test_layer_table_rows_and_output_layer():
    rows = layer_table(ModelSpec((flatten(), dense(32, "relu"), dropout(0.5))))
    assert [r.layer for r in rows] == ["Flatten", "Dense 32 relu", "Dropout 0.5", "Dense 10 softmax (output)"]
    assert [r.params for r in rows] == [0, 784 * 32 + 32, 0, 330]


def test_batchnorm_counts_four_per_channel():
    spec = ModelSpec((conv2d(8), batchnorm_layer(), flatten()))
    assert layer_table(spec)[1].params == 32


def batchnorm_layer():
    return default_layer("batchnorm")


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"layers": "flatten"}',
        '{"layers": [{"kind": "warp"}]}',
        '{"layers": [{"kind": "dense", "units": "many"}]}',
        '{"layers": [{"kind": "dense", "units": 1.5}]}',
        '{"layers": [{"kind": "dense", "colour": 3}]}',
        '{"layers": [{"kind": "flatten"}], "epochs": true}',
        '{"layers": [{"kind": "flatten"}], "wings": 2}',
    ],
)
def test_bad_json_is_a_spec_error(text):
    with pytest.raises(SpecError):
        ModelSpec.from_json(text)


def test_layer_kind_is_checked():
    with pytest.raises(SpecError):
        LayerSpec("attention")
    with pytest.raises(SpecError):
        default_layer("attention")


def test_partial_layer_json_takes_defaults():
    spec = ModelSpec.from_json('{"layers": [{"kind": "flatten"}, {"kind": "dense", "units": 64}]}')
    assert spec.layers[1] == dense(64, "relu")
