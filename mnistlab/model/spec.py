"""Models as values: `ModelSpec` describes a model and how to train it.

A spec is immutable, hashable and JSON-round-trippable, so it can travel in a URL,
be saved as a file and serve as the training cache key. It is validated when it is
made; shapes and parameter counts are worked out here without TensorFlow, so the
sidebar builder can update them on every click.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from mnistlab.errors import SpecError
from mnistlab.i18n import N_, Message, _

INPUT_SHAPE = (28, 28, 1)
MAX_PARAMS = 25_000_000  # 100 MB of float32 weights: the largest model the server trains or loads
NUM_CLASSES = 10

LAYER_KINDS = ("dense", "conv2d", "maxpool2d", "dropout", "flatten", "batchnorm")
LAYER_TITLES = {
    "dense": "Dense",
    "conv2d": "Conv2D",
    "maxpool2d": "MaxPooling2D",
    "dropout": "Dropout",
    "flatten": "Flatten",
    "batchnorm": "BatchNormalization",
}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "selu", "gelu", "linear")
PADDINGS = ("valid", "same")
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad", "adadelta")
OPTIMIZER_TITLES = {
    "sgd": "SGD",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
}
# Random changes to the training images (see mnistlab.model.augment for what each one does).
AUGMENTATIONS = ("off", "light", "strong")

# Which fields of LayerSpec mean something for each kind: the rest stay at their
# defaults, so two specs that describe the same model compare (and hash) equal.
LAYER_FIELDS = {
    "dense": ("units", "activation"),
    "conv2d": ("filters", "kernel_size", "strides", "padding", "activation"),
    "maxpool2d": ("pool_size",),
    "dropout": ("rate",),
    "flatten": (),
    "batchnorm": (),
}

Shape = tuple[int, ...]

# The bounds of every number a spec holds, in one place: the core checks them and the builder's
# widgets take them as their min and max, so any value one accepts the other can show. The types
# matter (Streamlit refuses a float bound on an int widget).
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
    "units": (1, 16_384),
    "filters": (1, 1_024),
    "kernel_size": (1, 28),
    "strides": (1, 4),
    "pool_size": (1, 8),
    "rate": (0.0, 0.9),
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
    "units": N_("units"),
    "filters": N_("filters"),
    "kernel_size": N_("kernel size"),
    "strides": N_("strides"),
    "pool_size": N_("pool size"),
    "rate": N_("the dropout rate"),
}


def _show_number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def check_limit(name: str, value: float, where: dict[str, Any] | None = None) -> None:
    """SpecError unless LIMITS[name] holds `value`; `where` names the layer ({"index": 2, "layer": "Dense"})."""
    low, high = LIMITS[name]
    if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        numbers = {"setting": Message(SETTING_TITLES[name]), "low": _show_number(low), "high": _show_number(high),
                   "value": _show_number(value)}
        if where and value < low:
            raise SpecError("layer_setting_low", N_("Layer {index} ({layer}): {setting} must be at least {low}, "
                                                    "got {value}."), **where, **numbers)
        if where:
            raise SpecError("layer_setting_high", N_("Layer {index} ({layer}): {setting} must be at most {high}, "
                                                     "got {value}."), **where, **numbers)
        raise SpecError("setting_range", N_("{setting} must be between {low} and {high}, got {value}."), **numbers)


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer. Only the fields its kind uses are kept."""

    kind: str
    units: int = 0
    filters: int = 0
    kernel_size: int = 0
    strides: int = 0
    padding: str = ""
    activation: str = ""
    pool_size: int = 0
    rate: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in LAYER_KINDS:
            raise SpecError("layer_kind", N_("Unknown layer kind {kind}; choose one of {choices}."),
                            kind=repr(self.kind), choices=", ".join(LAYER_KINDS))

    @property
    def title(self) -> str:
        return LAYER_TITLES[self.kind]

    def describe(self) -> str:
        """Short human description, e.g. 'Dense 512 tanh' or 'Conv2D 6 3×3 tanh'."""
        if self.kind == "dense":
            return f"Dense {self.units} {self.activation}"
        if self.kind == "conv2d":
            extra = "" if self.strides == 1 else f" stride {self.strides}"
            extra += "" if self.padding == "valid" else f" {self.padding}"
            return f"Conv2D {self.filters} {self.kernel_size}×{self.kernel_size}{extra} {self.activation}"
        if self.kind == "maxpool2d":
            return f"MaxPooling2D {self.pool_size}"
        if self.kind == "dropout":
            return f"Dropout {self.rate:g}"
        return self.title

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **{name: getattr(self, name) for name in LAYER_FIELDS[self.kind]}}


