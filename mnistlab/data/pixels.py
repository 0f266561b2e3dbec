"""Pixels: MNIST's uint8 gray levels 0..255 and the float 0..1 most models read — the one place where
one scale becomes the other.

Data stays uint8 in memory and is scaled per batch with `to_unit`, which multiplies by 1/255 in
float32 exactly as `keras.layers.Rescaling(1 / 255)` does: a batch scaled here is bit for bit the
batch a model with that layer first makes for itself. `to_unit` takes no other name from this
module, so the exported script copies its source (`inspect.getsource`) and scales as the app does.
No other module of mnistlab multiplies or divides by 255 (a test checks).
"""

from __future__ import annotations

import numpy as np

IMAGE_SHAPE = (28, 28)  # one image as the data holds it
IMAGE_SHAPES = (IMAGE_SHAPE, (28, 28, 1), (784,))  # the shapes one image may come in, in a file or to a model
PIXEL_MAX = 255  # full ink (white on MNIST's black); uint8's largest value
SCALE = 1 / PIXEL_MAX  # the Rescaling factor from gray levels to [0, 1]


def to_unit(images):
    """uint8 gray levels 0..255 as float32 in [0, 1] (× 1/255 in float32, as Keras's Rescaling(1 / 255))."""
    return np.asarray(images).astype("float32") * np.float32(1 / 255)


def as_unit(images: np.ndarray) -> np.ndarray:
    """float32 in [0, 1] from uint8 0..255 images or from float images taken as already in [0, 1]."""
    images = np.asarray(images)
    return to_unit(images) if images.dtype == np.uint8 else images.astype(np.float32)


def gray_levels_to_unit(values: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """Values of any number type on the 0..255 scale (a float image in gray levels) in [0, 1], as `dtype`."""
    return np.asarray(values).astype(dtype) / dtype(PIXEL_MAX)


def unit_to_gray_levels(values: np.ndarray) -> np.ndarray:
    """[0, 1] values on the 0..255 scale, as floats (unrounded): what a model that scales its own input reads."""
    return np.asarray(values, dtype=np.float32) * np.float32(PIXEL_MAX)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """uint8 gray levels: uint8 images unchanged, float images taken as [0, 1], clipped and rounded to the
    nearest level (halves to even) — to show, to store, or to turn a scaled float file back into levels."""
    a = np.asarray(images)
    if a.dtype == np.uint8:
        return a
    unit = a if a.dtype.kind == "f" else a.astype(np.float32)
    return np.rint(np.clip(unit, 0.0, 1.0) * PIXEL_MAX).astype(np.uint8)
