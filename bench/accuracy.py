"""Test accuracy of the presets, trained through mnistlab.engine.train, on unseen test data.

MNIST: each preset is trained with its own settings (epochs, batch, optimizer, its 10%
validation split) on the 4,000 training digits of the embedded sample
(load_dataset("mnist", "sample")) and tested on the official 10,000-digit MNIST test set
(../shared/data/mnist-test beside the checkout; none of its digits are in the sample).
Fashion-MNIST: mlp_relu_adam and cnn_lenet_tanh on the full 60,000/10,000 set.

Where the CPU computes in bfloat16 (AMX or AVX-512 BF16), each preset is trained again in mixed bfloat16,
as the app then does, to compare its test accuracy with float32's (goal: within 0.5 %).

For comparison some presets are also trained with a plain `model.fit` of the same
build_model on float32 arrays: same seed, the same training and validation images, the
same epochs, evaluated with the same code on the same test set. Their accuracy should
be in line with train()'s (within run-to-run noise, a few tenths of a percent); train
seconds are fit time, validation included.

The tutorials' own figures come from the full 60,000-image MNIST training set, so a
model trained on 4,000 digits is expected to score a little lower.

    python bench/accuracy.py [--quick] [--max-epochs N] [--no-fashion] [--mnist-test DIR] [--presets NAME ...]

--quick caps every run at 5 epochs (mlp_tanh_sgd has 100). Takes about 10 minutes in
full on 2 CPU cores, most of it the Fashion-MNIST CNN.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MNIST_TEST_DIR, load_mnist_test, markdown_table  # noqa: E402

MNIST_PRESETS = ("mlp_tanh_sgd", "mlp_relu_adam", "mlp_relu_rmsprop", "cnn_lenet_tanh", "cnn_deep_adagrad",
                 "cnn_keras_io", "draw_default")
FASHION_PRESETS = ("mlp_relu_adam", "cnn_lenet_tanh")
PLAIN_KERAS = {"mnist": ("mlp_relu_adam", "cnn_lenet_tanh"), "fashion_mnist": ("mlp_relu_adam",)}
# What SPEC.md quotes from the tutorials (trained on the full 60,000 MNIST digits).
TUTORIAL = {
    "mlp_tanh_sgd": "about 10 min (laptop)",
    "mlp_relu_adam": "test 0.9805",
    "cnn_deep_adagrad": "val 0.979 after 1 epoch",
    "cnn_keras_io": "test ~0.99 (keras-io)",
    "draw_default": "issue 10 asks ≥ 0.98",
}


def with_official_test(sample, images, labels):
    """The sample's training digits with the official test set as the test split."""
    from mnistlab import Dataset

    return Dataset(sample.name, sample.x_train, sample.y_train, images, labels, sample.class_names,
                   source=f"{len(sample.x_train):,} sample digits / official MNIST test set", is_sample=True)


def run_ours(spec, dataset, precision: str = "float32") -> tuple[float, float]:
    """(train seconds, test accuracy) through mnistlab.engine.train in `precision`, no cache."""
    from mnistlab import evaluate, train

    result = train(spec, dataset, use_cache=False, precision=precision)
    if not result.complete:
        print(f"  warning: {spec.name}: {result.message}")
    return result.seconds, evaluate(result.model, dataset).accuracy