def dense(units: int, activation: str = "relu") -> LayerSpec:
    return LayerSpec("dense", units=units, activation=activation)


def conv2d(
    filters: int, kernel_size: int = 3, activation: str = "relu", strides: int = 1, padding: str = "valid"
) -> LayerSpec:
    return LayerSpec(
        "conv2d", filters=filters, kernel_size=kernel_size, strides=strides, padding=padding, activation=activation
    )


def maxpool2d(pool_size: int = 2) -> LayerSpec:
    return LayerSpec("maxpool2d", pool_size=pool_size)


def dropout(rate: float) -> LayerSpec:
    return LayerSpec("dropout", rate=rate)


def flatten() -> LayerSpec:
    return LayerSpec("flatten")


def batchnorm() -> LayerSpec:
    return LayerSpec("batchnorm")


_LAYER_DEFAULTS = {
    "dense": dense(128),
    "conv2d": conv2d(32),
    "maxpool2d": maxpool2d(),
    "dropout": dropout(0.2),
    "flatten": flatten(),
    "batchnorm": batchnorm(),
}


def default_layer(kind: str) -> LayerSpec:
    """The layer the builder adds when the user picks a kind."""
    if kind not in _LAYER_DEFAULTS:
        raise SpecError("layer_kind", N_("Unknown layer kind {kind}; choose one of {choices}."),
                        kind=repr(kind), choices=", ".join(LAYER_KINDS))
    return _LAYER_DEFAULTS[kind]


def layer_from_dict(data: Any) -> LayerSpec:
    if not isinstance(data, dict) or "kind" not in data:
        raise SpecError("layer_not_object", N_("A layer must be an object with a 'kind', got {value}."),
                        value=repr(data))
    kind = data["kind"]
    if not isinstance(kind, str) or kind not in LAYER_FIELDS:
        raise SpecError("layer_kind", N_("Unknown layer kind {kind}; choose one of {choices}."),
                        kind=repr(kind), choices=", ".join(LAYER_KINDS))
    base = _LAYER_DEFAULTS[kind]
    unknown = set(data) - {"kind", *LAYER_FIELDS[kind]}
    if unknown:
        raise SpecError("layer_setting_unknown", N_("A {layer} layer has no setting {names}."),
                        layer=LAYER_TITLES[kind], names=", ".join(sorted(unknown)))
    values = {}
    for name in LAYER_FIELDS[kind]:
        default = getattr(base, name)
        value = data.get(name, default)
        values[name] = _coerce(value, type(default), f"{LAYER_TITLES[kind]} {name}")
    return LayerSpec(kind, **values)


