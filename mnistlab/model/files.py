"""Models from outside: a `.keras` file uploaded by a student or read from the store.

(Over 300 lines on purpose: every check on an untrusted archive in one module, read and tested as one.)

A `.keras` file is a zip of `config.json` (the layers), `metadata.json` and
`model.weights.h5`. Before Keras sees one, everything that can cost this shared server
memory or run code is checked from the archive alone, without TensorFlow: the sizes the
zip declares and the bytes it really inflates to; that every layer is one of a list of
plain Keras layers (Lambda layers and custom objects carry Python code); and the model's
size — its parameters estimated from the config (Keras allocates them while building,
before any weight is read) and the values the weights file declares (read from the HDF5
metadata, not the data). Only then is it loaded, with Keras's `safe_mode=True`, and
refused unless it takes 28×28 images and gives 10 scores.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from mnistlab.errors import ModelFileError
from mnistlab.i18n import N_
from mnistlab.model.io import accepted_shape, model_from_bytes
from mnistlab.model.spec import MAX_PARAMS

MAX_MODEL_BYTES = 64 * 1024 * 1024  # an upload; the app's own stored runs are trusted
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # config.json of a 100-layer model is ~200 kB
# The server has ~2.7 GB for a whole class. 25 M float32 parameters are 100 MB of weights,
# which Keras holds about twice while loading: a few such models at once still fit.
MAX_MODEL_PARAMS = MAX_PARAMS
MAX_WEIGHT_VALUES = 4 * MAX_MODEL_PARAMS  # the weights file may add an optimizer's slots (Adam: 2 per weight)
MAX_UNPACKED_BYTES = 8 * MAX_WEIGHT_VALUES + MAX_CONFIG_BYTES  # all members at float64, plus the config
MAX_ACTIVATION_VALUES = 4_000_000  # per image and layer: Conv2D(1024, 'same') on 28×28 is 0.8 M
MAX_CONFIG_DEPTH = 64
MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})
LAYER_CLASSES = frozenset({
    # what the app's builder makes
    "InputLayer", "Dense", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "BatchNormalization", "Rescaling",
    "Reshape", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomFlip",
    # plain layers a student would use
    "Activation", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Softmax", "ReLU",
    "LeakyReLU", "ELU", "PReLU", "SeparableConv2D", "DepthwiseConv2D", "LayerNormalization", "SpatialDropout2D",
    "GaussianNoise", "GaussianDropout", "ZeroPadding2D", "Cropping2D", "Add", "Subtract", "Multiply", "Average",
    "Maximum", "Minimum", "Concatenate", "RandomContrast", "RandomBrightness", "RandomCrop",
    "RandomHeight", "RandomWidth",
})
CODE_CLASSES = frozenset({"Lambda", "TFOpLambda", "SlicingOpLambda", "__lambda__"})
WEIGHTS_FILE = "model.weights.h5"


# ---------------------------------------------------------------- the archive

def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, name: str) -> bytes:
    """A member's bytes, read in chunks and stopped past `limit`: the size a zip declares
    can lie, and 0.4 MB of deflated whitespace inflates to 400 MB."""
    if info.file_size > limit:
        raise ModelFileError("member_too_large", N_("{name}: {member} unpacks to {size_mb:,.0f} MB (at most "
                                                    "{limit_mb:,.0f} MB); refusing it."),
                             name=name, member=info.filename, size_mb=info.file_size / 1e6, limit_mb=limit / 1e6)
    out = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(min(1 << 20, limit + 1 - len(out))):
            out += chunk
            if len(out) > limit:
                raise ModelFileError("member_too_large", N_("{name}: {member} unpacks to more than {limit_mb:,.0f} "
                                                            "MB; refusing it."),
                                     name=name, member=info.filename, limit_mb=limit / 1e6)
    return bytes(out)


def _config(archive: zipfile.ZipFile, name: str) -> dict:
    infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ModelFileError("archive_too_large", N_("{name}: the archive unpacks to {size_mb:,.0f} MB (at most "
                                                     "{limit_mb:,.0f} MB); refusing it."),
                             name=name, size_mb=unpacked / 1e6, limit_mb=MAX_UNPACKED_BYTES / 1e6)
    members = {info.filename: info for info in infos}
    if "config.json" not in members:
        raise ModelFileError("no_config", N_("{name}: a zip file, but not a Keras model (no config.json inside)."),
                             name=name)
    if "metadata.json" in members:  # Keras parses it too
        json.loads(_read_member(archive, members["metadata.json"], MAX_CONFIG_BYTES, name))
    config = json.loads(_read_member(archive, members["config.json"], MAX_CONFIG_BYTES, name))
    if not isinstance(config, dict):
        raise ModelFileError("config_not_model", N_("{name}: config.json does not describe a model."), name=name)
    return config


# ---------------------------------------------------------------- what the config holds

def _objects(config: Any, depth: int = 0) -> Iterator[dict]:
    """Every dict in the config, refusing nesting no real model has (Keras would recurse on it)."""
    if depth > MAX_CONFIG_DEPTH:
        raise ModelFileError("config_too_deep", N_("config.json is nested more than {depth} levels deep"),
                             depth=MAX_CONFIG_DEPTH)
    if isinstance(config, dict):
        yield config
        values = config.values()
    elif isinstance(config, list):
        values = config
    else:
        return
    for value in values:
        yield from _objects(value, depth + 1)


def _check_objects(config: dict, name: str) -> None:
    """No code, no custom objects, only listed layers wherever a layer can hide.

    `class_name` also names initializers, regularizers, optimizers and dtype policies:
    Keras's own are fine. Anything outside the `keras` package, or registered by user code
    (`registered_name` "package>Name"), is refused."""
    for obj in _objects(config):
        cls = obj.get("class_name")
        if not isinstance(cls, str):
            continue
        module, registered = obj.get("module"), obj.get("registered_name")
        if cls in CODE_CLASSES:
            raise ModelFileError(
                "code_layer", N_("{name}: contains a {layer} layer, i.e. Python code that would run on this server. "
                                 "For safety such models are refused; rebuild it from standard layers."),
                name=name, layer=cls)
        if module is not None and not (isinstance(module, str) and (module == "keras" or module.startswith("keras."))):
            raise ModelFileError("foreign_module", N_("{name}: uses {layer} from {module!r}, which is not part of "
                                                      "Keras; only models made of standard Keras layers are accepted."),
                                 name=name, layer=cls, module=module)
        if registered is not None and registered not in (cls, obj.get("config") if cls == "function" else cls):
            raise ModelFileError("custom_object", N_("{name}: uses the custom object {registered!r}, which needs its "
                                                     "own Python code; only models made of standard Keras layers are "
                                                     "accepted."), name=name, registered=registered)
        is_layer = isinstance(module, str) and (".layers" in module or ".models" in module)
        if is_layer and cls not in LAYER_CLASSES | MODEL_CLASSES:
            raise ModelFileError("layer_not_accepted", N_("{name}: the layer {layer} is not one this app accepts. "
                                                          "Accepted: {accepted} (in a {models} model)."),
                                 name=name, layer=cls, **_ACCEPTED)


_ACCEPTED = {"accepted": ", ".join(sorted(LAYER_CLASSES)), "models": ", ".join(sorted(MODEL_CLASSES))}


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
        raise ModelFileError("config_not_size", N_("config.json: {what} is {value}, not a size"), what=what,
                             value=repr(value))
    return value


def _pair(value: Any, what: str) -> tuple[int, int]:
    value = value if isinstance(value, (list, tuple)) else [value, value]
    if len(value) != 2:
        raise ModelFileError("config_not_pair", N_("config.json: {what} is {value}, not a pair"), what=what,
                             value=repr(value))
    return _int(value[0], what), _int(value[1], what)


def _shape(value: Any) -> tuple | None:
    """A shape without its batch dimension, or None for several inputs or none."""
    if isinstance(value, dict) and "value" in value:  # Keras writes tuples as {"class_name": "__tuple__", ...}
        value = value["value"]
    if not isinstance(value, list) or not value or not all(v is None or isinstance(v, int) for v in value):
        return None
    return tuple(None if v is None else _int(v, "a dimension") for v in value[1:])


def _conv_out(size: int | None, kernel: int, stride: int, padding: Any, dilation: int = 1) -> int | None:
    if size is None:
        return None
    if padding == "same":
        return -(-size // max(stride, 1))
    return max((size - dilation * (kernel - 1) - 1) // max(stride, 1) + 1, 0)


def _layer_size(cls: str, cfg: dict, shape: tuple | None, label: str) -> tuple[int, tuple | None]:
    """(parameters, output shape) of one listed layer given its input shape (channels last)."""
    if cls in ("Dense", "Conv2D", "SeparableConv2D", "DepthwiseConv2D", "BatchNormalization",
               "LayerNormalization") and (not shape or shape[-1] is None):
        raise ModelFileError("layer_size_unknown", N_("cannot tell the size of layer {label} from the file (its "
                                                      "input shape is missing)"), label=label)
    bias = bool(cfg.get("use_bias", True))
    if cls == "Dense":
        units = _int(cfg.get("units"), f"{label}'s units")
        return shape[-1] * units + units * bias, shape[:-1] + (units,)
    if cls in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D"):
        if len(shape) != 3 or cfg.get("data_format", "channels_last") != "channels_last":
            raise ModelFileError("layer_size_unknown", N_("cannot tell the size of layer {label} from the file "
                                                          "(input shape {shape})"), label=label, shape=str(shape))
        (kh, kw), (sh, sw) = _pair(cfg.get("kernel_size"), "kernel_size"), _pair(cfg.get("strides", 1), "strides")
        (dh, dw), cin = _pair(cfg.get("dilation_rate", 1), "dilation_rate"), shape[-1]
        depth = _int(cfg.get("depth_multiplier", 1), "depth_multiplier")
        if cls == "Conv2D":
            filters = _int(cfg.get("filters"), f"{label}'s filters")
            params = kh * kw * cin // max(_int(cfg.get("groups", 1), "groups"), 1) * filters + filters * bias
        elif cls == "SeparableConv2D":
            filters = _int(cfg.get("filters"), f"{label}'s filters")
            params = kh * kw * cin * depth + cin * depth * filters + filters * bias
        else:
            filters = cin * depth
            params = kh * kw * filters + filters * bias
        padding = cfg.get("padding", "valid")
        return params, (_conv_out(shape[0], kh, sh, padding, dh), _conv_out(shape[1], kw, sw, padding, dw), filters)
    if cls in ("BatchNormalization", "LayerNormalization"):
        axes = cfg.get("axis", -1)
        axes = axes if isinstance(axes, list) else [axes]
        if not all(isinstance(a, int) and -len(shape) <= a < len(shape) for a in axes):
            raise ModelFileError("config_bad_axis", N_("config.json: {label}'s axis is {axis}"), label=label,
                                 axis=repr(cfg.get("axis")))
        return (4 if cls == "BatchNormalization" else 2) * math.prod(shape[a] or 1 for a in axes), shape
    if shape is None:
        return 0, None
    if cls == "Flatten":
        return 0, (None if None in shape else math.prod(shape),)
    if cls in ("MaxPooling2D", "AveragePooling2D") and len(shape) == 3:
        pool = _pair(cfg.get("pool_size", 2), "pool_size")
        strides = _pair(cfg.get("strides") or pool, "strides")
        padding = cfg.get("padding", "valid")
        return 0, tuple(_conv_out(shape[i], pool[i], strides[i], padding) for i in (0, 1)) + shape[2:]
    if cls in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        return 0, ((1, 1) if cfg.get("keepdims") else ()) + shape[-1:]
    if cls == "Reshape":
        target = cfg.get("target_shape", [])
        return 0, _shape([None, *target]) if isinstance(target, list) and -1 not in target else None
    if cls in ("ZeroPadding2D", "Cropping2D") and len(shape) == 3:
        amount = cfg.get("padding" if cls == "ZeroPadding2D" else "cropping", 1)
        (top, bottom), (left, right) = (_pair(p, cls) for p in (amount if isinstance(amount, list) and
                                                                 isinstance(amount[0], list) else [amount, amount]))
        sign = 1 if cls == "ZeroPadding2D" else -1
        return 0, tuple(None if s is None else max(s + sign * extra, 0)
                        for s, extra in ((shape[0], top + bottom), (shape[1], left + right))) + shape[2:]
    if cls in ("RandomCrop", "RandomHeight", "RandomWidth", "Add", "Subtract", "Multiply", "Average", "Maximum",
               "Minimum", "Concatenate"):
        return 0, None
    return 0, shape  # activations, dropout, noise, rescaling, augmentation: same shape


def model_size(config: dict, name: str = "model.keras") -> int:
    """The parameters Keras will allocate for this model config, refusing layers not
    accepted and activations too big for one image; a nested model counts its layers."""
    try:
        return _model_params(config, None)
    except ModelFileError as exc:
        error = ModelFileError("config_refused", N_("{name}: {problem}."), name=name, problem=exc.message)
        error.code = exc.code  # the problem inside names it
        raise error from None


def _model_params(model: Any, shape: tuple | None) -> int:
    if not isinstance(model, dict) or str(model.get("class_name")) not in MODEL_CLASSES:
        raise ModelFileError("config_top_not_model", N_("config.json describes a {found} at the top, not a model "
                                                        "({models})"),
                             found=str(model.get("class_name")) if isinstance(model, dict) else "",
                             models=_ACCEPTED["models"])
    cfg = model.get("config") if isinstance(model.get("config"), dict) else {}
    layers = cfg.get("layers")
    if not isinstance(layers, list):
        raise ModelFileError("config_no_layers", N_("config.json: the model has no list of layers"))
    sequential = model["class_name"] == "Sequential"
    shape = _shape(cfg.get("build_input_shape")) or shape
    total = 0
    for layer in layers:
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            raise ModelFileError("config_bad_layer", N_("config.json: a layer is not described by a dict"))
        cls, layer_cfg = str(layer.get("class_name")), layer["config"]  # a list is no class name
        label = f"{layer_cfg.get('name', '?')} ({cls})"
        built = _shape((layer.get("build_config") or {}).get("input_shape")
                       if isinstance(layer.get("build_config"), dict) else None)
        given = built or (shape if sequential else None)
        if cls in MODEL_CLASSES:
            total += _model_params(layer, given)
            shape = None
            continue
        if cls not in LAYER_CLASSES:
            raise ModelFileError("layer_not_accepted", N_("the layer {layer} is not one this app accepts. Accepted: "
                                                          "{accepted} (in a {models} model)"), layer=str(cls),
                                 **_ACCEPTED)
        if cls == "InputLayer":
            params, out = 0, _shape(layer_cfg.get("batch_shape") or layer_cfg.get("batch_input_shape"))
        else:
            params, out = _layer_size(cls, layer_cfg, given, label)
        for size in (out, given):
            if size and None not in size and math.prod(size) > MAX_ACTIVATION_VALUES:
                raise ModelFileError("activations_too_large", N_("layer {label} works on {values:,} values per image "
                                                                 "(at most {limit:,}); refusing it"),
                                     label=label, values=math.prod(size), limit=MAX_ACTIVATION_VALUES)
        total += params
        if total > MAX_MODEL_PARAMS:
            break
        shape = out
    return total


# ---------------------------------------------------------------- the weights file

def _weight_values(archive: zipfile.ZipFile, name: str) -> tuple[int, int]:
    """(values of the model's own weights, values of everything) that model.weights.h5
    declares, from the HDF5 metadata: the dataset shapes, not their data."""
    if WEIGHTS_FILE not in archive.namelist():
        return 0, 0
    import h5py  # comes with TensorFlow; imported here so the pages that never load a model stay light

    counts = [0, 0, 0]  # model values, all values, datasets

    def count(path: str, item: Any) -> Any:
        if isinstance(item, h5py.Dataset):
            values = math.prod(item.shape or ()) * max(item.dtype.itemsize // 4, 1)  # float64 counts twice
            counts[0] += 0 if path.startswith("optimizer") else values
            counts[1] += values
            counts[2] += 1
        return True if counts[1] > MAX_WEIGHT_VALUES or counts[2] > 100_000 else None  # stop early

    with archive.open(WEIGHTS_FILE) as stream, h5py.File(stream, "r") as weights:
        weights.visititems(count)
    return counts[0], counts[1]


# What zipfile (BadZipFile, zlib.error, EOFError, NotImplementedError for an unknown compression,
# RuntimeError for encryption), json (ValueError) and h5py (OSError, KeyError) raise for a damaged file.
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, NotImplementedError, RuntimeError)


def check_archive(data: bytes, name: str, *, trusted: bool = False) -> int:
    """Everything that can be checked without TensorFlow; gives the parameter count the
    config declares. `trusted` (the app's own stored runs) lifts only the upload size limit."""
    if len(data) > MAX_MODEL_BYTES and not trusted:
        raise ModelFileError("file_too_large", N_("{name}: {size_mb:.0f} MB is too big (at most {limit_mb} MB)."),
                             name=name, size_mb=len(data) / 1e6, limit_mb=MAX_MODEL_BYTES // 2**20)
    if not data.startswith(b"PK"):
        raise ModelFileError("not_zip", N_("{name}: not a Keras model file (a .keras file is a zip archive)."),
                             name=name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = _config(archive, name)
            _check_objects(config, name)
            params = model_size(config, name)
            if params > MAX_MODEL_PARAMS:
                raise ModelFileError("too_many_params", N_(
                    "{name}: the model declares at least {params:,} parameters; this server shared by the class "
                    "accepts at most {limit:,} parameters ({limit_mb:,.0f} MB of float32 weights). Use fewer or "
                    "smaller layers."), name=name, params=params, **_limits())
            own, everything = _weight_values(archive, name)
    except ModelFileError:
        raise
    except RecursionError:
        raise ModelFileError("config_too_deep", N_("{name}: config.json is nested too deeply to be a Keras model."),
                             name=name) from None
    except DAMAGED as exc:  # not Exception: an error of ours on a strange file must not pass for damage
        raise ModelFileError("archive_damaged", N_("{name}: the Keras archive is damaged ({error})."), name=name,
                             error=f"{type(exc).__name__}: {exc}") from None
    if own > MAX_MODEL_PARAMS or everything > MAX_WEIGHT_VALUES:
        raise ModelFileError("too_many_params", N_(
            "{name}: the model has a weights file declaring {values:,} values; this server shared by the class "
            "accepts at most {limit:,} parameters ({limit_mb:,.0f} MB of float32 weights). Use fewer or smaller "
            "layers."), name=name, values=max(own, everything), **_limits())
    return params


def _limits() -> dict:
    return {"limit": MAX_MODEL_PARAMS, "limit_mb": MAX_MODEL_PARAMS * 4 / 1e6}


def check_shapes(model: Any, name: str) -> None:
    input_shape = tuple(getattr(model, "input_shape", ()) or ())[1:]
    output_shape = tuple(getattr(model, "output_shape", ()) or ())[1:]
    accepted_shape(input_shape, name)
    if output_shape != (10,):
        raise ModelFileError("output_shape", N_("{name}: the model gives output of shape {shape}, not 10 class "
                                                "scores."), name=name, shape=str(output_shape))


def load_model_bytes(data: bytes, name: str = "model.keras", *, trusted: bool = False) -> Any:
    """A Keras model from the bytes of a `.keras` file, or ModelFileError saying why not.
    `trusted=True` is for the app's own stored runs: no upload size limit, every other check."""
    check_archive(data, name, trusted=trusted)
    try:
        model = model_from_bytes(data)
    except Exception as exc:  # Keras raises many kinds for a bad archive; all mean "unusable"
        raise ModelFileError("keras_cannot_load", N_("{name}: Keras cannot load this model ({error})."),
                             name=name, error=f"{type(exc).__name__}: {exc}") from None
    check_shapes(model, name)
    return model
