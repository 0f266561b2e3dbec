"""ModelSpec: validation, shapes, parameter counts and JSON round trips — no TensorFlow here."""

import json

import pytest

from mnistlab import PRESETS, ModelSpec, SpecError, layer_table, output_shapes, param_count
from mnistlab.model.spec import LayerSpec, conv2d, default_layer, dense, dropout, flatten, maxpool2d


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
        ((maxpool2d(8), conv2d(8, 5)), "does not fit"),
        ((conv2d(8, 30),), "kernel size must be at most 28"),
        ((flatten(), dense(16385)), "units must be at most 16,384"),
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
        '{"layers": [{"kind": ["dense"]}]}',
        '{"layers": [{"kind": "flatten"}], "epochs": Infinity}',
        '{"layers": [{"kind": "flatten"}], "learning_rate": NaN}',
        '{"layers": [{"kind": "flatten"}], "epochs": 1e400}',
        "[" * 6000,
        '{"layers": [' + ", ".join(['{"kind": "flatten"}'] * 31) + "]}",
        " " * 20_001,
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


# --- training memory: estimated from the shapes, refused over the per-training budget --------------------------

def test_three_dense_16384_layers_are_refused_naming_their_weights():
    with pytest.raises(SpecError) as refused:
        ModelSpec((flatten(), dense(16384), dense(16384), dense(16384)))
    message = str(refused.value)
    assert "needs about 8,441 MB, over the 1,000 MB" in message
    assert "Adam's slots 4,196 MB" in message
    assert "weights of layers 3 and 4 (Dense 16384 relu)" in message and "549,928,970 parameters" in message


def test_two_wide_convolutions_at_a_large_batch_are_refused_naming_the_activations():
    layers = (conv2d(1024, padding="same"), conv2d(1024, padding="same"), flatten())
    with pytest.raises(SpecError) as refused:
        ModelSpec(layers, batch_size=4096)
    message = str(refused.value)
    assert "over the 1,000 MB" in message
    assert "Shrink the activations, mostly the outputs of layers 1 and 2 (Conv2D 1024 3×3 same relu)" in message
    assert "batch size (now 4,096)" in message


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_fits_the_default_budget(name):
    from mnistlab.model.budget import DEFAULT_TRAINING_MEMORY_MB, training_memory

    assert 0 < training_memory(PRESETS[name].spec).total < DEFAULT_TRAINING_MEMORY_MB * 2**20 / 5


def test_the_budget_is_a_setting(monkeypatch):
    from mnistlab.model.budget import training_memory_budget

    deep = PRESETS["cnn_deep_adagrad"].spec  # about 138 MB
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "100")
    assert training_memory_budget() == 100 * 2**20
    with pytest.raises(SpecError, match="over the 100 MB"):
        ModelSpec.from_json(deep.to_json())
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "nonsense")
    assert training_memory_budget() == 1000 * 2**20
    assert ModelSpec.from_json(deep.to_json()) == deep


def test_memory_parts_add_up_by_hand():
    from mnistlab.model.budget import training_memory

    estimate = training_memory(ModelSpec((flatten(), dense(32)), "sgd", 0.1, momentum=0.9, batch_size=10))
    params = 784 * 32 + 32 + 330
    assert (estimate.weights, estimate.gradients, estimate.optimizer_slots) == (4 * params,) * 3
    # per image: the uint8 input, then floats for the scaled input, Flatten, Dense 32 and the output, ×2 for backward
    assert estimate.activations == 10 * (784 + 4 * 2 * (784 + 784 + 32 + 10))


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad", "adadelta"])
def test_optimizer_slots_and_gradients_match_what_keras_allocates(optimizer):
    from mnistlab.model.budget import training_memory
    from mnistlab.model.build import build_model, make_optimizer

    extra = {"momentum": 0.9} if optimizer == "sgd" else {}
    spec = ModelSpec((conv2d(4), default_layer("batchnorm"), flatten(), dense(8)), optimizer, **extra)
    model = build_model(spec, compile=False)
    keras_optimizer = make_optimizer(spec)
    keras_optimizer.build(model.trainable_variables)
    slots = sum(int(v.numpy().size) for v in keras_optimizer.variables if len(v.shape) > 0)
    estimate = training_memory(spec)
    assert estimate.optimizer_slots == 4 * slots
    assert estimate.gradients == 4 * sum(int(v.numpy().size) for v in model.trainable_variables)
    assert estimate.weights == 4 * model.count_params()