def _coerce(value: Any, kind: type, what: str) -> Any:
    """Accept JSON numbers and strings for the field's type, refusing anything else."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise SpecError("not_bool", N_("{what} must be true or false, got {value}."), what=what, value=repr(value))
    if kind is int:
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
            raise SpecError("not_int", N_("{what} must be a whole number, got {value}."), what=what,
                            value=repr(value))
        return int(value)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SpecError("not_number", N_("{what} must be a number, got {value}."), what=what, value=repr(value))
        return float(value)
    if not isinstance(value, str):
        raise SpecError("not_text", N_("{what} must be text, got {value}."), what=what, value=repr(value))
    return value


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
        rows = layer_table(self)  # raises SpecError on an impossible architecture
        from mnistlab.model.budget import check_training_memory  # it reads specs: imported here, not at the top

        check_training_memory(self, rows)
        params = sum(row.params for row in rows)
        if params > MAX_PARAMS:  # what the app trains, it must also be able to load again (modelfile)
            raise SpecError("too_many_params", N_("This model has {params:,} parameters; this server shared by "
                                                  "the class trains at most {most:,}. Use fewer units or filters, "
                                                  "or pool before a large Dense layer."),
                            params=params, most=MAX_PARAMS)

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
            values[name] = _coerce(data[name], type(f.default), name)
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


def layer_table(spec: ModelSpec) -> list[LayerRow]:
    """Output shape and parameter count after every layer, output layer last.

    Raises SpecError naming the layer when the architecture is impossible.
    """
    shape: Shape = INPUT_SHAPE
    rows = []
    for index, layer in enumerate(spec.layers, start=1):
        shape, params = _apply(layer, shape, {"index": index, "layer": layer.title})
        rows.append(LayerRow(index, layer.describe(), shape, params))
    if len(shape) != 1:
        raise SpecError("output_not_flat", N_("The output layer needs a flat input but gets {shape} images: "
                                              "add a Flatten layer at the end."), shape=_show(shape))
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


def _show(shape: Shape) -> str:
    return "×".join(str(n) for n in shape)


def _apply(layer: LayerSpec, shape: Shape, where: dict[str, Any]) -> tuple[Shape, int]:
    spatial = len(shape) == 3
    if layer.kind == "dense":
        check_limit("units", layer.units, where)
        _check_activation(layer, where)
        if spatial:
            raise SpecError("dense_needs_flat", N_("Layer {index} ({layer}): its input is {shape} images; "
                                                   "add a Flatten layer before it."), **where, shape=_show(shape))
        return (layer.units,), shape[0] * layer.units + layer.units
    if layer.kind == "conv2d":
        if not spatial:
            raise SpecError("conv_needs_images", N_("Layer {index} ({layer}): Conv2D needs images but its input "
                                                    "is already flat; it cannot come after Flatten or Dense."),
                            **where)
        for name in ("filters", "kernel_size", "strides"):
            check_limit(name, getattr(layer, name), where)
        if layer.padding not in PADDINGS:
            raise SpecError("padding_unknown", N_("Layer {index} ({layer}): padding must be 'valid' or 'same', "
                                                  "got {value}."), **where, value=repr(layer.padding))
        _check_activation(layer, where)
        height, width, channels = shape
        if layer.padding == "same":
            out_h, out_w = math.ceil(height / layer.strides), math.ceil(width / layer.strides)
        else:
            out_h = (height - layer.kernel_size) // layer.strides + 1
            out_w = (width - layer.kernel_size) // layer.strides + 1
        if out_h < 1 or out_w < 1:
            raise SpecError("kernel_too_big", N_("Layer {index} ({layer}): a {size}×{size} kernel does not fit its "
                                                 "{shape} input; use a smaller kernel or 'same' padding."),
                            **where, size=layer.kernel_size, shape=_show(shape))
        params = layer.kernel_size * layer.kernel_size * channels * layer.filters + layer.filters
        return (out_h, out_w, layer.filters), params
    if layer.kind == "maxpool2d":
        if not spatial:
            raise SpecError("pool_needs_images", N_("Layer {index} ({layer}): pooling needs images but its input "
                                                    "is already flat."), **where)
        check_limit("pool_size", layer.pool_size, where)
        height, width, channels = shape
        out_h, out_w = height // layer.pool_size, width // layer.pool_size
        if out_h < 1 or out_w < 1:
            raise SpecError("pool_too_big", N_("Layer {index} ({layer}): pooling {shape} by {size} would leave "
                                               "less than 1×1; remove a pooling layer or use a smaller pool size."),
                            **where, shape=_show(shape), size=layer.pool_size)
        return (out_h, out_w, channels), 0
    if layer.kind == "dropout":
        check_limit("rate", layer.rate, where)
        return shape, 0
    if layer.kind == "flatten":
        return (math.prod(shape),), 0
    # batchnorm: gamma, beta, moving mean and moving variance per channel
    return shape, 4 * shape[-1]


def _check_activation(layer: LayerSpec, where: dict[str, Any]) -> None:
    if layer.activation not in ACTIVATIONS:
        raise SpecError("activation_unknown", N_("Layer {index} ({layer}): unknown activation {name}; "
                                                 "choose one of {choices}."),
                        **where, name=repr(layer.activation), choices=", ".join(ACTIVATIONS))
