"""Training speed: mnistlab's train() against a plain `model.fit`, same model, same data.

Plain fit is what the tutorials do: convert the whole training set to float32 once, then
fit. train() keeps the data uint8 and scales each batch inside the graph. Both fit the
same spec (same build_model, seed, batch size and epochs) with no validation, in rounds
that alternate which goes first, after one warm-up run of each.

Three times are reported, medians over the rounds:
  call     the whole call: build + data preparation + fit
  epoch 1  the first epoch, which includes tracing the training step
  later    the median of epochs 2.. (steady state; needs --epochs 2 or more)
Epochs are timed the same way on both sides (from on_epoch_begin to on_epoch_end).
train() runs in float32 here, as plain fit does. Where the CPU computes in bfloat16 itself (AMX or
AVX-512 BF16 in /proc/cpuinfo), a second table compares train() in float32 with train() in mixed
bfloat16 (ratio = float32 / bfloat16); elsewhere it says so and prints none.

How to read it: each ratio is plain / train(); above 1.0 means train() is faster, below
1.0 slower. The machine is shared and noisy, so compare the two sides of one run only,
and treat differences under about 10% as noise.

`--worker` compares instead a training through the app's Dask worker (a one-worker
embedded engine and a `JobRegistry`, timed from submit to the result — model bytes
included — with a fresh cache folder each round, so nothing is served from the cache)
against `train()` in this process, same spec (default mlp_relu_adam, 1 epoch, all 60,000
images), interleaved rounds after a warm-up of each. Ratio = in-process / worker; goal
≥ 0.9. The worker runs niced (lower CPU priority than the app) and with TensorFlow's
deterministic ops, both on purpose; both cost some speed on a busy machine.

    python bench/train_speed.py [--rounds 3] [--epochs 2] [--dataset fashion_mnist]
                                [--presets mlp_relu_adam,cnn_lenet_tanh] [--train-size 0]
    python bench/train_speed.py --worker [--rounds 3] [--presets mlp_relu_adam]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import benchmark_dataset, epoch_timer, median  # noqa: E402


def plain_fit(spec, dataset) -> tuple[float, list[float]]:
    """The tutorials' way; returns (whole call seconds, per-epoch seconds)."""
    import keras
    import numpy as np

    from mnistlab import build_model

    started = time.perf_counter()
    keras.utils.set_random_seed(spec.seed)
    model = build_model(spec)
    x = np.expand_dims(dataset.x_train.astype("float32") / 255, -1)
    y = keras.utils.to_categorical(dataset.y_train, 10)
    timer = epoch_timer()
    model.fit(x, y, batch_size=spec.batch_size, epochs=spec.epochs, shuffle=True, verbose=0, callbacks=[timer])
    return time.perf_counter() - started, timer.seconds


def ours(spec, dataset, precision: str = "float32", accuracies: list[float] | None = None) -> tuple[float, list[float]]:
    """mnistlab.engine.train without its disk cache; returns (whole call seconds, per-epoch seconds).
    With `accuracies`, the trained model's test accuracy is appended to it (measured after the timing)."""
    from mnistlab import train

    started = time.perf_counter()
    result = train(spec, dataset, use_cache=False, precision=precision)
    seconds = time.perf_counter() - started
    if accuracies is not None:
        from mnistlab.insight.evaluate import evaluate

        accuracies.append(evaluate(result.model, dataset).accuracy)
    return seconds, result.history["epoch_seconds"]


def summarise(runs: list[tuple[float, list[float]]]) -> tuple[float, float, float]:
    """Medians over rounds of (whole call, first epoch, later epochs)."""
    later = [s for _, epochs in runs for s in epochs[1:]]
    return (
        median([call for call, _ in runs]),
        median([epochs[0] for _, epochs in runs]),
        median(later) if later else float("nan"),
    )


def print_rows(name: str, plain: tuple[float, ...], mine: tuple[float, ...],
               sides: tuple[str, str] = ("plain", "train()")) -> None:
    print(f"{name:<16} {sides[0]:>8} " + " ".join(f"{v:>7.2f}s" for v in plain))
    print(f"{'':<16} {sides[1]:>8} " + " ".join(f"{v:>7.2f}s" for v in mine))
    print(f"{'':<16} {'ratio':>8} " + " ".join(f"{p / o:>8.2f}" for p, o in zip(plain, mine, strict=True)), flush=True)


def through_worker(engine, spec, dataset) -> tuple[float, float]:
    """One training through a fresh registry (a fresh cache folder) on `engine`: (submit → result
    seconds, the worker's own train() seconds)."""
    import tempfile

    from mnistlab.engine.jobs import DONE, JobRegistry

    with tempfile.TemporaryDirectory() as cache:
        registry = JobRegistry(max_jobs=1, cache_dir=cache, engine=engine)  # the newest one gets the events
        started = time.perf_counter()
        job = registry.submit(spec, dataset, "train_speed")
        job.wait(1800)
        elapsed = time.perf_counter() - started
        if job.state != DONE or job.result.cached:
            raise RuntimeError(f"the worker's training ended {job.state} (cached: {job.result and job.result.cached})"
                               f" {job.error}")
        return elapsed, job.result.seconds