def test_sgd_without_momentum_keeps_no_slots():
    from mnistlab.model.budget import training_memory

    assert training_memory(ModelSpec((flatten(),), "sgd", 0.1)).optimizer_slots == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": 201}, "Epochs must be between 1 and 200, got 201."),
        ({"batch_size": 4097}, "Batch size must be between 1 and 4,096, got 4,097."),
        ({"validation_split": 0.55}, "Validation split must be between 0 and 0.5, got 0.55."),
        ({"learning_rate": 0.0}, "Learning rate must be between 1e-06 and 10, got 0."),
        ({"train_size": 60_001}, "Training subset must be between 0 and 60,000"),
        ({"optimizer": "rmsprop", "momentum": 0.9}, "apply to SGD only"),
    ],
)
def test_training_settings_are_bounded_by_the_shared_limits(change, message):
    with pytest.raises(SpecError) as refused:
        ModelSpec((flatten(),), **change)
    assert message in str(refused.value)


def test_every_limit_is_reachable():
    """The bounds are values a spec can hold, so a widget at its min or max shows a valid model."""
    from mnistlab.model.spec import LIMITS

    settings = ("learning_rate", "momentum", "decay", "batch_size", "epochs", "validation_split", "seed")
    for name in settings:
        for value in LIMITS[name]:
            ModelSpec((flatten(),), "sgd", **{"learning_rate": 0.01, name: value})
    assert ModelSpec((flatten(),) * LIMITS["layers"][1]).layers[-1] == flatten()
    assert ModelSpec((flatten(), dropout(LIMITS["rate"][1]))).layers[1].rate == 0.9


def test_a_model_the_server_could_not_load_again_is_not_trained():
    from mnistlab.model.files import MAX_MODEL_PARAMS
    from mnistlab.model.spec import MAX_PARAMS

    assert MAX_MODEL_PARAMS == MAX_PARAMS  # one limit for training and for loading
    with pytest.raises(SpecError, match="trains at most 25,000,000"):
        # 3 × Dense 4096 on 784 inputs, SGD: 37 M parameters, inside the memory budget but not loadable
        ModelSpec((flatten(), dense(4096), dense(4096), dense(4096)), "sgd", 0.01, batch_size=16)


def test_a_spec_error_travels_with_its_code_and_numbers_and_is_said_in_the_readers_language():
    import pickle

    from mnistlab import i18n

    with pytest.raises(SpecError) as refused:
        ModelSpec((flatten(), dense(0)))
    copy = pickle.loads(pickle.dumps(refused.value))  # as it comes back from a Dask worker
    assert type(copy) is SpecError and copy.code == "layer_setting_low"
    assert copy.params["index"] == 2 and copy.params["layer"] == "Dense" and copy.params["low"] == "1"
    english = str(copy)
    assert english == copy.args[0] == "Layer 2 (Dense): units must be at least 1, got 0."
    i18n.set_language_source(lambda: "zh")
    try:
        chinese = str(copy)
        with pytest.raises(SpecError) as memory:
            ModelSpec((flatten(), dense(16384), dense(16384), dense(16384)))
        memory_zh = str(pickle.loads(pickle.dumps(memory.value)))
    finally:
        i18n.set_language_source(None)
    assert chinese != english and "第 2 层" in chinese and "Dense" in chinese and "神经元数" in chinese
    assert "8,441 MB" in memory_zh and "Adam" in memory_zh and "weights" not in memory_zh and "layers" not in memory_zh
    assert memory.value.code == "memory_over_budget"


def test_impossible_settings_carry_a_code():
    with pytest.raises(SpecError) as refused:
        ModelSpec((flatten(),), epochs=0)
    assert refused.value.code == "setting_range" and refused.value.params["value"] == "0"
    with pytest.raises(SpecError) as refused:
        ModelSpec.from_json('{"layers": [{"kind": "warp"}]}')
    assert refused.value.code == "layer_kind" and refused.value.params["kind"] == "'warp'"
