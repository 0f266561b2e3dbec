"""Training a spec on a dataset, with plain callbacks, a stop switch and the disk cache (`engine.cache`).

The data stays uint8: the model is trained inside a thin wrapper that scales each batch
to [0, 1] on the way in, so no float copy of the training set is ever made, and the
model that comes out takes [0, 1] images like every MNIST tutorial's.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import random
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnistlab.data.pixels import SCALE
from mnistlab.engine.cache import cache_key, clean_stale, default_cache_dir, load_cached, store_result
from mnistlab.engine.precision import choose_policy, policy_for_training
from mnistlab.engine.result import HISTORY_KEYS, Progress, TrainResult
from mnistlab.i18n import L_, Ln_
from mnistlab.model.spec import INPUT_SHAPE, ModelSpec
from mnistlab.tflog import quiet_per_model_traces

if TYPE_CHECKING:
    import keras

    from mnistlab.data.dataset import Dataset


def validation_count(images: int, fraction: float) -> int:
    """How many of `images` split_validation keeps aside: at least one when `fraction` is not 0."""
    return max(1, int(round(images * fraction))) if fraction > 0 else 0


def split_validation(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """A seeded random split, so the validation set is not just the last digits of the file."""
    if fraction <= 0:
        return x, y, None, None
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = validation_count(len(x), fraction)
    val, fit = order[:n_val], np.sort(order[n_val:])
    return x[fit], y[fit], x[val], y[val]


@dataclass(frozen=True)
class WeightUpdates:
    """The arithmetic of epochs and batches: `images` train (the rest validate) in batches of `batch_size`."""

    images: int
    batch_size: int
    per_epoch: int
    epochs: int

    @property
    def total(self) -> int:
        return self.per_epoch * self.epochs


def weight_updates(images: int, validation_split: float, batch_size: int, epochs: int) -> WeightUpdates:
    """How many times training moves the weights: once per batch of the images left after the validation
    split (the last batch may be smaller), every epoch. `images` counts the training set or its subset."""
    training = images - validation_count(images, validation_split)
    return WeightUpdates(training, batch_size, math.ceil(training / batch_size), epochs)


def training_wrapper(model: keras.Model, augmentation: str = "off", seed: int = 0) -> keras.Model:
    """uint8 (N, 28, 28) in, the model's probabilities out; shares the model's weights.

    The augmentation layers live here, between the scaling and the model, so they change
    training batches only and never become part of the model that is saved or returned."""
    import keras

    from mnistlab.model.augment import augmentation_layers

    return keras.Sequential(
        [
            keras.Input((28, 28), dtype="uint8", name="pixels"),
            keras.layers.Rescaling(SCALE, name="scale"),
            keras.layers.Reshape(INPUT_SHAPE, name="channel"),
            *augmentation_layers(augmentation, seed),
            model,
        ],
        name="uint8_trainer",
    )


EXECUTION_MULTIPLY_ADDS = 1e10  # per compiled call: 0.1–0.2 s on 2 cores of 2026, under a second on a slow core
MAX_STEPS_PER_EXECUTION = 32


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds for one image through `model`: each kernel (Dense, Conv2D) times the positions it is applied
    at; the layers without one cost little beside them."""
    total = 0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            total += math.prod(kernel.shape) * math.prod(layer.output.shape[1:-1])
    return total


