"""Spec → Keras model, each layer as its kind's entry in the layer table (model/layers.py) says."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mnistlab.model.layers import KINDS
from mnistlab.model.spec import INPUT_SHAPE, NUM_CLASSES, LayerSpec, ModelSpec

if TYPE_CHECKING:
    import keras


def keras_layer(layer: LayerSpec, name: str) -> keras.layers.Layer:
    """The Keras layer for `layer`: `keras.layers.<its kind's title>(*args, **kwargs)` from the layer table,
    the same call the exported script writes."""
    import keras

    args, kwargs = KINDS[layer.kind].keras_args(layer)
    return getattr(keras.layers, KINDS[layer.kind].title)(*args, **kwargs, name=name)


def make_optimizer(spec: ModelSpec) -> keras.optimizers.Optimizer:
    """The optimizer with the spec's learning rate; `decay` becomes old Keras's 1/(1 + decay·step)."""
    import keras

    rate = spec.learning_rate
    if spec.decay:
        rate = keras.optimizers.schedules.InverseTimeDecay(rate, decay_steps=1, decay_rate=spec.decay)
    if spec.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=spec.momentum, nesterov=spec.nesterov)
    optimizers = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "adagrad": keras.optimizers.Adagrad,
        "adadelta": keras.optimizers.Adadelta,
    }
    return optimizers[spec.optimizer](rate)


def build_model(spec: ModelSpec, compile: bool = True) -> keras.Model:
    """A Keras model for `spec`: input 28×28×1 floats in [0, 1], output 10 probabilities."""
    import keras

    counts: dict[str, int] = {}
    layers = [keras.Input(INPUT_SHAPE, name="image")]
    for layer in spec.layers:
        counts[layer.kind] = counts.get(layer.kind, 0) + 1
        layers.append(keras_layer(layer, f"{layer.kind}_{counts[layer.kind]}"))
    # float32 whatever the policy: a mixed-precision training's probabilities and loss stay exact
    layers.append(keras.layers.Dense(NUM_CLASSES, activation="softmax", name="output", dtype="float32"))
    model = keras.Sequential(layers, name=spec.name if spec.name.isidentifier() else "mnistlab_model")
    if compile:
        model.compile(optimizer=make_optimizer(spec), loss="categorical_crossentropy", metrics=["accuracy"])
    return model
