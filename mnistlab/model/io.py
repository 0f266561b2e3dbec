"""What a model reads and how it travels: its input convention, images prepared for it, its `.keras` bytes.

A model made elsewhere may read one 28×28 image as (28, 28, 1), (28, 28) or (784,) values, and
on one of two scales: [0, 1], as the tutorials scale the data before training, or the raw gray
levels 0..255 when the model starts with its own `keras.layers.Rescaling(1 / 255)`, as Keras's
image tutorials write it. `input_convention` reads both from the model; `model_inputs` turns the
app's uint8 (or float [0, 1]) images into exactly what that model reads. Every page that runs a
model (Evaluate, Draw, Inside) goes through here, so a model is fed the same way everywhere.

TensorFlow is imported only inside the functions that need it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnistlab.data.pixels import IMAGE_SHAPES, PIXEL_MAX, as_unit, unit_to_gray_levels
from mnistlab.errors import ModelFileError
from mnistlab.i18n import N_
from mnistlab.model.spec import INPUT_SHAPE

ACCEPTED_INPUTS = IMAGE_SHAPES  # one 28×28 gray image: (28, 28), (28, 28, 1) or (784,)
# A first Rescaling whose factor takes 255 to less than this reads gray levels: 1/255 → [0, 1],
# 1/127.5 with offset −1 → [−1, 1]. One that scales [0, 1] input (by 2, say) is far above it.
GRAY_LEVEL_RESCALING = 10 / PIXEL_MAX
# Layers that come before a model's Rescaling without changing the values it sees at inference.
_TRANSPARENT = frozenset({"InputLayer", "Reshape", "Flatten", "Permute", "Dropout", "SpatialDropout2D",
                          "GaussianNoise", "GaussianDropout"})


@dataclass(frozen=True)
class InputConvention:
    """How a model reads one image: its shape (without the batch axis) and its scale."""

    shape: tuple[int, ...] = INPUT_SHAPE
    gray_levels: bool = False  # True: the model rescales its input itself and reads 0..255, not [0, 1]

    @property
    def unit(self) -> float:
        """The model's input units per [0, 1] unit: 255 when it reads gray levels, else 1."""
        return float(PIXEL_MAX) if self.gray_levels else 1.0


def accepted_shape(shape: tuple, name: str | None = None) -> tuple[int, ...]:
    """`shape` if it is one of ACCEPTED_INPUTS, else a ModelFileError (naming the file when `name` is given)."""
    if shape not in ACCEPTED_INPUTS:
        if name is not None:
            raise ModelFileError(
                "input_shape", N_("{name}: the model takes input of shape {shape}, but MNIST images are 28×28 "
                                  "(accepted: (28, 28, 1), (28, 28) or (784,))."), name=name, shape=str(shape))
        raise ModelFileError(
            "input_shape",
            N_("This model takes inputs of shape {shape}; mnistlab needs a model that reads one 28×28 gray image: "
               "(28, 28, 1), (28, 28) or (784,)."),
            shape=str(shape),
        )
    return tuple(int(d) for d in shape)


def _flat(layers: list[Any]) -> list[Any]:
    """The layers in order, a model inside the model replaced by its own layers."""
    out = []
    for layer in layers:
        inner = getattr(layer, "layers", None)
        out.extend(_flat(list(inner)) if isinstance(inner, list) and not hasattr(layer, "scale") else [layer])
    return out


def _reads_gray_levels(layers: list[Any]) -> bool:
    """Whether the first layer that touches the values is a Rescaling that expects 0..255 (nested models,
    and augmentation layers, which do nothing at inference, are looked through)."""
    for layer in _flat(layers):
        kind = type(layer).__name__
        if kind in _TRANSPARENT or kind.startswith("Random"):
            continue
        if kind == "Rescaling":
            scale = np.abs(np.asarray(layer.scale, dtype=np.float64))
            return bool(scale.size) and float(scale.max()) < GRAY_LEVEL_RESCALING
        return False
    return False


def input_convention(model: Any) -> InputConvention:
    """The model's input shape (one of ACCEPTED_INPUTS, else ModelFileError) and scale. A model with no
    symbolic input to read (subclassed) is taken to read what the builder's models read."""
    try:
        shape = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError, ValueError):
        return InputConvention()
    return InputConvention(accepted_shape(shape), _reads_gray_levels(list(getattr(model, "layers", []))))


def model_inputs(images: np.ndarray, convention: InputConvention) -> np.ndarray:
    """uint8 images 0..255 (or float images in [0, 1]), 784 pixels each, as float32 (N, *shape) on the
    model's own scale. Call it per batch: a whole data set is never held as float32."""
    images = np.asarray(images)
    if convention.gray_levels:
        batch = images.astype(np.float32) if images.dtype == np.uint8 else unit_to_gray_levels(images)
    else:
        batch = as_unit(images)
    return batch.reshape((len(batch), *convention.shape))


def model_to_bytes(model: Any) -> bytes:
    """A model as the bytes of its `.keras` file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(data: bytes) -> Any:
    """A model from the bytes of a `.keras` file, with Keras's `safe_mode` (no Python code runs). It checks
    nothing else: a file from outside goes through `mnistlab.model.files.load_model_bytes`."""
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        return keras.saving.load_model(path, compile=False, safe_mode=True)
