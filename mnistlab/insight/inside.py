"""Look inside a model: what every layer makes of one digit, why it answered, how it sorts digits.

One forward pass keeps every layer's output (as CNN Explainer and tfjs-vis's internals demo
do): a multi-output Keras model over the model's own layers, built once per model and run
through a `tf.function` with a fixed input signature, so a new digit never retraces. The
cache holds models weakly: a model the app drops is not kept alive here.

Works for any Keras model that reads one 28×28 image — the builder's, or an uploaded one
(Sequential or functional). TensorFlow is imported only inside the functions that need it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnistlab.data.pixels import as_unit
from mnistlab.errors import ModelFileError
from mnistlab.i18n import N_
from mnistlab.model.io import input_convention, model_inputs
from mnistlab.model.layers import KINDS as LAYER_KINDS
from mnistlab.tflog import quiet_per_model_traces

SALIENCY_METHOD = "SmoothGrad"  # the page names the method it shows
SMOOTHGRAD_SAMPLES = 16  # noisy copies of the digit, averaged: plain gradients are speckled
SMOOTHGRAD_NOISE = 0.15  # standard deviation of the noise, on the [0, 1] pixel scale
EMBED_METHODS = ("pca", "tsne")
MAX_EMBED_IMAGES = 2000  # the map's limit: t-SNE's cost grows with the square of the points
FEATURE_BATCH = 128  # every layer's output is held per image: 200 KB for a Conv2D 64 same
PCA_EXACT_FEATURES = 64  # up to this many features, the exact covariance is cheap
PCA_SUBSPACE = 12  # directions iterated at once (randomized PCA); the first 2 are kept
PCA_ITERATIONS = 8

# Keras class name → what the Inside page explains; anything else is "other". The builder's kinds say
# theirs in the layer table; these are other layers an uploaded model may have.
KINDS = {
    "SeparableConv2D": "conv2d", "DepthwiseConv2D": "conv2d", "Conv1D": "conv2d",
    "AveragePooling2D": "pooling", "MaxPooling1D": "pooling",
    "GlobalAveragePooling2D": "pooling", "GlobalMaxPooling2D": "pooling", "Reshape": "reshape",
    "SpatialDropout2D": "dropout", "GaussianNoise": "dropout", "GaussianDropout": "dropout",
    "LayerNormalization": "batchnorm",
    "Activation": "activation", "ReLU": "activation", "Softmax": "activation", "LeakyReLU": "activation",
    **{kind.title: kind.inside for kind in LAYER_KINDS.values()},
}


@dataclass(frozen=True, eq=False)
class LayerOutput:
    """One layer's output for one digit, without the batch axis: (H, W, C) for maps, (units,) for
    a Dense or Flatten layer. `is_output` marks the model's last layer (its 10 scores)."""

    name: str
    kind: str
    array: np.ndarray
    is_output: bool = False


def layer_kind(layer: Any) -> str:
    return KINDS.get(type(layer).__name__, "other")


def _image_batch(model: Any, images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) or float [0, 1] images, shaped and scaled as the model reads them."""
    return model_inputs(images, inspector(model).convention)


def _one_image(model: Any, image28: np.ndarray) -> np.ndarray:
    image = np.asarray(image28)
    if image.size != 28 * 28:
        raise ValueError(f"Expected one 28×28 image, got an array of shape {image.shape}.")
    return _image_batch(model, image.reshape(1, 28, 28))


def _functional_outputs(model: Any) -> tuple[list[Any], list[Any]]:
    """The model's layers (not the input) and a symbolic output for each, in order."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    return layers, [layer.output for layer in layers]


