"""Uploaded `.keras` files cannot cost the shared server memory, run code, or crash a page.

Hand-made archives, each a reproduction of an attack: a zip bomb, a tiny file declaring a
huge layer, a weights file declaring huge tensors, deep nesting, custom code. Every one is
refused with a ModelFileError before Keras sees it (keras.saving.load_model is patched to
fail the test if it is reached).
"""

from __future__ import annotations

import copy
import io
import json
import tracemalloc
import zipfile

import keras
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnistlab import build_model
from mnistlab.errors import ModelFileError
from mnistlab.model import files as modelfile
from mnistlab.model import presets
from mnistlab.model.files import MAX_MODEL_PARAMS, check_archive, load_model_bytes
from mnistlab.model.io import model_to_bytes


@pytest.fixture
def keras_never_loads(monkeypatch):
    calls = []

    def record(*args, **kwargs):
        calls.append(args)
        raise ValueError("keras.saving.load_model was reached")

    monkeypatch.setattr(keras.saving, "load_model", record)
    yield
    assert not calls, "the archive reached Keras"


def layer(cls, input_shape=None, **config):
    entry = {"module": "keras.layers", "class_name": cls, "config": {"name": cls.lower(), **config},
             "registered_name": None}
    if input_shape is not None:
        entry["build_config"] = {"input_shape": [None, *input_shape]}
    return entry


def sequential(*layers):
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "sequential", "layers": [layer("InputLayer", batch_shape=[None, 28, 28, 1]), *layers]}}


def archive(config, extra=None, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        zf.writestr("config.json", config if isinstance(config, (str, bytes)) else json.dumps(config))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_costs_bounded_memory_and_is_refused(keras_never_loads):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("config.json", "w") as member:
            for _ in range(60):  # 60 MB of whitespace, which json would happily skip
                member.write(b" " * 1_000_000)
            member.write(b"{}")
    data = buffer.getvalue()
    assert len(data) < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="config.json unpacks to 60 MB"):
            load_model_bytes(data, "bomb.keras")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_a_zip_that_lies_about_its_sizes_is_read_only_up_to_the_limit(keras_never_loads):
    data = bytearray(archive(" " * 30_000_000 + "{}"))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("config.json")
    declared = info.file_size.to_bytes(4, "little")
    for start in (i for i in range(len(data)) if data[i:i + 4] == declared):
        data[start:start + 4] = (100).to_bytes(4, "little")  # local header and central directory both say 100 B
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="damaged|unpacks"):
            load_model_bytes(bytes(data), "liar.keras")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_a_tiny_file_declaring_a_huge_layer_is_refused_with_the_numbers(keras_never_loads):
    data = archive(sequential(layer("Flatten"), layer("Dense", units=200_000), layer("Dense", units=10)))
    assert len(data) < 1000
    with pytest.raises(ModelFileError, match=f"157,000,000 parameters.*{MAX_MODEL_PARAMS:,}"):
        load_model_bytes(data, "huge.keras")


def test_a_huge_layer_is_found_from_its_own_build_config_in_a_functional_model(keras_never_loads):
    model = {"module": "keras", "class_name": "Functional", "registered_name": None, "config": {"layers": [
        layer("InputLayer", batch_shape=[None, 784]),
        layer("Dense", input_shape=[784], units=10),
        layer("Conv2D", input_shape=[4, 4, 512], filters=8192, kernel_size=[3, 3]),
    ]}}
    with pytest.raises(ModelFileError, match="37,764,778 parameters"):
        load_model_bytes(archive(model), "conv.keras")


def test_an_activation_too_big_for_one_image_is_refused(keras_never_loads):
    data = archive(sequential(layer("ZeroPadding2D", padding=[[5000, 5000], [5000, 5000]]),
                              layer("GlobalMaxPooling2D"), layer("Dense", units=10)))
    with pytest.raises(ModelFileError, match="values per image"):
        load_model_bytes(data, "padding.keras")


def test_a_weights_file_declaring_huge_tensors_is_refused_from_its_metadata(tmp_path, keras_never_loads):
    import h5py

    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as weights:  # chunked and never written: a few kB declaring 800 MB
        weights.create_dataset("layers/dense/vars/0", shape=(200_000, 1000), dtype="f4", chunks=(1000, 100))
    small = sequential(layer("Flatten"), layer("Dense", units=10))
    data = archive(small, {"model.weights.h5": path.read_bytes()})
    assert len(data) < 20_000
    with pytest.raises(ModelFileError, match="200,000,000 values"):
        load_model_bytes(data, "weights.keras")


def test_deep_nesting_and_recursion_are_a_model_file_error(keras_never_loads):
    with pytest.raises(ModelFileError, match="nested"):
        load_model_bytes(archive("[" * 100_000 + "]" * 100_000), "deep.keras")
    deep: dict = {}
    for _ in range(500):
        deep = {"class_name": "Dense", "config": deep}
    with pytest.raises(ModelFileError, match="nested"):
        load_model_bytes(archive(sequential(layer("Dense", units=10, kernel_initializer=deep))), "deep2.keras")