def steps_per_execution(model: keras.Model, batch_size: int, steps_per_epoch: int) -> int:
    """How many training steps one compiled call runs (Keras's `steps_per_execution`). For a small model,
    Keras's own work between two steps (Python, the callbacks, starting the next call) is a good part of the
    time: 32 steps per call train the MLP presets about 1.3× faster, with the same weights after every step.
    A heavy model gets fewer, down to one, so that a call stays near a tenth of a second, and an epoch has four
    calls or more: Stop and the progress reports are looked at between calls. A step costs about three passes
    (forward, then backward twice as much)."""
    per_step = 3 * max(multiply_adds(model), 1) * batch_size
    return int(max(min(EXECUTION_MULTIPLY_ADDS // per_step, MAX_STEPS_PER_EXECUTION, steps_per_epoch // 4), 1))


class _ThreadSeeds:
    """Stands in for the `random` module where Keras draws the seed of each initializer and dropout layer
    made without one (`keras.src.random.seed_generator.make_default_seed`). That module is the process's:
    other threads draw from it at any moment (a Dask worker's heartbeat samples its message with
    `random.sample`, dask.sizeof), and a draw between `set_random_seed` and the last layer gave the model
    other initial weights. Here a thread inside `keras_seeds` draws from its own generator, seeded as the
    global one would be (the same stream: the same weights as in a quiet process); any other thread draws
    from the global one, as before."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __getattr__(self, name: str):
        return getattr(getattr(self._local, "rng", None) or random, name)


@functools.cache
def _thread_seeds() -> _ThreadSeeds:
    from keras.src.random import seed_generator

    seeds = _ThreadSeeds()
    if getattr(seed_generator, "python_random", None) is random:
        seed_generator.python_random = seeds  # once per process; other threads see no difference
    return seeds


@contextmanager
def keras_seeds(seed: int):
    """Within this block, the layers this thread makes get seeds from `seed` alone, whatever other threads do."""
    seeds = _thread_seeds()
    seeds._local.rng = random.Random(seed)
    try:
        yield
    finally:
        seeds._local.rng = None


def train(
    spec: ModelSpec,
    dataset: Dataset,
    on_epoch: Callable[[Progress], None] | None = None,
    on_batch: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    precision: str | None = None,
) -> TrainResult:
    """Train `spec` on `dataset`, or return the result cached on disk for the same key.

    Only complete runs are cached; a stopped or diverged run returns its partial model. `precision`: the
    Keras dtype policy to train in (float32 or mixed_bfloat16; default: `engine.precision.choose_policy`,
    bfloat16 where the CPU computes in it); `history["precision"]` says which one a run used.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(spec, dataset)
    if use_cache:
        clean_stale(cache)
        hit = load_cached(cache, key)
        if hit is not None:
            return hit
    result = _fit(spec, dataset, on_epoch, on_batch, should_stop, precision or choose_policy())
    result = dataclasses.replace(result, key=key)
    if use_cache and result.complete:
        try:
            store_result(cache, result)
        except OSError as exc:  # a full or read-only disk costs the cache, never the model
            result = dataclasses.replace(result, notice=L_(
                "The training cache is unavailable ({reason}), so this model was not kept for next time; you still "
                "have it now.", reason=exc.strerror or str(exc)))
    return result


def _fit(spec, dataset, on_epoch, on_batch, should_stop, precision) -> TrainResult:
    import keras

    quiet_per_model_traces()  # Keras makes and traces new step functions at every fit

    from mnistlab.model.build import build_model, make_optimizer

    data = dataset.subset_train(spec.train_size, spec.seed) if spec.train_size else dataset
    x_fit, y_fit, x_val, y_val = split_validation(data.x_train, data.y_train, spec.validation_split, spec.seed)
    keras.utils.set_random_seed(spec.seed)
    with keras_seeds(spec.seed), policy_for_training(precision):
        model = build_model(spec)
        trainer = training_wrapper(model, spec.augmentation, spec.seed)
        steps = weight_updates(len(data.x_train), spec.validation_split, spec.batch_size, spec.epochs).per_epoch
        trainer.compile(optimizer=make_optimizer(spec), loss="categorical_crossentropy", metrics=["accuracy"],
                        steps_per_execution=steps_per_execution(model, spec.batch_size, steps))
        watcher = _make_watcher(spec, steps, on_epoch, on_batch, should_stop)
        validation = (x_val, keras.utils.to_categorical(y_val, 10)) if x_val is not None else None
        trainer.fit(
            x_fit, keras.utils.to_categorical(y_fit, 10), batch_size=spec.batch_size, epochs=spec.epochs,
            validation_data=validation, shuffle=True, verbose=0, callbacks=[watcher],
        )
    seconds = time.perf_counter() - watcher.started
    watcher.history["precision"] = precision
    if model.dtype_policy.name != "float32":  # the model that comes out computes in float32 on every machine
        float32_model = build_model(spec, compile=False)
        float32_model.set_weights(model.get_weights())
        model = float32_model
    done = len(watcher.history.get("loss", []))
    watcher.stopped = watcher.stopped and done < spec.epochs  # a Stop that came with the last batch: complete
    if watcher.diverged:
        message = L_("The loss became NaN in epoch {epoch}: the weights blew up. Learning rate too high? "
                     "Try one 10 times smaller.", epoch=watcher.diverged_at)
    elif watcher.stopped:
        message = Ln_("Stopped during epoch {epoch} of {epochs}, after {n} complete epoch; the partly trained "
                      "model is kept.",
                      "Stopped during epoch {epoch} of {epochs}, after {n} complete epochs; the partly trained "
                      "model is kept.", done, epoch=done + 1, epochs=spec.epochs)
    else:
        message = Ln_("Trained {n} epoch in {seconds:.1f} s.", "Trained {n} epochs in {seconds:.1f} s.", done,
                      seconds=seconds)
    return TrainResult(
        model, watcher.history, seconds, done, stopped=watcher.stopped and not watcher.diverged,
        diverged=watcher.diverged, message=message,
    )


REPORT_EVERY_S = 0.25  # seconds between progress reports (and looks at the running loss) within an epoch


@functools.cache
def _watcher_class():
    import keras

    class Watcher(keras.callbacks.Callback):
        """Turns Keras's callback hooks into our plain callbacks, a stop switch and a NaN guard.

        It has no batch-end hook on purpose: a callback with one makes Keras turn every step's numbers
        into Python floats before it starts the next step (25–30 % of an MLP epoch on 2 cores). Without
        one, Keras runs the steps back to back; this looks at the stop switch before each compiled call
        (a plain call; one call runs `steps_per_execution` steps) and reads the running loss and accuracy
        a few times a second, and at each epoch's end."""

        def __init__(self, spec, batches, on_epoch, on_batch, should_stop):
            super().__init__()
            self.spec, self.batches = spec, batches
            self.on_epoch, self.on_batch, self.should_stop = on_epoch, on_batch, should_stop
            self.history: dict[str, list[float]] = {"epoch_seconds": []}
            self.stopped = self.diverged = False
            self.diverged_at = 0
            self.epoch = self.batches_seen = 0
            self.started = self.epoch_started = time.perf_counter()
            self.looked = -math.inf  # when the running numbers were last read; the first read is after batch 1

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.batches_seen = epoch + 1, 0
            self.epoch_started = time.perf_counter()

        def on_train_batch_begin(self, batch, logs=None):
            # the batches about to run in this call: a stop set now still lets them finish
            self.batches_seen = min(batch + self.model.steps_per_execution, self.batches)
            if self.should_stop is not None and not self.model.stop_training and self.should_stop():
                self.stopped = True
                self.model.stop_training = True
            now = time.perf_counter()
            if batch and now - self.looked >= REPORT_EVERY_S:
                self.looked = now
                running = {k: float(v) for k, v in self.model.get_metrics_result().items()}
                self._check_finite(running)
                if self.on_batch is not None:
                    self.on_batch(self._progress(batch, running))

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            self._check_finite(logs)
            if self.batches_seen < self.batches or self.diverged:  # not an epoch, and not drawn as one
                self.history["partial_epoch"] = {
                    "epoch": self.epoch, "batches": self.batches_seen, "of": self.batches,
                    **{name: logs[name] for name in HISTORY_KEYS if name in logs},
                }
                return
            for name in HISTORY_KEYS:
                if name in logs:
                    self.history.setdefault(name, []).append(logs[name])
            self.history["epoch_seconds"].append(time.perf_counter() - self.epoch_started)
            if self.on_batch is not None:
                self.on_batch(self._progress(self.batches, logs))
            if self.on_epoch is not None:
                self.on_epoch(self._progress(self.batches, logs))

        def _check_finite(self, logs):
            """The running loss is the epoch's mean so far: once a step gives NaN, it stays NaN to the epoch's end."""
            if not self.diverged and not math.isfinite(logs.get("loss", 0.0)):
                self.diverged, self.diverged_at = True, self.epoch
                self.model.stop_training = True

        def _progress(self, batch, logs):
            return Progress(
                self.epoch, self.spec.epochs, batch, self.batches, time.perf_counter() - self.started,
                dict(logs), {k: list(v) for k, v in self.history.items() if isinstance(v, list)},
            )

    return Watcher


def _make_watcher(*args):
    """The Keras callback class is made on first use, so importing this module stays light."""
    return _watcher_class()(*args)
