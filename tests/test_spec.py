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

def test_three_dense_16384_layers_are_refused_naming_their_weights(monkeypatch):
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "1000")  # the figures below are for a 1,000 MB budget
    from mnistlab.model.budget import check_server_limits

    with pytest.raises(SpecError) as refused:
        check_server_limits(ModelSpec((flatten(), dense(16384), dense(16384), dense(16384))))
    message = str(refused.value)
    assert "needs about 8,441 MB, over the 1,000 MB" in message
    assert "Adam's slots 4,196 MB" in message
    assert "weights of layers 3 and 4 (Dense 16384 relu)" in message and "549,928,970 parameters" in message


def test_two_wide_convolutions_at_a_large_batch_are_refused_naming_the_activations(monkeypatch):
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "1000")
    from mnistlab.model.budget import check_server_limits

    layers = (conv2d(1024, padding="same"), conv2d(1024, padding="same"), flatten())
    with pytest.raises(SpecError) as refused:
        check_server_limits(ModelSpec(layers, batch_size=4096))
    message = str(refused.value)
    assert "over the 1,000 MB" in message
    assert "Shrink the activations, mostly the outputs of layers 1 and 2 (Conv2D 1024 3×3 same relu)" in message
    assert "batch size (now 4,096)" in message


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_fits_the_budget_of_a_community_cloud_box_twice_over(name):
    from mnistlab.box import Box, size_for
    from mnistlab.model.budget import training_memory

    cloud = size_for(Box(memory=2_700_000_000, cpus=1.0, source="cgroup v2"))  # the estimate may be 2× off
    assert 0 < training_memory(PRESETS[name].spec).total < cloud.training_budget / 2


def test_the_budget_is_a_setting_of_the_server_not_of_the_spec(monkeypatch):
    from mnistlab.model.budget import check_server_limits, training_memory_budget

    deep = PRESETS["cnn_deep_adagrad"].spec  # about 138 MB
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "100")
    assert training_memory_budget() == 100 * 2**20
    assert ModelSpec.from_json(deep.to_json()) == deep  # a stored spec still loads
    with pytest.raises(SpecError, match="over the 100 MB"):
        check_server_limits(deep)
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "nonsense")
    from mnistlab.box import server_training_budget

    assert training_memory_budget() == server_training_budget()  # what this server's box gives
    assert check_server_limits(deep).total < training_memory_budget()


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
    from mnistlab.model.budget import check_server_limits

    # 3 × Dense 4096 on 784 inputs, SGD: 37 M parameters, inside the memory budget but not loadable
    spec = ModelSpec((flatten(), dense(4096), dense(4096), dense(4096)), "sgd", 0.01, batch_size=16)
    with pytest.raises(SpecError, match="trains at most 25,000,000"):
        check_server_limits(spec)


def test_a_spec_error_travels_with_its_code_and_numbers_and_is_said_in_the_readers_language():
    import pickle

    from mnistlab import i18n
    from mnistlab.model.budget import check_server_limits

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
            check_server_limits(ModelSpec((flatten(), dense(16384), dense(16384), dense(16384))))
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


# --- the spec is a pure value: the server's limits are checked where a training is asked for ---------------------

TOO_BIG = (flatten(), dense(16384), dense(16384), dense(16384))  # 8,441 MB to train with Adam
TOO_BIG_MESSAGE = (
    "Training this model needs about 8,441 MB, over the 1,000 MB one training may use on this server "
    "(MNISTLAB_TRAINING_MEMORY_MB): weights 2,098 MB, gradients 2,098 MB, Adam's slots 4,196 MB, activations 50 MB "
    "(batch 128). Shrink the weights of layers 3 and 4 (Dense 16384 relu), 98% of the 549,928,970 parameters: fewer "
    "units, or a MaxPooling2D before Flatten.")