@pytest.mark.parametrize(("entry", "message"), [
    (layer("TextVectorization"), "TextVectorization is not one this app accepts"),
    (layer("Bidirectional", layer=layer("Dense", units=10)), "Bidirectional is not one"),
    ({**layer("MyLayer"), "module": "evil_package.layers", "registered_name": "evil>MyLayer"}, "not part of Keras"),
    ({**layer("Dense", units=10), "registered_name": "my_package>Dense"}, "custom object 'my_package>Dense'"),
    (layer("Dense", units=10, kernel_initializer={"module": "keras.layers", "class_name": "Lambda", "config": {}}),
     "Lambda layer"),
    (layer("Dense", units=10, kernel_initializer={"module": "keras.layers", "class_name": "Embedding",
                                                   "config": {}}), "Embedding is not one"),
    (layer("Dense", units=10, activation={"class_name": "__lambda__", "config": {"code": "..."}}), "__lambda__"),
])
def test_only_listed_keras_layers_and_objects_are_accepted(entry, message, keras_never_loads):
    data = archive(sequential(layer("Flatten"), entry))
    with pytest.raises(ModelFileError, match=message):
        load_model_bytes(data, "odd.keras")


def test_models_made_of_listed_layers_load(tmp_path):
    layers = keras.layers
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    y = layers.SeparableConv2D(8, 3, padding="same")(x)
    z = layers.LayerNormalization()(layers.DepthwiseConv2D(3)(layers.Add()([x, y])))
    z = layers.Cropping2D(((1, 0), (0, 1)))(layers.ZeroPadding2D(1)(z))
    z = layers.Concatenate()([layers.GlobalAveragePooling2D()(z), layers.GlobalMaxPooling2D()(z)])
    inner = keras.Sequential([keras.Input((16,)), layers.Dense(12), layers.LeakyReLU()])
    model = keras.Model(inputs, layers.Softmax()(layers.Dense(10)(inner(z))))
    model.compile("adam", "sparse_categorical_crossentropy")
    path = tmp_path / "f.keras"
    model.save(path)
    assert check_archive(path.read_bytes(), "f.keras") == model.count_params()
    assert load_model_bytes(path.read_bytes()).count_params() == model.count_params()


@pytest.mark.parametrize("preset", sorted(presets.PRESETS))
def test_the_estimate_matches_keras_for_every_preset(preset):
    model = build_model(presets.PRESETS[preset].spec)
    assert check_archive(model_to_bytes(model), preset) == model.count_params()


def test_augmentation_layers_are_accepted():
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.RandomRotation(0.1), keras.layers.RandomZoom(0.1),
                              keras.layers.RandomTranslation(0.1, 0.1), keras.layers.Rescaling(1 / 255),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    assert load_model_bytes(model_to_bytes(model)).count_params() == 7850


def test_trusted_lifts_only_the_upload_size_limit(monkeypatch):
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    data = model_to_bytes(model)
    monkeypatch.setattr(modelfile, "MAX_MODEL_BYTES", len(data) - 1)
    with pytest.raises(ModelFileError, match="too big"):
        load_model_bytes(data, "run 1")
    assert load_model_bytes(data, "run 1", trusted=True).count_params() == 7850
    huge = archive(sequential(layer("Flatten"), layer("Dense", units=200_000)))
    with pytest.raises(ModelFileError, match="parameters"):
        load_model_bytes(huge, "run 2", trusted=True)


_VALID = None


def _valid() -> bytes:
    global _VALID
    if _VALID is None:
        _VALID = model_to_bytes(keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)]))
    return _VALID


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8), st.floats(0.05, 1))
def test_any_damaged_archive_is_a_model_file_error(flips, keep):
    data = bytearray(_valid())
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    data = bytes(data[: max(2, int(len(data) * keep))])
    try:
        check_archive(data, "fuzz.keras")
    except ModelFileError:  # anything else (a TypeError of ours) fails: files.DAMAGED lists what damage raises
        pass


# A sound archive whose config.json holds values where Keras writes others: our own reading of it
# must refuse them with a reason, not crash (such crashes were once reported as "damaged archive").

STRANGE_VALUES = [None, True, 0, -1, 1.5, 10**12, "", "x", [], [1], [None], [1, 2, 3], {}, {"a": 1},
                  [[1, 2], [3, 4]], ["Sequential"], ["Dense"]]


def _strange_model() -> dict:
    return sequential(layer("Conv2D", filters=4, kernel_size=[3, 3], padding="same"), layer("BatchNormalization"),
                      layer("MaxPooling2D", pool_size=[2, 2]), layer("Reshape", target_shape=[784]),
                      layer("Dropout", rate=0.1), layer("Dense", units=10))


def _places(node, path=()):
    yield path
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _places(child, (*path, key))


def _put(config, path, value):
    if not path:
        return value
    changed = copy.deepcopy(config)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def _accepted_or_refused(config) -> None:
    try:
        check_archive(archive(config), "strange.keras")
    except ModelFileError:
        pass


@pytest.mark.parametrize(("path", "value"), [
    (("class_name",), ["Sequential"]),
    (("config", "layers", 6, "class_name"), ["Dense"]),
    (("config", "layers", 4, "config", "target_shape"), 784),
    (("config", "layers", 4, "config", "target_shape"), "x"),
])
def test_a_config_with_strange_values_is_refused_not_a_crash(path, value):
    _accepted_or_refused(_put(_strange_model(), path, value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(STRANGE_VALUES)), min_size=1,
                max_size=3))
def test_any_strange_config_is_accepted_or_a_model_file_error(changes):
    config = _strange_model()
    for where, value in changes:
        places = list(_places(config))
        config = _put(config, places[int(where * len(places))], value)
    _accepted_or_refused(config)
