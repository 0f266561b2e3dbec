"""Inside's speed: layer outputs, saliency and the 2-D map, against plain Keras in the same run.

For each model (built from a preset; untrained weights, timing does not depend on them), call
by call and alternating between our way and plain Keras's, on different real digits:

  layer_outputs    mnistlab.insight.inside.layer_outputs(model, img)          goal p50 ≤ 50 ms
    vs             keras.Model(model.inputs, [every layer's output]).predict(x)
  saliency         mnistlab.insight.inside.saliency(model, img)  (SmoothGrad)  goal p50 ≤ 100 ms
    vs             the same SmoothGrad written eagerly: tf.GradientTape around the Keras model
  embed (PCA)      mnistlab.insight.inside.embed(model, 2,000 images)          goal PCA part ≤ 1 s
    vs             the sub-model's predict + scikit-learn's PCA(2)

p50 and p95 in ms, the first call (tracing, building the multi-output model) apart;
ratio = plain Keras p50 / ours p50 (above 1.0: ours is faster).

    python bench/inside.py [--calls 60] [--rounds 5] [--presets mlp_relu_adam,cnn_lenet_tanh,cnn_deep_adagrad]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_mnist_test, percentile  # noqa: E402

GOALS_MS = {"layer_outputs": 50.0, "saliency": 100.0, "pca": 1000.0}


def digits(count: int):
    import numpy as np

    from mnistlab import load_dataset

    official = load_mnist_test()
    pixels = official[0] if official is not None else load_dataset("mnist", "sample").x_test
    picked = np.random.default_rng(0).choice(len(pixels), size=count, replace=count > len(pixels))
    return pixels[picked]


def plain_keras(model):
    """The plain-Keras references: a multi-output sub-model's predict, an eager SmoothGrad."""
    import keras
    import tensorflow as tf

    from mnistlab.insight.inside import SMOOTHGRAD_NOISE, SMOOTHGRAD_SAMPLES

    everything = keras.Model(model.inputs, [layer.output for layer in model.layers])
    before_output = keras.Model(model.inputs, model.layers[-1].input)
    last = model.layers[-1]

    def outputs(image):
        return everything.predict(image.reshape(1, 28, 28, 1).astype("float32") / 255, verbose=0)

    def smoothgrad(image):
        x = tf.constant(image.reshape(1, 28, 28, 1).astype("float32") / 255)
        noisy = tf.repeat(x, SMOOTHGRAD_SAMPLES, axis=0) + tf.random.normal((SMOOTHGRAD_SAMPLES, 28, 28, 1),
                                                                            stddev=SMOOTHGRAD_NOISE)
        with tf.GradientTape() as tape:
            tape.watch(noisy)
            logits = before_output(noisy, training=False) @ last.kernel + last.bias
            score = tf.reduce_sum(logits[:, 0])
        return tf.reduce_mean(tape.gradient(score, noisy), axis=0).numpy()

    return outputs, smoothgrad, before_output


def timed(call, *args) -> float:
    started = time.perf_counter()
    call(*args)
    return time.perf_counter() - started


def row(name: str, way: str, ms: list[float]) -> str:
    return f"{name:<18} {way:<34} {ms[0]:>8.1f} {percentile(ms[1:], 50):>8.2f} {percentile(ms[1:], 95):>8.2f}"


