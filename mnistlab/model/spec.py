"""Models as values: `ModelSpec` describes a model and how to train it.

A spec is immutable, hashable and JSON-round-trippable, so it can travel in a URL,
be saved as a file and serve as the training cache key. It is validated when it is
made, against its own rules only (each layer's from the table in layers.py); shapes and
parameter counts are worked out here without TensorFlow, so the sidebar builder can
update them on every click. What this server may train (memory budget, parameter cap)
is policy, checked in budget.py where a training is asked for: a stored spec always loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any

from mnistlab.errors import SpecError
from mnistlab.i18n import N_, _
from mnistlab.model.layers import (  # noqa: F401  (the layers' names are the spec's too)
    ACTIVATIONS,
    FIELD_LIMITS,
    FIELD_TITLES,
    LAYER_FIELDS,
    LAYER_KINDS,
    LAYER_TITLES,
    PADDINGS,
    LayerSpec,
    Shape,
    apply_layer,
    batchnorm,
    check_range,
    coerce,
    conv2d,
    default_layer,
    dense,
    dropout,
    flatten,
    layer_from_dict,
    maxpool2d,
    show_shape,
)

INPUT_SHAPE = (28, 28, 1)
MAX_PARAMS = 25_000_000  # 100 MB of float32 weights: the largest model the server trains or loads (budget.py)
NUM_CLASSES = 10

OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad", "adadelta")
OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adadelta": "Adadelta"}
# Random changes to the training images (see mnistlab.model.augment for what each one does).
AUGMENTATIONS = ("off", "light", "strong")

# The bounds of every number a spec holds, in one place (the layers' in their table): the core checks
# them and the builder's widgets take them as their min and max, so any value one accepts the other can
# show. The types matter (Streamlit refuses a float bound on an int widget).
LIMITS: dict[str, tuple[Any, Any]] = {
    "learning_rate": (1e-6, 10.0),
    "momentum": (0.0, 0.99),
    "decay": (0.0, 1.0),
    "batch_size": (1, 4096),
    "epochs": (1, 200),
    "validation_split": (0.0, 0.5),
    "train_size": (0, 60_000),  # 0 means all; otherwise at least MIN_TRAIN_SUBSET
    "seed": (0, 2**31 - 1),
    "layers": (0, 30),
    **FIELD_LIMITS,
}
MIN_TRAIN_SUBSET = 10  # one image per class at least
MAX_SPEC_JSON_CHARS = 20_000  # a 30-layer spec is about 3,000; a link or file longer is refused unread
# Fair use of a class's shared trainers (mnistlab.engine.jobs applies them; the README lists them)
MAX_JOBS_PER_NICKNAME = 2  # trainings one nickname may have queued or running at once
MAX_TRAINING_S = 900  # default of MNISTLAB_MAX_TRAINING_S: a longer training stops, keeping its complete epochs

# Marked for the catalogs: say one with `tr(SETTING_TITLES[name])` where it is shown.
SETTING_TITLES = {
    "optimizer": N_("Optimizer"),
    "learning_rate": N_("Learning rate"),
    "momentum": N_("Momentum"),
    "nesterov": N_("Nesterov momentum"),
    "decay": N_("Learning-rate decay"),
    "batch_size": N_("Batch size"),
    "epochs": N_("Epochs"),
    "validation_split": N_("Validation split"),
    "train_size": N_("Training subset"),
    "seed": N_("Seed"),
    "layers": N_("The number of layers"),
    **FIELD_TITLES,
}


def check_limit(name: str, value: float, where: dict[str, Any] | None = None) -> None:
    """SpecError unless LIMITS[name] holds `value`; `where` names the layer ({"index": 2, "layer": "Dense"})."""
    check_range(SETTING_TITLES[name], LIMITS[name], value, where)


@dataclass(frozen=True)
class ModelSpec:
    """A model and its training settings. The output layer, Dense 10 softmax, is implied."""

    layers: tuple[LayerSpec, ...] = (LayerSpec("flatten"),)
    optimizer: str = "adam"
    learning_rate: float = 0.001
    momentum: float = 0.0
    nesterov: bool = False
    decay: float = 0.0
    batch_size: int = 128
    epochs: int = 5
    validation_split: float = 0.1
    train_size: int = 0
    seed: int = 42
    augmentation: str = "off"
    # A label only: two specs that differ only by name describe the same training.
    name: str = field(default="custom", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        for layer in self.layers:
            if not isinstance(layer, LayerSpec):
                raise SpecError("layer_not_spec", N_("Layers must be LayerSpec values, got {value}."),
                                value=repr(layer))
        _check_training(self)
        layer_table(self)  # raises SpecError on an impossible architecture

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["layers"] = [layer.to_dict() for layer in self.layers]
        return data

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> ModelSpec:
        if not isinstance(data, dict):
            raise SpecError("spec_not_object", N_("A model spec must be a JSON object."))
        known = {f.name: f for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise SpecError("spec_setting_unknown", N_("Unknown spec setting(s): {names}."),
                            names=", ".join(sorted(unknown)))
        layers = data.get("layers", [])
        if not isinstance(layers, list):
            raise SpecError("layers_not_list", N_("'layers' must be a list."))
        check_limit("layers", len(layers))
        values: dict[str, Any] = {"layers": tuple(layer_from_dict(item) for item in layers)}
        for name, f in known.items():
            if name == "layers" or name not in data:
                continue
            values[name] = coerce(data[name], type(f.default), name)
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> ModelSpec:
        """A spec from JSON text (a shared link, a file): SpecError for anything else, however odd."""
        if len(text) > MAX_SPEC_JSON_CHARS:
            raise SpecError("spec_too_long", N_("A model spec is at most {most:,} characters long; "
                                                "this one has {length:,}."), most=MAX_SPEC_JSON_CHARS, length=len(text))
        try:
            data = json.loads(text)
        except RecursionError:
            raise SpecError("spec_too_deep", N_("Not a valid JSON model spec: it is nested too deeply.")) from None
        except (ValueError, TypeError) as exc:
            raise SpecError("spec_not_json", N_("Not a valid JSON model spec: {reason}."), reason=str(exc)) from None
        return cls.from_dict(data)

    def replace(self, **changes: Any) -> ModelSpec:
        return replace(self, **changes)


def _check_training(spec: ModelSpec) -> None:
    if spec.optimizer not in OPTIMIZERS:
        raise SpecError("optimizer_unknown", N_("Unknown optimizer {name}; choose one of {choices}."),
                        name=repr(spec.optimizer), choices=", ".join(OPTIMIZERS))
    check_limit("layers", len(spec.layers))
    for name in ("learning_rate", "momentum", "decay", "batch_size", "epochs", "validation_split", "seed"):
        check_limit(name, getattr(spec, name))
    if spec.optimizer != "sgd" and (spec.momentum or spec.nesterov):
        raise SpecError("momentum_not_sgd", N_("Momentum and Nesterov momentum apply to SGD only."))
    check_limit("train_size", spec.train_size)
    if 0 < spec.train_size < MIN_TRAIN_SUBSET:
        raise SpecError("subset_too_small", N_("Training subset must be 0 (all) or at least {least} images, "
                                               "got {value}."), least=MIN_TRAIN_SUBSET, value=spec.train_size)
    if spec.augmentation not in AUGMENTATIONS:
        raise SpecError("augmentation_unknown", N_("Unknown augmentation {name}; choose one of {choices}."),
                        name=repr(spec.augmentation), choices=", ".join(AUGMENTATIONS))


@dataclass(frozen=True)
class LayerRow:
    """A row of the model summary: what a layer makes of its input."""

    index: int  # 1-based position among the hidden layers; 0 for the output layer
    layer: str
    output_shape: Shape
    params: int
    kind: str = "dense"  # its entry in layers.KINDS; the output layer is a Dense layer


def layer_table(spec: ModelSpec) -> list[LayerRow]:
    """Output shape and parameter count after every layer, output layer last.

    Raises SpecError naming the layer when the architecture is impossible.
    """
    shape: Shape = INPUT_SHAPE
    rows = []
    for index, layer in enumerate(spec.layers, start=1):
        shape, params = apply_layer(layer, shape, {"index": index, "layer": layer.title})
        rows.append(LayerRow(index, layer.describe(), shape, params, layer.kind))
    if len(shape) != 1:
        raise SpecError("output_not_flat", N_("The output layer needs a flat input but gets {shape} images: "
                                              "add a Flatten layer at the end."), shape=show_shape(shape))
    rows.append(LayerRow(0, output_layer_title(), (NUM_CLASSES,), shape[0] * NUM_CLASSES + NUM_CLASSES))
    return rows


def output_layer_title() -> str:
    """The implied output layer's row in a model summary, in the reader's language."""
    return _("Dense 10 softmax (output)")


def output_shapes(spec: ModelSpec) -> list[Shape]:
    """The output shape after each layer, without the batch axis, output layer last."""
    return [row.output_shape for row in layer_table(spec)]


def param_count(spec: ModelSpec) -> int:
    """Trainable plus non-trainable parameters, as Keras's `count_params()` counts them."""
    return sum(row.params for row in layer_table(spec))
