"""A spec as a plain Keras 3 script a student can run on their own machine.

The script reads top to bottom like keras-io's mnist_convnet: prepare the data, build
the model, train it, evaluate it, save it. It uses nothing from mnistlab.
"""

from __future__ import annotations

from mnistlab.augment import STRENGTHS
from mnistlab.spec import INPUT_SHAPE, LayerSpec, ModelSpec

_OPTIMIZER_CLASSES = {
    "sgd": "SGD",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
}


def _layer_code(layer: LayerSpec) -> str:
    if layer.kind == "dense":
        return f'layers.Dense({layer.units}, activation="{layer.activation}")'
    if layer.kind == "conv2d":
        size = f"({layer.kernel_size}, {layer.kernel_size})"
        extra = "" if layer.strides == 1 else f", strides={layer.strides}"
        extra += "" if layer.padding == "valid" else f', padding="{layer.padding}"'
        return f'layers.Conv2D({layer.filters}, kernel_size={size}{extra}, activation="{layer.activation}")'
    if layer.kind == "maxpool2d":
        return f"layers.MaxPooling2D(pool_size=({layer.pool_size}, {layer.pool_size}))"
    if layer.kind == "dropout":
        return f"layers.Dropout({layer.rate:g})"
    if layer.kind == "flatten":
        return "layers.Flatten()"
    return "layers.BatchNormalization()"


def _optimizer_code(spec: ModelSpec) -> str:
    rate = f"{spec.learning_rate:g}"
    if spec.decay:
        rate = (
            f"keras.optimizers.schedules.InverseTimeDecay({spec.learning_rate:g}, "
            f"decay_steps=1, decay_rate={spec.decay:g})"
        )
    args = f"learning_rate={rate}"
    if spec.optimizer == "sgd" and (spec.momentum or spec.nesterov):
        args += f", momentum={spec.momentum:g}, nesterov={spec.nesterov}"
    return f"keras.optimizers.{_OPTIMIZER_CLASSES[spec.optimizer]}({args})"


_STROKE_WIDTH_CLASS = '''
class RandomStrokeWidth(layers.Layer):
    """While training, makes each image's strokes randomly thinner or thicker (3×3 min/max filter)."""

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
        target = keras.ops.where(amount > 0, thicker, thinner)
        changed = images + keras.ops.abs(amount) * (target - images)
        peak = keras.ops.max(images, axis=(1, 2, 3), keepdims=True)
        return changed * peak / keras.ops.maximum(keras.ops.max(changed, axis=(1, 2, 3), keepdims=True), 1e-3)

    def compute_output_shape(self, input_shape):
        return input_shape
'''


def _augmentation_code(spec: ModelSpec) -> str:
    """The training-only augmentation block (the same layers and seeds as mnistlab.augment), or ""."""
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
    layer_class = f"\n{_STROKE_WIDTH_CLASS}\n" if strength.stroke_width else ""
    return f'''{layer_class}
# Augmentation ("{spec.augmentation}"): while training, every batch is randomly changed a little, so
# the model learns digits rather than exact pixel positions. It wraps the model for training only:
# evaluation and the saved model see the images unchanged (these layers do nothing outside training).
augmentation = keras.Sequential(
    [
{layer_lines}
    ],
    name="augmentation",
)
trainer = keras.Sequential([keras.Input(shape=INPUT_SHAPE), augmentation, model])
'''


def to_keras_script(spec: ModelSpec, model_file: str = "mnist_model.keras") -> str:
    """A runnable plain-Keras script that trains and evaluates `spec` on MNIST."""
    layer_lines = "\n".join(f"        {_layer_code(layer)}," for layer in spec.layers)
    subset = ""
    if spec.train_size:
        subset = (
            "\n# Train on a subset, as in the app (0 there means all the training images).\n"
            f"x_train, y_train = x_train[:{spec.train_size}], y_train[:{spec.train_size}]\n"
        )
    augmentation = _augmentation_code(spec)
    trainer = "trainer" if augmentation else "model"
    return f'''"""Train "{spec.name}" on MNIST — exported from mnistlab.

Run it with:  pip install keras tensorflow  &&  python this_file.py
"""

import keras
import numpy as np
from keras import layers

keras.utils.set_random_seed({spec.seed})

# Model / data parameters
NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)
BATCH_SIZE = {spec.batch_size}
EPOCHS = {spec.epochs}
VALIDATION_SPLIT = {spec.validation_split:g}

# Load the data and split it between train and test sets
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
{subset}
# Scale images to the [0, 1] range and give them a channel axis: (N, 28, 28, 1)
x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# One-hot labels: 3 becomes [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)

# Build the model
model = keras.Sequential(
    [
        keras.Input(shape=INPUT_SHAPE),
{layer_lines}
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ]
)
model.summary()
{augmentation}
# Train the model
{trainer}.compile(
    loss="categorical_crossentropy",
    optimizer={_optimizer_code(spec)},
    metrics=["accuracy"],
)
{trainer}.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=VALIDATION_SPLIT)

# Evaluate the trained model
score = {trainer}.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

model.save("{model_file}")
'''
