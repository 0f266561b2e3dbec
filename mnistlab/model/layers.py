"""One table of layer kinds, and the LayerSpec value it describes: what differs between kinds lives here.

(Over 300 lines on purpose: the whole table in one module is the point, issue 15.)

Every part that handles layers reads `KINDS`, as Keras's layer registry or scikit-learn's
`_parameter_constraints` are read: the spec (fields, defaults, limits, output shape and parameters),
build.py (the Keras layer), script.py (the exported script's line, from the same Keras call), budget.py
(which weights train, what to shrink), the sidebar builder (which widgets) and Inside (how to draw the
layer's output). Adding a kind is one entry in `_KINDS` (and, for a setting no kind had, one LayerSpec field;
a test checks every field has one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mnistlab.errors import SpecError
from mnistlab.i18n import N_, Message

Shape = tuple[int, ...]
Where = dict[str, Any]  # names the layer in messages: {"index": 2, "layer": "Dense"}

ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "selu", "gelu", "linear")
PADDINGS = ("valid", "same")


@dataclass(frozen=True)
class Field:
    """One setting of a layer kind: its default (whose type is the setting's), its bounds or choices,
    how messages name it and how the builder's widget shows it."""

    name: str
    default: Any
    label: str  # the builder widget's label (marked for the catalogs)
    title: str = ""  # how a message names it ("units", "the dropout rate"); numbers only
    limits: tuple[Any, Any] | None = None  # (low, high), of the default's type: widgets take them as min/max
    choices: tuple[str, ...] = ()
    refusal: Callable[[Any, Where], SpecError] | None = None  # the error for a value not among the choices
    step: float | None = None  # the widget's step; None: Streamlit's (1 for whole numbers)
    format: str | None = None


@dataclass(frozen=True)
class LayerKind:
    """Everything mnistlab knows about one kind of hidden layer."""

    name: str  # the key in specs and JSON: "conv2d"
    title: str  # Keras's class name, shown everywhere: "Conv2D"
    fields: tuple[Field, ...]
    output: Callable[[Any, Shape, Where], tuple[Shape, int]]  # (layer, input shape) → output shape, parameters
    describe: Callable[[Any], str]  # a summary row's name: "Conv2D 6 3×3 tanh"
    keras_args: Callable[[Any], tuple[tuple, dict[str, Any]]] = lambda layer: ((), {})  # keras.layers.<title>(...)
    trainable: Callable[[int], int] = lambda params: params  # of its parameters, those with a gradient
    makes_activations: bool = True  # False: it only passes its input's size on (memory advice looks past it)
    weights_of: str = "units"  # what to have fewer of to shrink its weights: "units" or "filters"
    inside: str = "other"  # how Inside draws its output: "conv2d", "pooling", "dense", "flatten", ...
    defaults: dict[str, Any] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "defaults", {f.name: f.default for f in self.fields})


# --- value checks shared by layers and training settings ------------------------------------------------------

def show_number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def show_shape(shape: Shape) -> str:
    return "×".join(str(n) for n in shape)


def check_range(title: str, limits: tuple[Any, Any], value: float, where: Where | None = None) -> None:
    """SpecError unless low ≤ value ≤ high; `title` names the setting, `where` the layer."""
    low, high = limits
    if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        numbers = {"setting": Message(title), "low": show_number(low), "high": show_number(high),
                   "value": show_number(value)}
        if where and value < low:
            raise SpecError("layer_setting_low", N_("Layer {index} ({layer}): {setting} must be at least {low}, "
                                                    "got {value}."), **where, **numbers)
        if where:
            raise SpecError("layer_setting_high", N_("Layer {index} ({layer}): {setting} must be at most {high}, "
                                                     "got {value}."), **where, **numbers)
        raise SpecError("setting_range", N_("{setting} must be between {low} and {high}, got {value}."), **numbers)


def check_field(setting: Field, value: Any, where: Where) -> None:
    if setting.limits is not None:
        check_range(setting.title, setting.limits, value, where)
    elif setting.choices and value not in setting.choices and setting.refusal is not None:
        raise setting.refusal(value, where)


def coerce(value: Any, kind: type, what: str) -> Any:
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


# --- the fields -------------------------------------------------------------------------------------------------

def _unknown_activation(value: Any, where: Where) -> SpecError:
    return SpecError("activation_unknown", N_("Layer {index} ({layer}): unknown activation {name}; "
                                              "choose one of {choices}."),
                     **where, name=repr(value), choices=", ".join(ACTIVATIONS))


def _unknown_padding(value: Any, where: Where) -> SpecError:
    return SpecError("padding_unknown", N_("Layer {index} ({layer}): padding must be 'valid' or 'same', "
                                           "got {value}."), **where, value=repr(value))