class _Inspector:
    """The compiled functions for one model. They hold the model's layers, not the model."""

    def __init__(self, model: Any):
        import keras
        import tensorflow as tf

        quiet_per_model_traces()  # these functions are made, and traced, once per model
        self.convention = input_convention(model)
        self.shape = self.convention.shape
        self.layers, outputs = _functional_outputs(model)
        self.names = [layer.name for layer in self.layers]
        self.kinds = [layer_kind(layer) for layer in self.layers]
        everything = keras.Model(model.inputs, outputs)
        # the layer before the output: what the 2-D map sorts (pixels when there is none)
        last_input = self.layers[-1].input
        features = keras.Model(model.inputs, last_input)

        def run_all(x: Any) -> list[Any]:
            out = everything(x, training=False)
            return list(out) if isinstance(out, (list, tuple)) else [out]  # one layer: one tensor

        last = self.layers[-1]
        if type(last).__name__ == "Dense" and getattr(last.activation, "__name__", "") == "softmax":
            def logits(x: Any) -> Any:
                z = tf.matmul(features(x, training=False), last.kernel)
                return z + last.bias if last.use_bias else z
        elif type(last).__name__ == "Softmax" or getattr(getattr(last, "activation", None), "__name__", "") == \
                "softmax":
            def logits(x: Any) -> Any:
                return features(x, training=False)
        else:
            def logits(x: Any) -> Any:
                return run_all(x)[-1]

        one = tf.TensorSpec((1, *self.shape), tf.float32)
        many = tf.TensorSpec((None, *self.shape), tf.float32)
        self.outputs = tf.function(run_all, input_signature=[one])
        self.features = tf.function(lambda x: features(x, training=False), input_signature=[many])

        unit = self.convention.unit  # noise and gradient on the [0, 1] scale whatever scale the model reads

        def smoothgrad(x: Any, class_index: Any) -> Any:
            noise = tf.random.stateless_normal((SMOOTHGRAD_SAMPLES, *self.shape), seed=[7, 11],
                                               stddev=SMOOTHGRAD_NOISE * unit)
            noisy = tf.repeat(x, SMOOTHGRAD_SAMPLES, axis=0) + noise
            with tf.GradientTape() as tape:
                tape.watch(noisy)
                score = tf.reduce_sum(tf.gather(logits(noisy), class_index, axis=1))
            return tf.reduce_mean(tape.gradient(score, noisy), axis=0) * unit

        self.saliency = tf.function(smoothgrad, input_signature=[one, tf.TensorSpec((), tf.int32)])


_inspectors: weakref.WeakKeyDictionary[Any, _Inspector] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def inspector(model: Any) -> _Inspector:
    """The model's inspector, made on first use and kept as long as the model lives."""
    with _lock:
        found = _inspectors.get(model)
        if found is None:
            try:
                found = _Inspector(model)
            except (AttributeError, ValueError, TypeError, IndexError) as exc:  # no symbolic graph to read
                raise ModelFileError("layers_unreadable", N_("This model's layers cannot be looked at one by one "
                                                             "({kind}: {reason})."),
                                     kind=type(exc).__name__, reason=str(exc)) from None
            _inspectors[model] = found
        return found


def layer_outputs(model: Any, image28: np.ndarray) -> list[LayerOutput]:
    """Every layer's output for one image (uint8 0..255 or float 0..1, 784 pixels in any shape),
    in the order the layers run; the model's input layer is not listed."""
    found = inspector(model)
    arrays = found.outputs(_one_image(model, image28))
    last = len(found.layers) - 1
    return [LayerOutput(name, kind, np.asarray(array)[0], i == last)
            for i, (name, kind, array) in enumerate(zip(found.names, found.kinds, arrays, strict=True))]


