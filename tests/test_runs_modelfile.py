"""The experiment store and the checks on model files from outside."""

import io
import json
import zipfile

import keras
import pytest
import sqlalchemy as sa

from mnistlab import ModelSpec, build_model
from mnistlab.errors import ModelFileError
from mnistlab.model.files import load_model_bytes
from mnistlab.model.io import model_to_bytes
from mnistlab.model.spec import dense, flatten
from mnistlab.store.runs import RUNS, Store, StoreError

SPEC = ModelSpec((flatten(), dense(8)), epochs=1, name="tiny")


def add_run(store, model_bytes=b"", **changes):
    values = dict(name="tiny", dataset="mnist", source="MNIST sample", spec_json=SPEC.to_json(),
                  history={"loss": [1.0, 0.5], "accuracy": [0.5, 0.8]}, seconds=1.5, epochs_done=2,
                  status="done", cache_key="abc", model_bytes=model_bytes or None, test_accuracy=0.8, test_loss=0.5)
    values.update(changes)
    return store.add(**values)


def test_round_trip_and_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    model = build_model(SPEC)
    run_id = add_run(Store(url), model_to_bytes(model))
    again = Store(url)  # a new process would do the same
    [run] = again.list()
    assert (run.id, run.name, run.test_accuracy, run.history["loss"], run.has_model) == (run_id, "tiny", 0.8,
                                                                                          [1.0, 0.5], True)
    assert ModelSpec.from_dict(run.spec_dict) == SPEC
    loaded = again.load_model(run_id)
    assert loaded.count_params() == model.count_params()


def test_delete_and_newest_first(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    first = add_run(store, name="first", owner="ann")
    second = add_run(store, name="second")
    assert [r.name for r in store.list()] == ["second", "first"]
    store.delete(first, by="ann")
    assert [r.id for r in store.list()] == [second]
    with pytest.raises(StoreError):
        store.get(first)


def test_a_damaged_row_is_reported_and_the_rest_still_work(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    good = add_run(store, name="good")
    bad = add_run(store, name="bad", model_bytes=b"not a model")
    with store.engine.begin() as connection:
        connection.execute(sa.update(RUNS).where(RUNS.c.id == bad).values(history_json="{oops"))
    runs = {r.name: r for r in store.list()}
    assert runs["bad"].problem and not runs["good"].problem
    with pytest.raises(StoreError, match=f"run {bad}"):
        store.load_model(bad)
    assert store.get(good).history["accuracy"] == [0.5, 0.8]


def test_nan_accuracy_is_stored_as_missing(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    add_run(store, test_accuracy=float("nan"), test_loss=float("inf"), status="diverged")
    assert store.list()[0].test_accuracy is None


def _saved(model, tmp_path) -> bytes:
    path = tmp_path / "m.keras"
    model.save(path)
    return path.read_bytes()


def test_a_model_with_a_lambda_layer_is_refused(tmp_path):
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Lambda(lambda t: t * 2)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    data = _saved(keras.Model(inputs, outputs), tmp_path)
    with pytest.raises(ModelFileError, match="Lambda"):
        load_model_bytes(data, "evil.keras")


def test_a_hand_made_archive_declaring_a_lambda_is_refused_before_keras_sees_it():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {
            "layers": [{"class_name": "Lambda", "config": {"function": "os.system('echo pwned')"}}]}}))
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ModelFileError, match="Python code"):
        load_model_bytes(buffer.getvalue(), "handmade.keras")


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"hello", "not a Keras model file"), (b"PK\x03\x04garbage", "damaged"), (b"", "not a Keras")],
)
def test_not_a_keras_file(data, message):
    with pytest.raises(ModelFileError, match=message):
        load_model_bytes(data, "x.keras")


def test_wrong_shapes_are_refused(tmp_path):
    wrong_input = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(ModelFileError, match="28×28"):
        load_model_bytes(_saved(wrong_input, tmp_path), "cifar.keras")
    wrong_output = keras.Sequential([keras.Input((784,)), keras.layers.Dense(2)])
    with pytest.raises(ModelFileError, match="not 10 class scores"):
        load_model_bytes(_saved(wrong_output, tmp_path), "binary.keras")


def test_a_flat_input_model_from_elsewhere_is_accepted(tmp_path):
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    assert load_model_bytes(_saved(model, tmp_path)).output_shape == (None, 10)
