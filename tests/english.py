"""Finding English left on a page that should speak Chinese: every text an AppTest page shows
(markdown, labels, help, options, captions, alerts, table headers, chart titles and axes)."""

from __future__ import annotations

import json
import re

from google.protobuf.json_format import MessageToDict

# Words that stay as they are in Chinese tutorials: Keras names, datasets, abbreviations, units.
ALLOWED = {
    "keras", "tensorflow", "mnist", "fashion", "mnistlab", "dense", "conv2d", "maxpooling2d", "dropout",
    "flatten", "batchnormalization", "sequential", "relu", "tanh", "sigmoid", "elu", "selu", "gelu",
    "linear", "softmax", "sgd", "adam", "rmsprop", "adagrad", "adadelta", "nesterov", "momentum",
    "same", "valid", "cnn", "mlp", "lenet", "pca", "sne", "smoothgrad", "keras.io", "mnist_convnet",
    "png", "npz", "csv", "idx", "gzip", "zip", "json", "sqlite", "postgresql", "url", "streamlit",
    "dask", "python", "sample", "auto", "github", "api", "inversetimedecay", "categorical_crossentropy",
    "crossentropy", "english", "one", "hot", "kernel", "bias", "activation", "dot", "input", "output", "units",
    "filters", "model", "fit", "compile", "max", "min", "exp", "conv", "maxpooling", "nan", "spec", "decay",
    "epoch", "epochs", "batch", "batch_size", "validation_split", "learning_rate",
    "float", "bfloat", "mixed",  # float32 and mixed_bfloat16: Keras dtype policies, as Keras names them
}


def _strings(value, keys):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "spec" and isinstance(item, str):  # a plotly figure
                yield from _figure_texts(json.loads(item))
            elif key in keys:
                yield from _flatten(item)
            else:
                yield from _strings(item, keys)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, keys)


def _flatten(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)


def _figure_texts(figure):
    def walk(node, key=""):
        if isinstance(node, dict):
            # an annotation's name is an id, not shown
            shown = {"text", "title"} if key == "annotations" else {"text", "title", "name"}
            for k, v in node.items():
                if k in shown and isinstance(v, str):
                    yield v
                elif k not in {"template", "hovertemplate", "customdata", "colorscale", "x", "y", "z", "font"}:
                    yield from walk(v, k)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, key)

    yield from walk(figure)


TEXT_KEYS = {"body", "label", "help", "placeholder", "options", "caption", "text", "title", "ariaLabel", "value"}


def page_texts(at) -> list[str]:
    texts = []

    def visit(node):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            kind = type(node).__name__
            if kind in {"Dataframe", "Table"}:
                try:
                    frame = node.value
                    texts.extend(str(c) for c in frame.columns)
                    texts.extend(str(v) for v in frame.select_dtypes("object").to_numpy().ravel())
                except Exception:
                    pass
            elif proto.DESCRIPTOR.name == "Html":  # what a reader sees of HTML: its text and its tooltips
                body = re.sub(r"<style>.*?</style>", "", MessageToDict(proto).get("body", ""), flags=re.S)  # unseen
                texts.extend(re.findall(r'title="([^"]*)"', body))
                texts.extend(t for t in re.split(r"<[^>]*>", body) if t.strip())
            elif kind not in {"TextInput", "TextArea", "Code", "Json"}:  # user text, code
                texts.extend(_strings(MessageToDict(proto), TEXT_KEYS))
            elif kind in {"TextInput", "TextArea"}:
                texts.extend(_strings(MessageToDict(proto), TEXT_KEYS - {"value"}))
        children = getattr(node, "children", None)
        for child in children.values() if isinstance(children, dict) else []:
            visit(child)

    visit(at._tree)
    return texts


_CODE = re.compile(r"data:image/\S+|`[^`]*`|https?://\S+|:material/[a-z_]+:|:[a-z]+(?:-background|-badge)?\[|\$[^$]*\$|\*\*|[A-Za-z0-9_.-]+\.(?:py|keras|h5|npz|csv|png)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]{2,}")


# Settings the protos carry that no one reads: a label's visibility.
_NOT_SHOWN = {"COLLAPSED", "HIDDEN", "VISIBLE"}


def english_words(text: str, allowed=frozenset()) -> list[str]:
    """ASCII words of three letters or more that are not Keras names, code or allowed here."""
    if text in _NOT_SHOWN:
        return []
    text = _CODE.sub(" ", text)
    return [w for w in _WORD.findall(text) if w.lower() not in ALLOWED and w.lower() not in allowed]


def english_left(at, allowed=()) -> list[str]:
    """The texts of the page that still hold English words (empty: the page speaks Chinese)."""
    allowed = frozenset(a.lower() for a in allowed)
    return [t for t in page_texts(at) if english_words(t, allowed)]
