"""On-the-fly augmentation: each training batch is randomly rotated, zoomed, shifted and,
when strong, drawn with thinner or thicker strokes.

The layers sit in the training graph only (see `mnistlab.engine.train.training_wrapper`) and
are active only while training, so validation, evaluation and prediction see the clean
images, and the model a student saves has no augmentation layers in it. The strengths
are defined here once; the builder, the trainer and the exported script read them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnistlab.i18n import N_, _, tr
from mnistlab.model.spec import INPUT_SHAPE

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Strength:
    """How far each random change may go, either way."""

    rotation_degrees: float
    zoom: float  # fraction of the image size
    shift_pixels: int
    stroke_width: float = 0.0  # 1.0 may move a pixel all the way to its 3×3 max (or min)

    def describe(self) -> str:
        """E.g. '±8° rotation, ±8% zoom, ±2 px shift', in the reader's language."""
        numbers = {"degrees": self.rotation_degrees, "zoom": self.zoom, "pixels": self.shift_pixels}
        if self.stroke_width:
            return _("±{degrees:g}° rotation, ±{zoom:.0%} zoom, ±{pixels} px shift, thinner or thicker strokes",
                     **numbers)
        return _("±{degrees:g}° rotation, ±{zoom:.0%} zoom, ±{pixels} px shift", **numbers)


STRENGTHS: dict[str, Strength] = {
    "light": Strength(rotation_degrees=8, zoom=0.08, shift_pixels=2),
    "strong": Strength(rotation_degrees=15, zoom=0.15, shift_pixels=3, stroke_width=0.6),
}

# Marked for the catalogs: say one with `tr(TITLES[name])` where it is shown.
TITLES = {"off": N_("Off"), "light": N_("Light"), "strong": N_("Strong")}


def help_text() -> str:
    """The builder's help on augmentation, with each strength's numbers, in the reader's language."""
    return _(
        "Each training batch is changed at random a little — turned, zoomed, shifted (and, when strong, "
        "drawn thinner or thicker) — so the model learns digits rather than exact pixel positions. "
        "{light_title}: {light}. {strong_title}: {strong}. "
        "Only while training: validation, testing and the saved model see the images unchanged. "
        "It helps most with digits drawn on the Draw page, which are never centred or sized exactly like "
        "MNIST's; it needs more epochs to pay off.",
        light_title=tr(TITLES["light"]), light=STRENGTHS["light"].describe(),
        strong_title=tr(TITLES["strong"]), strong=STRENGTHS["strong"].describe(),
    )


def augmentation_layers(name: str, seed: int) -> list[keras.layers.Layer]:
    """The random layers for `name` ("off" gives none), for 28×28×1 images in [0, 1].

    Each layer draws from its own seeded generator, so the same seed gives the same batches."""
    import keras

    if name == "off":
        return []
    strength = STRENGTHS[name]
    shift = strength.shift_pixels / INPUT_SHAPE[0]
    layers = [
        keras.layers.RandomRotation(strength.rotation_degrees / 360, fill_mode="constant", seed=seed,
                                    name="random_rotation"),
        keras.layers.RandomZoom(strength.zoom, fill_mode="constant", seed=seed + 1, name="random_zoom"),
        keras.layers.RandomTranslation(shift, shift, fill_mode="constant", interpolation="nearest", seed=seed + 2,
                                       name="random_shift"),
    ]
    if strength.stroke_width:
        layers.append(stroke_width_layer(strength.stroke_width, seed=seed + 3))
    return layers


def stroke_width_layer(factor: float, seed: int | None = None) -> keras.layers.Layer:
    return _stroke_width_class()(factor, seed=seed, name="random_stroke_width")


@functools.cache
def _stroke_width_class():
    import keras

    class RandomStrokeWidth(keras.layers.Layer):
        """Grey-level dilation or erosion, by a random amount per image, while training.

        A 3×3 max filter thickens a stroke by a pixel on each side, a min filter thins it;
        each image moves a random fraction in [0, factor] towards one or the other, then
        is scaled back to its own brightest value.
        The exported script copies this class's source (`mnistlab.model.script`): it uses only `keras`."""

        def __init__(self, factor, seed=None, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, images, training=False):
            if not training:
                return images
            thicker = keras.ops.max_pool(images, 3, strides=1, padding="same")
            thinner = -keras.ops.max_pool(-images, 3, strides=1, padding="same")
            amount = keras.random.uniform((keras.ops.shape(images)[0], 1, 1, 1), -self.factor, self.factor,
                                          seed=self.seed_generator)
            amount = keras.ops.cast(amount, images.dtype)  # bfloat16 images where a training computes in it
            target = keras.ops.where(amount > 0, thicker, thinner)
            changed = images + keras.ops.abs(amount) * (target - images)
            # a thinned stroke keeps the image's brightest ink rather than turning grey
            peak = keras.ops.max(images, axis=(1, 2, 3), keepdims=True)
            return changed * peak / keras.ops.maximum(keras.ops.max(changed, axis=(1, 2, 3), keepdims=True), 1e-3)

        def compute_output_shape(self, input_shape):
            return input_shape

    return RandomStrokeWidth
