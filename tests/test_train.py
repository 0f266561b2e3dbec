"""train(): history, callbacks, stop, NaN, and the disk cache."""

import json
import pickle

import numpy as np
import pytest

from mnistlab import PRESETS, ModelSpec, i18n, train
from mnistlab.engine import train as training
from mnistlab.engine.cache import cache_key
from mnistlab.engine.train import split_validation
from mnistlab.model.spec import dense, flatten

SMALL = ModelSpec((flatten(), dense(32, "relu")), "adam", 0.003, batch_size=32, epochs=2, name="small")


def test_training_learns_and_reports_every_epoch(tiny, isolated_cache):
    epochs = []
    result = train(SMALL, tiny, on_epoch=epochs.append)
    assert [p.epoch for p in epochs] == [1, 2]
    assert epochs[-1].fraction == 1.0 and epochs[-1].history["loss"] == result.history["loss"]
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_seconds"}
    assert len(result.history["loss"]) == 2 and result.epochs_done == 2
    assert result.history["loss"][1] < result.history["loss"][0]
    assert result.history["accuracy"][-1] > 0.5
    assert result.complete and not result.cached
    assert result.model.output_shape == (None, 10)


def test_same_spec_and_data_comes_from_the_cache(tiny, isolated_cache):
    first = train(SMALL, tiny)
    again = train(SMALL.replace(name="renamed"), tiny)
    assert again.cached and again.key == first.key
    assert again.history == first.history
    x = tiny.x_test[:5].astype("float32")[..., None] / 255
    np.testing.assert_allclose(again.model(x), first.model(x), atol=1e-6)
    assert (isolated_cache / "runs" / first.key / "model.keras").exists()


def test_a_different_seed_trains_again(tiny):
    assert cache_key(SMALL, tiny) != cache_key(SMALL.replace(seed=7), tiny)
    assert cache_key(SMALL, tiny) != cache_key(SMALL.replace(epochs=3), tiny)


def test_corrupt_cache_entry_is_retrained(tiny, isolated_cache):
    first = train(SMALL, tiny)
    (isolated_cache / "runs" / first.key / "model.keras").write_bytes(b"garbage")
    again = train(SMALL, tiny)
    assert not again.cached and again.complete


