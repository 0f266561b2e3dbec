"""One-image prediction latency: predict_digit(model, img) against model.predict.

This is what the Draw page pays on every stroke. For each model (built from a preset,
untrained weights: latency does not depend on them) we time, call by call and alternating
between the two ways, N different images (real digits scaled to float32 (28, 28) in
[0, 1], as canvas.to_mnist makes them):

  predict_digit   mnistlab.predict_digit(model, img)
  model.predict   model.predict(img.reshape(1, 28, 28, 1), verbose=0)
  model(x)        model(x, training=False) called eagerly, for information

and print p50 and p95 in milliseconds, the first call (it includes tracing) apart.
speed-up = model.predict p50 / predict_digit p50: above 1.0 means predict_digit is faster.
Goals: predict_digit p50 at most 2 ms for the MLPs and 3 ms for cnn_lenet_tanh.

It also checks that predict_digit does not retrace: its tf.function must have traced
exactly once per model after N different images, and a second model must trace once for
itself without retracing the first.

    python bench/predict_latency.py [--calls 200] [--presets mlp_relu_adam,cnn_lenet_tanh,cnn_deep_adagrad]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_mnist_test, percentile  # noqa: E402

GOALS_MS = {"mlp_tanh_sgd": 2.0, "mlp_relu_adam": 2.0, "mlp_relu_rmsprop": 2.0, "cnn_lenet_tanh": 3.0}


def test_images(count: int):
    """`count` different real digits as float32 (28, 28) in [0, 1]."""
    import numpy as np

    from mnistlab import load_dataset
    from mnistlab.data.pixels import to_unit

    official = load_mnist_test()
    pixels = official[0] if official is not None else load_dataset("mnist", "sample").x_test
    picked = np.random.default_rng(0).choice(len(pixels), size=count, replace=count > len(pixels))
    return [to_unit(pixels[i]) for i in picked]


def tracing_count(model) -> int:
    """How often predict_digit's tf.function for `model` has traced (made on first use)."""
    from mnistlab.insight.evaluate import _predictor

    return _predictor(model).experimental_get_tracing_count()


def time_calls(model, images) -> dict[str, list[float]]:
    """Per-call seconds of each way; the ways alternate image by image so that the
    machine's noise falls on all of them alike. The first call of each is timed apart."""
    import numpy as np

    from mnistlab import predict_digit

    ways = {
        "predict_digit": lambda img: predict_digit(model, img),
        "model.predict": lambda img: model.predict(img.reshape(1, 28, 28, 1), verbose=0),
        "model(x)": lambda img: np.asarray(model(img.reshape(1, 28, 28, 1), training=False)),
    }
    times: dict[str, list[float]] = {way: [] for way in ways}
    for img in images:
        for way, call in ways.items():
            started = time.perf_counter()
            call(img)
            times[way].append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="timed calls per way and model (different images)")
    parser.add_argument("--presets", default="mlp_relu_adam,cnn_lenet_tanh,cnn_deep_adagrad")
    args = parser.parse_args()

    import keras
    import numpy as np

    from mnistlab import PRESETS, build_model, predict_digit

    images = test_images(args.calls + 1)  # +1: the first call, timed apart
    print(f"{args.calls} timed calls per way, each on a different image; times in ms; "
          f"speed-up = model.predict p50 / predict_digit p50 (above 1.0: predict_digit faster)")
    header = f"{'preset':<18} {'way':<14} {'first':>8} {'p50':>7} {'p95':>7}"
    print(header)
    models = {}
    for name in args.presets.split(","):
        keras.utils.set_random_seed(0)
        model = models[name] = build_model(PRESETS[name].spec)
        times = time_calls(model, images)
        for way, seconds in times.items():
            ms = [s * 1000 for s in seconds]
            print(f"{name if way == 'predict_digit' else '':<18} {way:<14} {ms[0]:>8.1f} "
                  f"{percentile(ms[1:], 50):>7.2f} {percentile(ms[1:], 95):>7.2f}")
        ours_p50 = percentile(times["predict_digit"][1:], 50) * 1000
        plain_p50 = percentile(times["model.predict"][1:], 50) * 1000
        goal = GOALS_MS.get(name)
        verdict = f"goal p50 <= {goal:g} ms: {'met' if ours_p50 <= goal else 'NOT met'}" if goal else "no goal"
        print(f"{'':<18} {'speed-up':<14} {plain_p50 / ours_p50:>8.1f}x   ({verdict})", flush=True)

    print("\nretracing (traces of predict_digit's tf.function; 1 = traced once, never again):")
    first_name, *other_names = list(models)
    first = models[first_name]
    print(f"  {first_name}: {tracing_count(first)} trace(s) after {len(images)} different images")
    for other_name in other_names:
        predict_digit(models[other_name], images[0])
        print(f"  {other_name}: {tracing_count(models[other_name])} trace(s) after {len(images) + 1} images")
    # Shapes the canvas and uploads may hand in: all are reshaped to the model's input.
    for img in (images[1].reshape(28, 28, 1), images[2].reshape(784), images[3].astype(np.float64)):
        predict_digit(first, img)
    print(f"  {first_name} again, after (28, 28, 1), (784,) and float64 inputs and the other models: "
          f"{tracing_count(first)} trace(s)")


if __name__ == "__main__":
    main()