def verdict(goal_key: str, ours_ms: float) -> str:
    goal = GOALS_MS[goal_key]
    return f"goal p50 ≤ {goal:g} ms: {'met' if ours_ms <= goal else 'NOT met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60, help="timed calls per way and model (different digits)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of the 2,000-image map")
    parser.add_argument("--presets", default="mlp_relu_adam,cnn_lenet_tanh,cnn_deep_adagrad")
    args = parser.parse_args()

    import keras
    from sklearn.decomposition import PCA

    from mnistlab import PRESETS, build_model
    from mnistlab.insight.inside import embed, features, inspector, layer_outputs, pca_2d, pixels, saliency

    images = digits(args.calls + 1)
    map_images = digits(2000)
    print(f"{args.calls} timed calls per way (each on a different digit), {args.rounds} rounds of the map; ms; "
          "ratio = plain Keras p50 / ours p50 (above 1: ours faster)")
    print(f"{'preset':<18} {'way':<34} {'first':>8} {'p50':>8} {'p95':>8}")
    for name in args.presets.split(","):
        keras.utils.set_random_seed(0)
        model = build_model(PRESETS[name].spec, compile=False)
        outputs, smoothgrad, before_output = plain_keras(model)
        times: dict[str, list[float]] = {k: [] for k in ("ours_layers", "keras_layers", "ours_sal", "keras_sal")}
        for image in images:
            times["ours_layers"].append(timed(layer_outputs, model, image) * 1000)
            times["keras_layers"].append(timed(outputs, image) * 1000)
            times["ours_sal"].append(timed(saliency, model, image, 0) * 1000)
            times["keras_sal"].append(timed(smoothgrad, image) * 1000)
        for (ours, plain, goal, ours_way, plain_way) in (
                ("ours_layers", "keras_layers", "layer_outputs", "layer_outputs", "Keras multi-output .predict"),
                ("ours_sal", "keras_sal", "saliency", "saliency (SmoothGrad)", "eager GradientTape SmoothGrad")):
            print(row(name, ours_way, times[ours]))
            print(row("", plain_way, times[plain]))
            p_ours, p_plain = percentile(times[ours][1:], 50), percentile(times[plain][1:], 50)
            print(f"{'':<18} {'ratio':<34} {p_plain / p_ours:>8.1f}x  ({verdict(goal, p_ours)})")
        traces = inspector(model).outputs.experimental_get_tracing_count()
        print(f"{'':<18} traces of the layer-outputs function after {len(images)} digits: {traces}")

        raw = pixels(map_images)
        embeds, plain_maps, pca_ours, pca_sklearn = [], [], [], []
        embed(model, map_images[:10])  # the batched function's first trace, timed apart
        for _ in range(args.rounds):
            embeds.append(timed(embed, model, map_images) * 1000)
            plain_maps.append(timed(lambda reference=before_output: PCA(2).fit_transform(
                reference.predict(map_images[..., None].astype("float32") / 255, verbose=0))) * 1000)
            found = features(model, map_images)
            pca_ours.append(timed(pca_2d, found) * 1000)
            pca_sklearn.append(timed(PCA(2).fit_transform, found) * 1000)
        for way, ms in (("embed(model, 2,000), PCA", embeds), ("Keras predict + sklearn PCA", plain_maps),
                        (f"pca_2d of the {found.shape[1]}-d features", pca_ours),
                        ("sklearn PCA(2) of them", pca_sklearn)):
            print(f"{'':<18} {way:<34} {'':>8} {percentile(ms, 50):>8.1f} {percentile(ms, 95):>8.1f}")
        print(f"{'':<18} {'ratio map / PCA part':<34} {percentile(plain_maps, 50) / percentile(embeds, 50):>7.1f}x "
              f"{percentile(pca_sklearn, 50) / percentile(pca_ours, 50):>7.1f}x  "
              f"({verdict('pca', percentile(pca_ours, 50))})", flush=True)

    raw_ours = [timed(pca_2d, raw) * 1000 for _ in range(args.rounds)]
    raw_sklearn = [timed(PCA(2).fit_transform, raw) * 1000 for _ in range(args.rounds)]
    print(f"\nraw pixels, 2,000 × 784: pca_2d p50 {percentile(raw_ours, 50):.1f} ms, sklearn PCA(2) p50 "
          f"{percentile(raw_sklearn, 50):.1f} ms, ratio {percentile(raw_sklearn, 50) / percentile(raw_ours, 50):.1f}x "
          f"({verdict('pca', percentile(raw_ours, 50))})")


if __name__ == "__main__":
    main()
