"""Models from outside: a `.keras` file uploaded by a student or read from the store.

Loaded with Keras's `safe_mode=True`, and refused with a message before that when the
file is not a Keras archive, carries code (Lambda layers run arbitrary Python), or does
not take 28×28 images and give 10 scores.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from mnistlab.errors import ModelFileError

MAX_MODEL_BYTES = 64 * 1024 * 1024
ACCEPTED_INPUTS = ((28, 28, 1), (28, 28), (784,))
CODE_LAYERS = {"Lambda", "TFOpLambda", "SlicingOpLambda"}


def _layer_classes(config: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(config, dict):
        if isinstance(config.get("class_name"), str):
            found.add(config["class_name"])
        for value in config.values():
            found |= _layer_classes(value)
    elif isinstance(config, list):
        for value in config:
            found |= _layer_classes(value)
    return found


def check_archive(data: bytes, name: str, trusted: bool = False) -> None:
    """Everything that can be checked without TensorFlow. `trusted`: the app's own file, of any size."""
    if not trusted and len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(f"{name}: {len(data) / 1e6:.0f} MB is too big (at most {MAX_MODEL_BYTES // 2**20} MB).")
    if not data.startswith(b"PK"):
        raise ModelFileError(f"{name}: not a Keras model file (a .keras file is a zip archive).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = json.loads(archive.read("config.json"))
    except KeyError:
        raise ModelFileError(f"{name}: a zip file, but not a Keras model (no config.json inside).") from None
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ModelFileError(f"{name}: the Keras archive is damaged ({exc}).") from None
    code = _layer_classes(config) & CODE_LAYERS
    if code:
        raise ModelFileError(
            f"{name}: contains a {', '.join(sorted(code))} layer, i.e. Python code that would run on this "
            "server. For safety such models are refused; rebuild it from standard layers."
        )


def check_shapes(model: Any, name: str) -> None:
    input_shape = tuple(getattr(model, "input_shape", ()) or ())[1:]
    output_shape = tuple(getattr(model, "output_shape", ()) or ())[1:]
    if input_shape not in ACCEPTED_INPUTS:
        raise ModelFileError(
            f"{name}: the model takes input of shape {input_shape}, but MNIST images are 28×28 "
            "(accepted: (28, 28, 1), (28, 28) or (784,))."
        )
    if output_shape != (10,):
        raise ModelFileError(f"{name}: the model gives output of shape {output_shape}, not 10 class scores.")


def load_model_bytes(data: bytes, name: str = "model.keras", *, trusted: bool = False) -> Any:
    """A Keras model from the bytes of a `.keras` file, or ModelFileError saying why not.
    `trusted`: a file the app made itself (a stored run), so the upload size limit does not apply."""
    check_archive(data, name, trusted=trusted)
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.keras"
        path.write_bytes(data)
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as exc:  # Keras raises many kinds for a bad archive; all mean "unusable"
            raise ModelFileError(f"{name}: Keras cannot load this model ({type(exc).__name__}: {exc}).") from None
    check_shapes(model, name)
    return model
