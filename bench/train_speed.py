"""train() against plain `model.fit` on the same model and data, interleaved in one run.

Plain fit is what the tutorials do: convert the whole training set to float32 once, then
fit. train() keeps the data uint8 and scales each batch inside the graph. Both run the
same spec for the same epochs with no validation; we time the whole call (build + data
preparation + fit) and the fit epochs alone, and print the ratio plain / train()
(above 1.0: train() is faster).

    python bench/train_speed.py [--rounds 2] [--epochs 1] [--dataset fashion_mnist]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import benchmark_dataset, median  # noqa: E402


def plain_fit(spec, dataset) -> tuple[float, float]:
    import keras
    import numpy as np

    from mnistlab import build_model

    started = time.perf_counter()
    keras.utils.set_random_seed(spec.seed)
    model = build_model(spec)
    x = np.expand_dims(dataset.x_train.astype("float32") / 255, -1)
    y = keras.utils.to_categorical(dataset.y_train, 10)
    fit_started = time.perf_counter()
    model.fit(x, y, batch_size=spec.batch_size, epochs=spec.epochs, shuffle=True, verbose=0)
    done = time.perf_counter()
    return done - started, done - fit_started


def ours(spec, dataset) -> tuple[float, float]:
    from mnistlab import train

    started = time.perf_counter()
    result = train(spec, dataset, use_cache=False)
    return time.perf_counter() - started, sum(result.history["epoch_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--presets", default="mlp_relu_adam,cnn_lenet_tanh")
    args = parser.parse_args()

    from mnistlab import PRESETS

    dataset = benchmark_dataset(args.dataset)
    print(f"{len(dataset.x_train):,} training images, {args.epochs} epoch(s), {args.rounds} interleaved rounds")
    print(f"{'preset':<16} {'plain call':>10} {'train()':>10} {'ratio':>6}   {'plain fit':>9} {'our fit':>8} {'ratio':>6}")
    for name in args.presets.split(","):
        spec = PRESETS[name].spec.replace(epochs=args.epochs, validation_split=0.0)
        plain_runs, our_runs = [], []
        ours(spec.replace(epochs=1, train_size=1000), dataset)  # warm up TensorFlow once
        for _ in range(args.rounds):
            plain_runs.append(plain_fit(spec, dataset))
            our_runs.append(ours(spec, dataset))
        plain_call, plain_epochs = median([r[0] for r in plain_runs]), median([r[1] for r in plain_runs])
        our_call, our_epochs = median([r[0] for r in our_runs]), median([r[1] for r in our_runs])
        print(f"{name:<16} {plain_call:>9.2f}s {our_call:>9.2f}s {plain_call / our_call:>6.2f}   "
              f"{plain_epochs:>8.2f}s {our_epochs:>7.2f}s {plain_epochs / our_epochs:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