def worker_mode(args, dataset) -> None:
    from mnistlab import PRESETS, train
    from mnistlab.engine.cluster import start_engine

    def in_process(spec):
        started = time.perf_counter()
        result = train(spec, dataset, use_cache=False)
        return time.perf_counter() - started, result.seconds

    started = time.perf_counter()
    engine = start_engine(n_workers=1)
    print(f"one-worker embedded engine up in {time.perf_counter() - started:.1f} s; the worker is niced "
          f"(lower CPU priority) and uses deterministic ops, the in-process train() neither")
    print(f"{len(dataset.x_train):,} training images, {args.epochs} epoch(s), {args.rounds} alternating rounds "
          f"after a warm-up, {args.settle:g} s pause before each; times are medians; "
          "ratio = in-process / worker (goal ≥ 0.9)")
    print(f"{'preset':<16} {'in-process':>10} {'worker':>8} {'(its train)':>11} {'ratio':>6}  "
          "rounds (in-process/worker)")
    try:
        for name in args.presets.split(","):
            spec = PRESETS[name].spec.replace(epochs=args.epochs, train_size=args.train_size)
            warm = spec.replace(epochs=1, train_size=1000)
            in_process(warm)
            through_worker(engine, warm, dataset)  # the worker loads the dataset once
            mine, theirs = [], []
            for round_ in range(args.rounds):
                sides = [(in_process, mine), (lambda s: through_worker(engine, s, dataset), theirs)]
                for run, runs in sides if round_ % 2 == 0 else sides[::-1]:
                    time.sleep(args.settle)  # the other side's threads wind down before this one starts
                    runs.append(run(spec))
            ours_s, worker_s, worker_train = (median([r[0] for r in mine]), median([r[0] for r in theirs]),
                                              median([r[1] for r in theirs]))
            rounds = " ".join(f"{a[0]:.1f}/{b[0]:.1f}" for a, b in zip(mine, theirs, strict=True))
            print(f"{name:<16} {ours_s:>9.2f}s {worker_s:>7.2f}s {worker_train:>10.2f}s {ours_s / worker_s:>6.2f}  "
                  f"{rounds}", flush=True)
    finally:
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--dataset", default="fashion_mnist")
    parser.add_argument("--presets", default="mlp_relu_adam,cnn_lenet_tanh")
    parser.add_argument("--train-size", type=int, default=0, help="train on a subset of this many images (0: all)")
    parser.add_argument("--worker", action="store_true",
                        help="through a Dask worker vs train() in-process (default presets mlp_relu_adam, 1 epoch)")
    parser.add_argument("--settle", type=float, default=3.0, help="--worker: seconds of pause before each timed run")
    args = parser.parse_args()

    from mnistlab import PRESETS

    dataset = benchmark_dataset(args.dataset)
    if args.worker:
        argv = " ".join(sys.argv)
        args.presets = args.presets if "--presets" in argv else "mlp_relu_adam"
        args.epochs = args.epochs if "--epochs" in argv else 1
        worker_mode(args, dataset)
        return
    if args.train_size:
        dataset = dataset.subset_train(args.train_size, seed=0)
    warm_data = dataset.subset_train(1000, seed=0)
    print(f"{len(dataset.x_train):,} training images, {args.epochs} epoch(s), no validation, "
          f"{args.rounds} alternating rounds after a warm-up; ratio = plain / train(), above 1.0: train() faster")
    print(f"{'preset':<16} {'':>8} {'call':>8} {'epoch 1':>8} {'later':>8}")
    for name in args.presets.split(","):
        spec = PRESETS[name].spec.replace(epochs=args.epochs, validation_split=0.0, train_size=0)
        warm = spec.replace(epochs=1)
        plain_fit(warm, warm_data)
        ours(warm, warm_data)
        plain_runs, our_runs = [], []
        for round_ in range(args.rounds):
            sides = [(plain_fit, plain_runs), (ours, our_runs)]
            for run, runs in sides if round_ % 2 == 0 else sides[::-1]:
                runs.append(run(spec, dataset))
        print_rows(name, summarise(plain_runs), summarise(our_runs))
    bfloat16_rows(args, dataset)


def bfloat16_rows(args, dataset) -> None:
    """train() in float32 against train() in mixed bfloat16, where the CPU computes in bfloat16 itself."""
    from mnistlab import PRESETS
    from mnistlab.engine.precision import MIXED_BFLOAT16, bfloat16_supported

    if not bfloat16_supported():
        print("bfloat16: not supported on this CPU (no amx_bf16 or avx512_bf16 in /proc/cpuinfo): float32 only")
        return
    print(f"bfloat16: ratio = train() in float32 / train() in {MIXED_BFLOAT16}, above 1.0: bfloat16 faster; "
          "test accuracy: the median over rounds of each side's model on the test set (goal: within 0.5 %)")
    for name in args.presets.split(","):
        spec = PRESETS[name].spec.replace(epochs=args.epochs, validation_split=0.0, train_size=0)
        float32_runs, bf16_runs = [], []
        accuracy = {"float32": [], MIXED_BFLOAT16: []}
        for round_ in range(args.rounds):
            sides = [("float32", float32_runs), (MIXED_BFLOAT16, bf16_runs)]
            for precision, runs in sides if round_ % 2 == 0 else sides[::-1]:
                runs.append(ours(spec, dataset, precision, accuracy[precision]))
        print_rows(name, summarise(float32_runs), summarise(bf16_runs), ("float32", "bfloat16"))
        f32, bf16 = median(accuracy["float32"]), median(accuracy[MIXED_BFLOAT16])
        print(f"{'':<16} {'accuracy':>8} float32 {f32:.4f}, bfloat16 {bf16:.4f} ({(bf16 - f32) * 100:+.2f} %)",
              flush=True)


if __name__ == "__main__":
    main()