def run_plain(spec, dataset) -> tuple[float, float]:
    """(train seconds, test accuracy) for a plain fit on float32 arrays of the very images
    train() uses: the same seeded validation split, the same seed for weights and shuffling."""
    import keras
    import numpy as np

    from mnistlab import build_model, evaluate
    from mnistlab.engine.train import split_validation

    def floats(x):
        return np.expand_dims(x.astype("float32") / 255, -1)

    x_fit, y_fit, x_val, y_val = split_validation(dataset.x_train, dataset.y_train, spec.validation_split, spec.seed)
    validation = None if x_val is None else (floats(x_val), keras.utils.to_categorical(y_val, 10))
    keras.utils.set_random_seed(spec.seed)
    model = build_model(spec)
    x, y = floats(x_fit), keras.utils.to_categorical(y_fit, 10)
    started = time.perf_counter()
    model.fit(x, y, batch_size=spec.batch_size, epochs=spec.epochs, validation_data=validation,
              shuffle=True, verbose=0)
    seconds = time.perf_counter() - started
    return seconds, evaluate(model, dataset).accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="cap every run at 5 epochs")
    parser.add_argument("--max-epochs", type=int, default=0, help="cap every run at this many epochs (0: none)")
    parser.add_argument("--no-fashion", action="store_true", help="skip the full Fashion-MNIST runs")
    parser.add_argument("--mnist-test", default=str(MNIST_TEST_DIR), help="folder of the two t10k IDX files")
    parser.add_argument("--presets", nargs="+", metavar="NAME", help="only these presets (default: all of them)")
    args = parser.parse_args()
    cap = args.max_epochs or (5 if args.quick else 0)

    official = load_mnist_test(args.mnist_test)
    if official is None:
        print(f"The official MNIST test set is not in {args.mnist_test} (expected t10k-images-idx3-ubyte.gz "
              "and t10k-labels-idx1-ubyte.gz); nothing to measure.")
        return

    from mnistlab import PRESETS, load_dataset
    from mnistlab.errors import DataError

    chosen = set(args.presets or MNIST_PRESETS + FASHION_PRESETS)
    runs = [(name, "mnist") for name in MNIST_PRESETS if name in chosen]
    datasets = {"mnist": with_official_test(load_dataset("mnist", "sample"), *official)}
    labels = {"mnist": "MNIST: 4,000 sample / 10,000 official test"}
    if not args.no_fashion and chosen & set(FASHION_PRESETS):
        try:
            datasets["fashion_mnist"] = load_dataset("fashion_mnist")
            labels["fashion_mnist"] = "Fashion-MNIST: 60,000 / 10,000"
            runs += [(name, "fashion_mnist") for name in FASHION_PRESETS if name in chosen]
        except DataError as error:
            print(f"Fashion-MNIST skipped: {error}")
    for key, dataset in datasets.items():
        print(f"{key}: {dataset.source}")
    from mnistlab.engine.precision import MIXED_BFLOAT16, bfloat16_supported

    bfloat16 = bfloat16_supported()  # then each preset is also trained in mixed bfloat16 (goal: within 0.5 %)
    print("train() computes in float32; " + (f"each preset again in {MIXED_BFLOAT16}, as the app trains on this CPU"
                                             if bfloat16 else "bfloat16: not supported on this CPU"))

    header = ["preset", "trained by", "data", "epochs", "train s", "test accuracy", "tutorial reports"]
    rows = []
    for name, key in runs:
        spec = PRESETS[name].spec
        if cap and spec.epochs > cap:
            spec = spec.replace(epochs=cap)
        trainers = [("train()", run_ours)]
        if bfloat16:
            trainers.append((f"train() {MIXED_BFLOAT16}", functools.partial(run_ours, precision=MIXED_BFLOAT16)))
        if name in PLAIN_KERAS.get(key, ()):
            trainers.append(("plain Keras", run_plain))
        for trainer, run in trainers:
            seconds, accuracy = run(spec, datasets[key])
            tutorial = TUTORIAL.get(name, "—") if key == "mnist" and trainer == "train()" else ""
            rows.append([name, trainer, labels[key], str(spec.epochs), f"{seconds:.1f}", f"{accuracy:.4f}", tutorial])
            print(f"  {name} ({trainer}, {key}): {spec.epochs} epochs, {seconds:.1f} s, test accuracy {accuracy:.4f}",
                  flush=True)
    print()
    print(markdown_table(header, rows, align="lllrrrl"))


if __name__ == "__main__":
    main()
