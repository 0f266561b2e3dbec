"""How many students one server holds: trainings per minute per core for the lessons' presets.

Each built-in lesson starts from a preset (lesson 000 from mlp_tanh_sgd, 001 cnn_deep_adagrad, 002
cnn_lenet_tanh, 003 mlp_relu_adam, 004 mlp_relu_rmsprop). A student in class trains it first as the
Train page's **Quick run** (3,000 images, as many epochs as give about 150 weight updates) and then,
maybe, as the preset says. This script trains both, through `mnistlab.engine.train.train` (what a
worker runs, tracing included, no cache), in one process pinned to one core with TensorFlow on one
thread — one trainer of the app — on the offline MNIST sample, and prints seconds per training and
trainings per minute per core. A server with k trainers serves about k times that.

How to read it: a class of S students who each press Train at once waits up to S / (rate × k)
minutes for the last one; the README's quick start quotes these figures.

    python bench/class_capacity.py [--rounds 2] [--lessons 000,001,002,003,004] [--full]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402,F401 (quiet TensorFlow)


def one_core() -> None:
    """This process on one CPU, TensorFlow on one thread: one trainer."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def quick_run(spec, dataset):
    """The Train page's Quick run of `spec` (the same arithmetic as app_pages/train.py's quick_epochs)."""
    from mnistlab.engine.train import weight_updates

    images, updates = min(3000, len(dataset.x_train)), 150
    per_epoch = max(weight_updates(images, spec.validation_split, spec.batch_size, 1).total, 1)
    return spec.replace(train_size=images, epochs=max(-(-updates // per_epoch), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="trainings timed per lesson and kind")
    parser.add_argument("--lessons", default="000,001,002,003,004")
    parser.add_argument("--full", action="store_true", help="also the preset's own settings (slow: mlp_tanh_sgd "
                                                            "trains 100 epochs)")
    args = parser.parse_args()
    one_core()

    from mnistlab import load_dataset
    from mnistlab.engine.train import train
    from mnistlab.lessons.lessons import load_lessons
    from mnistlab.model.presets import PRESETS

    dataset = load_dataset("mnist", "sample")
    lessons = {lesson.id: lesson for lesson in load_lessons()[0]}
    print(f"data: {dataset.source}; one core, TensorFlow on one thread; {args.rounds} trainings each, median")
    print(f"{'lesson':7} {'preset':18} {'kind':10} {'epochs':>6} {'images':>6} {'s / training':>13} "
          f"{'per min / core':>15}")
    for lesson_id in args.lessons.split(","):
        preset = lessons[lesson_id].preset
        kinds = [("quick run", quick_run(PRESETS[preset].spec, dataset))]
        if args.full:
            kinds.append(("preset", PRESETS[preset].spec))
        for kind, spec in kinds:
            seconds = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                train(spec, dataset, use_cache=False)
                seconds.append(time.perf_counter() - start)
            median = statistics.median(seconds)
            images = spec.train_size or len(dataset.x_train)
            print(f"{lesson_id:7} {preset:18} {kind:10} {spec.epochs:>6} {images:>6} {median:>13.1f} "
                  f"{60 / median:>15.1f}", flush=True)


if __name__ == "__main__":
    main()