@pytest.mark.parametrize("damage", ["empty-json", "flipped-weights", "half-copied"])
def test_any_unreadable_cache_entry_is_a_miss_and_is_replaced(tiny, isolated_cache, damage):
    first = train(SMALL, tiny)
    entry = isolated_cache / "runs" / first.key
    if damage == "empty-json":
        (entry / "result.json").write_text("{}")
    elif damage == "flipped-weights":
        data = bytearray((entry / "model.keras").read_bytes())
        for i in range(len(data) // 3, len(data) // 3 + 64):
            data[i] ^= 0xFF
        (entry / "model.keras").write_bytes(bytes(data))
    else:
        (entry / "model.keras").unlink()
    again = train(SMALL, tiny)
    assert not again.cached and again.complete
    third = train(SMALL, tiny)  # the bad entry was replaced by a good one
    assert third.cached and third.history["loss"] == again.history["loss"]


def test_a_cache_that_cannot_be_written_costs_the_cache_not_the_model(tiny, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    result = train(SMALL, tiny, cache_dir=blocked)
    assert result.complete and result.model is not None
    assert "training cache is unavailable" in str(result.notice)


def test_stop_keeps_the_partial_model_and_is_not_cached(tiny, isolated_cache, monkeypatch):
    monkeypatch.setattr(training, "MAX_STEPS_PER_EXECUTION", 1)  # one step per call, as a heavy model has
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 3

    result = train(SMALL.replace(epochs=5), tiny, should_stop=should_stop)
    # stopped after 4 batches of epoch 1: no complete epoch, and the partial one is not drawn as one
    assert result.stopped and result.epochs_done == 0
    assert result.history.get("loss", []) == [] and result.history["partial_epoch"]["batches"] == 4
    assert result.history["partial_epoch"]["epoch"] == 1 and "loss" in result.history["partial_epoch"]
    assert "Stopped during epoch 1 of 5, after 0 complete epochs" in str(result.message)
    said_later = pickle.loads(pickle.dumps(result.message))  # as it comes back from a worker process
    i18n.set_language_source(lambda: "zh")
    try:
        chinese = str(said_later)
    finally:
        i18n.set_language_source(None)
    assert "停止" in chinese and "Stopped" not in chinese and "1" in chinese and "5" in chinese
    assert result.model.predict(np.zeros((1, 28, 28, 1)), verbose=0).shape == (1, 10)
    assert not (isolated_cache / "runs" / result.key).exists()


def test_steps_grouped_in_one_call_train_the_same_weights_and_stop_between_calls(tiny, isolated_cache, monkeypatch):
    """A small model runs several steps per compiled call; the run is the same step for step, and a Stop
    asked before a call lets that call's steps finish, then counts them in the partial epoch."""
    spec = SMALL.replace(epochs=2, validation_split=0.0)  # 600 images: 19 batches of 32 an epoch
    monkeypatch.setattr(training, "MAX_STEPS_PER_EXECUTION", 1)
    one = train(spec, tiny, use_cache=False)
    monkeypatch.setattr(training, "MAX_STEPS_PER_EXECUTION", 3)
    grouped = train(spec, tiny, use_cache=False)
    assert grouped.history["loss"] == one.history["loss"]
    assert grouped.history["accuracy"] == one.history["accuracy"]
    for mine, theirs in zip(grouped.model.get_weights(), one.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)

    calls = []
    stopped = train(spec, tiny, use_cache=False, should_stop=lambda: calls.append(1) or len(calls) > 1)
    assert stopped.stopped and stopped.epochs_done == 0
    assert stopped.history["partial_epoch"]["batches"] == 6 and stopped.history["partial_epoch"]["of"] == 19


def test_a_small_model_runs_more_steps_per_call_than_a_heavy_one():
    from mnistlab.model.build import build_model
    from mnistlab.model.spec import conv2d

    mlp = build_model(PRESETS["mlp_relu_adam"].spec)
    heavy = build_model(ModelSpec((conv2d(64, padding="same"), conv2d(64, padding="same"), flatten(), dense(10))))
    assert training.multiply_adds(mlp) == 784 * 512 + 512 * 512 + 512 * 10
    assert training.steps_per_execution(mlp, 128, 469) == training.MAX_STEPS_PER_EXECUTION
    assert training.steps_per_execution(mlp, 128, 20) == 5  # four calls an epoch or more
    assert training.steps_per_execution(heavy, 128, 469) == 1


def test_nan_loss_stops_with_an_explanation(tiny):
    wild = ModelSpec((flatten(), dense(256, "linear"), dense(256, "linear")), "sgd", 10.0, batch_size=16, epochs=3)
    result = train(wild, tiny)
    assert result.diverged and not result.complete
    assert "Learning rate too high?" in str(result.message)
    assert result.epochs_done == 0 and result.history["partial_epoch"]["epoch"] == 1  # NaN in epoch 1


def test_batch_callback_sees_progress(tiny):
    seen = []
    train(SMALL.replace(epochs=1), tiny, on_batch=seen.append, use_cache=False)
    assert seen[-1].batch == seen[-1].batches and 1 <= seen[0].batch < seen[-1].batch  # after the first call
    assert 0 < seen[0].fraction < seen[-1].fraction == 1.0


def test_train_size_uses_a_subset(tiny):
    result = train(SMALL.replace(train_size=100, validation_split=0.0, epochs=1), tiny, use_cache=False)
    assert "val_loss" not in result.history


def test_validation_split_is_seeded_and_disjoint():
    x = np.arange(100)
    y = np.arange(100)
    xa, _, xv, _ = split_validation(x, y, 0.2, seed=1)
    xb, _, xw, _ = split_validation(x, y, 0.2, seed=1)
    assert len(xv) == 20 and not set(xa) & set(xv)
    np.testing.assert_array_equal(xv, xw)
    np.testing.assert_array_equal(xa, xb)


def test_cache_entry_is_readable_json(tiny, isolated_cache):
    result = train(SMALL.replace(epochs=1), tiny)
    meta = json.loads((isolated_cache / "runs" / result.key / "result.json").read_text())
    assert meta["epochs_done"] == 1


@pytest.mark.parametrize("name", ["cnn_lenet_tanh"])
def test_a_cnn_preset_trains_one_epoch(tiny, name):
    result = train(PRESETS[name].spec.replace(epochs=1), tiny, use_cache=False)
    assert result.complete and result.history["accuracy"][0] > 0.1


def test_another_thread_drawing_random_numbers_does_not_change_the_model(tiny, monkeypatch):
    # A Dask worker's heartbeat samples its message with Python's global `random` (dask.sizeof) at any
    # moment, also while a training builds its model: the draws land between the seeding and the layers
    import random
    import threading

    import mnistlab.model.build

    alone = train(SMALL.replace(epochs=1), tiny, use_cache=False)
    real_build = mnistlab.model.build.build_model

    def build_while_another_thread_draws(spec, compile=True):
        other = threading.Thread(target=lambda: [random.random() for _ in range(10)])
        other.start()
        other.join()
        return real_build(spec, compile)

    monkeypatch.setattr(mnistlab.model.build, "build_model", build_while_another_thread_draws)
    disturbed = train(SMALL.replace(epochs=1), tiny, use_cache=False)
    assert disturbed.history["loss"] == alone.history["loss"]
    assert disturbed.history["val_accuracy"] == alone.history["val_accuracy"]
