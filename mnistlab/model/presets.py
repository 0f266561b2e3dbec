"""The tutorial models of SPEC.md, keras-io's convnet and the Draw page's default model,
as specs a student can train and change."""

from __future__ import annotations

from dataclasses import dataclass

from mnistlab.i18n import N_
from mnistlab.model.spec import ModelSpec, conv2d, dense, dropout, flatten, maxpool2d


@dataclass(frozen=True)
class Preset:
    """`title`, `short` and `description` are marked for the catalogs: show them with `tr(preset.title)`.
    `short` names a trained model of this kind (mnistlab/model/naming.py), without the tutorial's numbers."""

    name: str
    title: str
    description: str
    spec: ModelSpec
    short: str = ""


def _mlp(activation: str) -> tuple:
    return (flatten(), dense(512, activation), dropout(0.2), dense(512, activation), dropout(0.2))


_PRESETS = (
    Preset(
        "mlp_tanh_sgd",
        N_("MLP, tanh, SGD (the classic 100-epoch tutorial)"),
        N_(
            "Two Dense 512 tanh layers with Dropout 0.2. SGD with learning rate 0.01, Nesterov "
            "momentum 0.9 and decay 1e-6 (in Keras 3 an InverseTimeDecay schedule), batch 100, "
            "100 epochs — about 10 minutes on a laptop in the tutorial; lower the epochs for class."
        ),
        ModelSpec(
            _mlp("tanh"), "sgd", 0.01, momentum=0.9, nesterov=True, decay=1e-6,
            batch_size=100, epochs=100, name="mlp_tanh_sgd",
        ),
        short=N_("MLP, tanh, SGD"),
    ),
    Preset(
        "mlp_relu_adam",
        N_("MLP, relu, Adam (4 epochs, 0.98)"),
        N_(
            "Two Dense 512 relu layers with Dropout 0.2, Adam at its default learning rate 0.001, "
            "batch 128, 4 epochs. The tutorial reports test accuracy 0.9805 at about 7 s per epoch."
        ),
        ModelSpec(_mlp("relu"), "adam", 0.001, batch_size=128, epochs=4, name="mlp_relu_adam"),
        short=N_("MLP, relu, Adam"),
    ),
    Preset(
        "mlp_relu_rmsprop",
        N_("MLP, relu, RMSprop (Keras mnist_mlp)"),
        N_(
            "The old Keras example mnist_mlp: two Dense 512 relu layers with Dropout 0.2, RMSprop at "
            "learning rate 0.001, batch 128, 20 epochs."
        ),
        ModelSpec(_mlp("relu"), "rmsprop", 0.001, batch_size=128, epochs=20, name="mlp_relu_rmsprop"),
        short=N_("MLP, relu, RMSprop"),
    ),
    Preset(
        "cnn_lenet_tanh",
        N_("LeNet-style CNN, tanh, Adadelta"),
        N_(
            "Conv2D 6 3×3 tanh → MaxPool 2 → Conv2D 16 2×2 tanh → MaxPool 2 → Flatten (576) → Dense 256 "
            "tanh. Adadelta with learning rate 1.0, the old Keras default (Keras 3's default of 0.001 "
            "barely learns), batch 128, 12 epochs. The tutorial validated on the test set; here a "
            "10% validation split keeps the test set for the final score."
        ),
        ModelSpec(
            (conv2d(6, 3, "tanh"), maxpool2d(2), conv2d(16, 2, "tanh"), maxpool2d(2), flatten(), dense(256, "tanh")),
            "adadelta", 1.0, batch_size=128, epochs=12, name="cnn_lenet_tanh",
        ),
        short=N_("LeNet-style CNN, tanh, Adadelta"),
    ),
    Preset(
        "cnn_deep_adagrad",
        N_("Deep CNN, relu, Adagrad (1 epoch, 0.979)"),
        N_(
            "Three blocks of Conv2D 3×3 'same' relu (64, 128, 256 filters) → MaxPool 2 → Dropout 0.5, "
            "then Dense 128 → 64 → 32 relu. Adagrad with learning rate 0.01, the old Keras default "
            "(Keras 3 uses 0.001), batch 128, 1 epoch. The tutorial reports validation accuracy 0.979 "
            "after one epoch, 210 s on a laptop CPU — with 60,000 images, i.e. 469 weight updates. On the "
            "offline 4,000-digit sample one epoch is only 29 updates and it stays at chance: give it 10+ epochs."
        ),
        ModelSpec(
            (
                conv2d(64, 3, "relu", padding="same"), maxpool2d(2), dropout(0.5),
                conv2d(128, 3, "relu", padding="same"), maxpool2d(2), dropout(0.5),
                conv2d(256, 3, "relu", padding="same"), maxpool2d(2), dropout(0.5),
                flatten(), dense(128, "relu"), dense(64, "relu"), dense(32, "relu"),
            ),
            "adagrad", 0.01, batch_size=128, epochs=1, name="cnn_deep_adagrad",
        ),
        short=N_("Deep CNN, relu, Adagrad"),
    ),
    Preset(
        "cnn_keras_io",
        N_("keras-io convnet, Adam (15 epochs, ~0.99)"),
        N_(
            "keras-io's \"Simple MNIST convnet\" (examples/vision/mnist_convnet): Conv2D 32 3×3 relu → MaxPool 2 → "
            "Conv2D 64 3×3 relu → MaxPool 2 → Flatten → Dropout 0.5, then Dense 10 softmax — 34,826 parameters. "
            "Adam at its default learning rate 0.001, batch 128, 15 epochs, 10% validation. The example reaches "
            "about 99% test accuracy on the full 60,000 digits."
        ),
        ModelSpec(
            (conv2d(32, 3, "relu"), maxpool2d(2), conv2d(64, 3, "relu"), maxpool2d(2), flatten(), dropout(0.5)),
            "adam", 0.001, batch_size=128, epochs=15, name="cnn_keras_io",
        ),
        short=N_("keras-io convnet, Adam"),
    ),
    Preset(
        "draw_default",
        N_("Draw's default: compact CNN, strong augmentation"),
        N_(
            "The model the Draw page reads with when a session has none. keras-io's convnet with a second "
            "32-filter convolution (Conv2D 32 → Conv2D 32 → MaxPool → Conv2D 64 → MaxPool → Dropout 0.5), trained "
            "with strong augmentation — each batch turned, zoomed, shifted and drawn thinner or thicker at random — "
            "because digits drawn with a mouse are never placed, sized or stroked like MNIST's. Adam at 0.002 "
            "falling as 1/(1 + 0.002·step) to about 0.0007, batch 64, 15 epochs, on at most 6,000 training digits "
            "(all 4,000 of the offline sample), so that it trains within minutes on a class's server (the app ships it "
            "trained for 40 epochs). "
            "Trained on the offline sample it scores above 0.98 on the official 10,000-digit MNIST test set."
        ),
        ModelSpec(
            (
                conv2d(32, 3, "relu"), conv2d(32, 3, "relu"), maxpool2d(2),
                conv2d(64, 3, "relu"), maxpool2d(2), flatten(), dropout(0.5),
            ),
            "adam", 0.002, decay=0.002, batch_size=64, epochs=15, train_size=6000, augmentation="strong",
            name="draw_default",
        ),
        short=N_("Draw's default CNN"),
    ),
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in _PRESETS}
DRAW_DEFAULT = "draw_default"


def draw_default_spec() -> ModelSpec:
    """The model Draw uses when a session has none; `python -m mnistlab train --preset draw_default`
    trains the same one into the same training cache."""
    return PRESETS[DRAW_DEFAULT].spec