def _activation(default: str) -> Field:
    return Field("activation", default, N_("Activation"), choices=ACTIVATIONS, refusal=_unknown_activation)


UNITS = Field("units", 128, N_("Units"), N_("units"), (1, 16_384), step=16)
FILTERS = Field("filters", 32, N_("Filters"), N_("filters"), (1, 1_024), step=8)
KERNEL_SIZE = Field("kernel_size", 3, N_("Kernel size"), N_("kernel size"), (1, 28))
STRIDES = Field("strides", 1, N_("Strides"), N_("strides"), (1, 4))
PADDING = Field("padding", "valid", N_("Padding"), choices=PADDINGS, refusal=_unknown_padding)
POOL_SIZE = Field("pool_size", 2, N_("Pool size"), N_("pool size"), (1, 8))
RATE = Field("rate", 0.2, N_("Rate (fraction of inputs dropped while training)"), N_("the dropout rate"), (0.0, 0.9),
             step=0.05, format="%g")


# --- output shape and parameters, per kind (the field values are already checked) --------------------------------

def _dense(layer: LayerSpec, shape: Shape, where: Where) -> tuple[Shape, int]:
    if len(shape) != 1:
        raise SpecError("dense_needs_flat", N_("Layer {index} ({layer}): its input is {shape} images; "
                                               "add a Flatten layer before it."), **where, shape=show_shape(shape))
    return (layer.units,), shape[0] * layer.units + layer.units


def _conv2d(layer: LayerSpec, shape: Shape, where: Where) -> tuple[Shape, int]:
    if len(shape) != 3:
        raise SpecError("conv_needs_images", N_("Layer {index} ({layer}): Conv2D needs images but its input is "
                                                "already flat; it cannot come after Flatten or Dense."), **where)
    height, width, channels = shape
    if layer.padding == "same":
        out_h, out_w = math.ceil(height / layer.strides), math.ceil(width / layer.strides)
    else:
        out_h = (height - layer.kernel_size) // layer.strides + 1
        out_w = (width - layer.kernel_size) // layer.strides + 1
    if out_h < 1 or out_w < 1:
        raise SpecError("kernel_too_big", N_("Layer {index} ({layer}): a {size}×{size} kernel does not fit its "
                                             "{shape} input; use a smaller kernel or 'same' padding."),
                        **where, size=layer.kernel_size, shape=show_shape(shape))
    params = layer.kernel_size * layer.kernel_size * channels * layer.filters + layer.filters
    return (out_h, out_w, layer.filters), params


def _maxpool2d(layer: LayerSpec, shape: Shape, where: Where) -> tuple[Shape, int]:
    if len(shape) != 3:
        raise SpecError("pool_needs_images", N_("Layer {index} ({layer}): pooling needs images but its input is "
                                                "already flat."), **where)
    height, width, channels = shape
    out_h, out_w = height // layer.pool_size, width // layer.pool_size
    if out_h < 1 or out_w < 1:
        raise SpecError("pool_too_big", N_("Layer {index} ({layer}): pooling {shape} by {size} would leave "
                                           "less than 1×1; remove a pooling layer or use a smaller pool size."),
                        **where, shape=show_shape(shape), size=layer.pool_size)
    return (out_h, out_w, channels), 0


def _conv2d_name(layer: LayerSpec) -> str:
    extra = "" if layer.strides == 1 else f" stride {layer.strides}"
    extra += "" if layer.padding == "valid" else f" {layer.padding}"
    return f"Conv2D {layer.filters} {layer.kernel_size}×{layer.kernel_size}{extra} {layer.activation}"


def _conv2d_args(layer: LayerSpec) -> tuple[tuple, dict[str, Any]]:
    """Keras's defaults (strides 1, 'valid' padding) are left out, so the script says only what differs."""
    options: dict[str, Any] = {"kernel_size": (layer.kernel_size, layer.kernel_size)}
    if layer.strides != 1:
        options["strides"] = layer.strides
    if layer.padding != "valid":
        options["padding"] = layer.padding
    return (layer.filters,), {**options, "activation": layer.activation}