TOO_MANY_PARAMS = (flatten(), dense(4096), dense(4096), dense(4096))  # 37 M parameters, SGD fits the memory
TOO_MANY_PARAMS_MESSAGE = ("This model has 36,818,954 parameters; this server shared by the class trains at most "
                           "25,000,000. Use fewer units or filters, or pool before a large Dense layer.")


@pytest.mark.parametrize("budget", [None, "1", "100", "1000", "100000", "nonsense", "-5"])
def test_a_spec_over_the_servers_limits_still_loads_whatever_the_budget(budget, monkeypatch):
    for name in [name for name in __import__("os").environ if name.startswith("MNISTLAB_")]:
        monkeypatch.delenv(name)
    if budget is not None:
        monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", budget)
    for layers, optimizer in ((TOO_BIG, "adam"), (TOO_MANY_PARAMS, "sgd")):
        spec = ModelSpec(layers, optimizer, 0.01, batch_size=16 if optimizer == "sgd" else 128)
        assert ModelSpec.from_json(spec.to_json()) == spec
        assert ModelSpec.from_dict(json.loads(spec.to_json())) == spec


@pytest.mark.parametrize(("layers", "settings", "message"), [
    (TOO_BIG, {}, TOO_BIG_MESSAGE),
    (TOO_MANY_PARAMS, {"optimizer": "sgd", "learning_rate": 0.01, "batch_size": 16}, TOO_MANY_PARAMS_MESSAGE),
])
def test_submitting_a_spec_over_the_servers_limits_is_refused_with_the_builders_message(layers, settings, message,
                                                                                        monkeypatch):
    from mnistlab.engine.jobs import JobRegistry

    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "1000")  # the messages name a 1,000 MB budget
    spec = ModelSpec(layers, **settings)
    registry = object.__new__(JobRegistry)  # no engine: the refusal comes before the registry does anything
    with pytest.raises(SpecError) as refused:
        registry.submit(spec, None, "student")
    assert str(refused.value) == message


def test_the_spec_does_not_import_the_servers_policy():
    """spec.py and the layer table know their own rules only: no import of budget (or anything that reads the
    server's settings), not even inside a function, so there is no import cycle to work around."""
    import ast
    from pathlib import Path

    model = Path(__file__).resolve().parent.parent / "mnistlab" / "model"
    for name in ("spec.py", "layers.py"):
        tree = ast.parse((model / name).read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not {m for m in imported if m and (m.endswith("budget") or ".engine" in m or m == "os")}, name


def test_the_cores_modules_import_each_other_without_a_cycle():
    """The graph of module-level imports inside mnistlab has no cycle (a cycle works only in some orders)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    graph = {}
    for path in (root / "mnistlab").rglob("*.py"):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        found = set()
        for node in ast.parse(path.read_text()).body:  # module level only; TYPE_CHECKING blocks are not run
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mnistlab."):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("mnistlab.")}
        graph[module] = found
    done, path_ = set(), []

    def visit(module):
        if module in path_:
            raise AssertionError(" → ".join([*path_[path_.index(module):], module]))
        if module in done or module not in graph:
            return
        path_.append(module)
        for other in graph[module]:
            visit(other)
        path_.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_weight_updates_count_the_batches_training_runs():
    import numpy as np

    from mnistlab.engine.train import split_validation, weight_updates

    updates = weight_updates(4000, 0.1, 128, 3)
    assert (updates.images, updates.per_epoch, updates.total) == (3600, 29, 87)
    for images in (10, 11, 599, 4001, 4005, 60_000):
        for split in (0.0, 0.05, 0.1, 0.15, 0.33, 0.5):
            kept = len(split_validation(np.zeros(images), np.zeros(images), split, 0)[0])
            assert weight_updates(images, split, 7, 1).images == kept, (images, split)
            assert weight_updates(images, split, 7, 1).per_epoch == -(-kept // 7)
    from ui.concepts import weight_updates_note

    assert "3,605 training images in batches of 128 make 29 weight updates" in weight_updates_note(4005, 0.1, 128, 1)