def saliency(model: Any, image28: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """SmoothGrad: the gradient of the class's score (its logit, before the softmax) with respect
    to each pixel, averaged over noisy copies of the image. (28, 28) floats: positive where more
    ink would raise the score, negative where it would lower it. The class is the model's answer
    unless given."""
    found = inspector(model)
    x = _one_image(model, image28)
    if class_index is None:
        class_index = int(np.argmax(np.asarray(found.outputs(x)[-1])[0]))
    if not 0 <= int(class_index) < 10:
        raise ValueError(f"class_index must be a class from 0 to 9, not {class_index}.")
    grad = found.saliency(x, np.int32(class_index))
    return np.asarray(grad, dtype=np.float32).reshape(28, 28)


def features(model: Any, images: np.ndarray, batch_size: int = FEATURE_BATCH) -> np.ndarray:
    """(N, D) float32: each image as the layer before the output sees it, flattened."""
    found = inspector(model)
    images = np.asarray(images)
    parts = [np.asarray(found.features(_image_batch(model, images[start:start + batch_size])))
             for start in range(0, len(images), batch_size)]
    if not parts:
        return np.zeros((0, 0), np.float32)
    out = np.concatenate(parts)
    return out.reshape(len(out), -1).astype(np.float32)


def pixels(images: np.ndarray) -> np.ndarray:
    """(N, 784) float32 in [0, 1]: the raw-pixel side of the comparison."""
    images = np.asarray(images)
    return as_unit(images).reshape(len(images), 28 * 28)


def _orthonormal(y: np.ndarray) -> np.ndarray:
    """Columns of `y` made orthonormal through the eigenvectors of the small k×k Gram matrix
    (LAPACK's QR of a tall matrix is far slower on a busy 2-core server); dependent columns
    are dropped."""
    values, vectors = np.linalg.eigh(y.T.astype(np.float64) @ y)
    keep = values > values.max() * 1e-10
    return (y @ (vectors[:, keep] / np.sqrt(values[keep]))).astype(np.float32)


def pca_2d(points: np.ndarray) -> np.ndarray:
    """(N, 2): the centred points along their two directions of largest variance.

    Few features: the exact eigenvectors of their covariance. Many: a randomized subspace
    iteration (Halko et al., as scikit-learn's randomized PCA) and a Rayleigh–Ritz step, only
    thin matrix products — 2,000 × 784 pixels in milliseconds. Signs are fixed (each axis's
    largest loading positive): the same data always gives the same map."""
    x = np.asarray(points, dtype=np.float32)
    if len(x) < 2 or x.ndim != 2 or x.shape[1] == 0:
        return np.zeros((len(x), 2), np.float32)
    x = x - x.mean(axis=0)
    if x.shape[1] <= PCA_EXACT_FEATURES:
        basis = np.eye(x.shape[1], dtype=np.float32)
    else:
        basis = np.random.default_rng(0).standard_normal((x.shape[1], PCA_SUBSPACE)).astype(np.float32)
        for _ in range(PCA_ITERATIONS):
            basis = _orthonormal(x.T @ _orthonormal(x @ basis))
    projected = (x @ basis).astype(np.float64)
    values, vectors = np.linalg.eigh(projected.T @ projected)
    axes = (basis.astype(np.float64) @ vectors[:, ::-1][:, :2]).T
    axes = axes * np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    out = x.astype(np.float64) @ axes.T
    if out.shape[1] < 2:  # one feature only: a line
        out = np.concatenate([out, np.zeros((len(out), 2 - out.shape[1]))], axis=1)
    return out.astype(np.float32)


def tsne_2d(points: np.ndarray, seed: int = 0) -> np.ndarray:
    """(N, 2) with scikit-learn's t-SNE (PCA start, fixed seed): neighbours stay neighbours."""
    from sklearn.manifold import TSNE

    x = np.asarray(points, dtype=np.float32)
    if len(x) < 5:
        return pca_2d(x)
    perplexity = min(30.0, (len(x) - 1) / 3)
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x).astype(np.float32)


PROJECTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"pca": pca_2d, "tsne": tsne_2d}


def project(points: np.ndarray, method: str = "pca") -> np.ndarray:
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {', '.join(EMBED_METHODS)}, not {method!r}.")
    return PROJECTIONS[method](points)


def embed(model: Any, images: np.ndarray, method: str = "pca") -> np.ndarray:
    """(N, 2): each image placed by the layer before the model's output, by PCA or t-SNE.
    At most MAX_EMBED_IMAGES images."""
    if len(images) > MAX_EMBED_IMAGES:
        raise ValueError(f"At most {MAX_EMBED_IMAGES:,} images can be mapped, not {len(images):,}.")
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {', '.join(EMBED_METHODS)}, not {method!r}.")
    return project(features(model, images), method)


def first_conv_filters(model: Any) -> np.ndarray | None:
    """The first Conv2D's kernels as (filters, k, k) pictures (input channels summed), or None."""
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            kernel = np.asarray(layer.kernel)  # (k, k, in, filters)
            return np.moveaxis(kernel.sum(axis=2), -1, 0).astype(np.float32)
    return None


def dense_templates(model: Any, count: int | None = None) -> np.ndarray | None:
    """For an MLP, the first Dense layer's units as (units, 28, 28) pictures of their weights —
    what each unit looks for in the pixels. None when that layer does not read the 784 pixels
    directly (a CNN, or a Dense after another Dense)."""
    for layer in model.layers:
        name = type(layer).__name__
        if name == "Dense":
            kernel = np.asarray(layer.kernel)
            if kernel.shape[0] != 28 * 28:
                return None
            units = kernel.shape[1] if count is None else max(0, min(int(count), kernel.shape[1]))
            return np.moveaxis(kernel[:, :units], -1, 0).reshape(units, 28, 28).astype(np.float32)
        if name not in ("InputLayer", "Flatten", "Reshape", "Dropout", "GaussianNoise", "Rescaling"):
            return None
    return None