_KINDS = (
    LayerKind("dense", "Dense", (UNITS, _activation("relu")), _dense,
              describe=lambda layer: f"Dense {layer.units} {layer.activation}",
              keras_args=lambda layer: ((layer.units,), {"activation": layer.activation}), inside="dense"),
    LayerKind("conv2d", "Conv2D", (FILTERS, KERNEL_SIZE, STRIDES, PADDING, _activation("relu")), _conv2d,
              describe=_conv2d_name, keras_args=_conv2d_args, weights_of="filters", inside="conv2d"),
    LayerKind("maxpool2d", "MaxPooling2D", (POOL_SIZE,), _maxpool2d,
              describe=lambda layer: f"MaxPooling2D {layer.pool_size}",
              keras_args=lambda layer: ((), {"pool_size": (layer.pool_size, layer.pool_size)}), inside="pooling"),
    LayerKind("dropout", "Dropout", (RATE,), lambda layer, shape, where: (shape, 0),
              describe=lambda layer: f"Dropout {layer.rate:g}", keras_args=lambda layer: ((layer.rate,), {}),
              makes_activations=False, inside="dropout"),
    LayerKind("flatten", "Flatten", (), lambda layer, shape, where: ((math.prod(shape),), 0),
              describe=lambda layer: "Flatten", makes_activations=False, inside="flatten"),
    # gamma, beta, moving mean and moving variance per channel; the moving two have no gradient
    LayerKind("batchnorm", "BatchNormalization", (), lambda layer, shape, where: (shape, 4 * shape[-1]),
              describe=lambda layer: "BatchNormalization", trainable=lambda params: params // 2,
              makes_activations=False, inside="batchnorm"),
)
KINDS: dict[str, LayerKind] = {kind.name: kind for kind in _KINDS}
LAYER_KINDS = tuple(KINDS)
LAYER_TITLES = {name: kind.title for name, kind in KINDS.items()}
LAYER_FIELDS = {name: tuple(f.name for f in kind.fields) for name, kind in KINDS.items()}
# every numeric layer setting's bounds, by name (a name two kinds share has one meaning)
FIELD_LIMITS = {f.name: f.limits for kind in _KINDS for f in kind.fields if f.limits is not None}
FIELD_TITLES = {f.name: f.title for kind in _KINDS for f in kind.fields if f.title}


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer. Only the fields its kind uses (layers.KINDS) are kept; the rest stay at these
    defaults, so two specs that describe the same model compare (and hash) equal."""

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
        if self.kind not in KINDS:
            raise _unknown_kind(self.kind)

    @property
    def title(self) -> str:
        return KINDS[self.kind].title

    def describe(self) -> str:
        """Short human description, e.g. 'Dense 512 tanh' or 'Conv2D 6 3×3 tanh'."""
        return KINDS[self.kind].describe(self)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **{name: getattr(self, name) for name in LAYER_FIELDS[self.kind]}}


def _unknown_kind(kind: Any) -> SpecError:
    return SpecError("layer_kind", N_("Unknown layer kind {kind}; choose one of {choices}."),
                     kind=repr(kind), choices=", ".join(LAYER_KINDS))


def dense(units: int, activation: str = "relu") -> LayerSpec:
    return LayerSpec("dense", units=units, activation=activation)


def conv2d(filters: int, kernel_size: int = 3, activation: str = "relu", strides: int = 1,
           padding: str = "valid") -> LayerSpec:
    return LayerSpec("conv2d", filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
                     activation=activation)


def maxpool2d(pool_size: int = 2) -> LayerSpec:
    return LayerSpec("maxpool2d", pool_size=pool_size)


def dropout(rate: float) -> LayerSpec:
    return LayerSpec("dropout", rate=rate)


def flatten() -> LayerSpec:
    return LayerSpec("flatten")


def batchnorm() -> LayerSpec:
    return LayerSpec("batchnorm")


def default_layer(kind: str) -> LayerSpec:
    """The layer the builder adds when the user picks a kind: its table defaults."""
    if kind not in KINDS:
        raise _unknown_kind(kind)
    return LayerSpec(kind, **KINDS[kind].defaults)


def layer_from_dict(data: Any) -> LayerSpec:
    if not isinstance(data, dict) or "kind" not in data:
        raise SpecError("layer_not_object", N_("A layer must be an object with a 'kind', got {value}."),
                        value=repr(data))
    kind = data["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        raise _unknown_kind(kind)
    unknown = set(data) - {"kind", *LAYER_FIELDS[kind]}
    if unknown:
        raise SpecError("layer_setting_unknown", N_("A {layer} layer has no setting {names}."),
                        layer=LAYER_TITLES[kind], names=", ".join(sorted(unknown)))
    values = {f.name: coerce(data.get(f.name, f.default), type(f.default), f"{LAYER_TITLES[kind]} {f.name}")
              for f in KINDS[kind].fields}
    return LayerSpec(kind, **values)


def apply_layer(layer: LayerSpec, shape: Shape, where: dict[str, Any]) -> tuple[Shape, int]:
    """The layer's output shape and parameters for this input; SpecError naming the layer when impossible."""
    kind = KINDS[layer.kind]
    for setting in kind.fields:
        check_field(setting, getattr(layer, setting.name), where)
    return kind.output(layer, shape, where)
