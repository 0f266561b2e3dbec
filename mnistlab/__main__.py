"""Command line: `python -m mnistlab presets` and `python -m mnistlab train --preset NAME`.

For teachers who pre-train before class (the app's cache is shared), and for scripts.
"""

from __future__ import annotations

import argparse
import sys

from mnistlab.errors import MnistlabError
from mnistlab.presets import PRESETS
from mnistlab.spec import param_count


def _presets(_: argparse.Namespace) -> int:
    for preset in PRESETS.values():
        spec = preset.spec
        print(f"{preset.name:<18} {param_count(spec):>9,} params  {spec.epochs:>3} epochs  {preset.title}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from mnistlab.data import load_dataset
    from mnistlab.evaluate import evaluate
    from mnistlab.train import Progress, train

    spec = PRESETS[args.preset].spec
    changes = {k: v for k, v in {"epochs": args.epochs, "train_size": args.train_size, "seed": args.seed}.items()
               if v is not None}
    spec = spec.replace(**changes)
    dataset = load_dataset(args.dataset, args.source)
    print(f"Data: {dataset.source}")
    print(f"Model: {args.preset}, {param_count(spec):,} parameters, {spec.epochs} epochs")

    def report(progress: Progress) -> None:
        logs = progress.logs
        val = f"  val_accuracy {logs['val_accuracy']:.4f}" if "val_accuracy" in logs else ""
        print(f"epoch {progress.epoch}/{progress.epochs}  loss {logs.get('loss', float('nan')):.4f}  "
              f"accuracy {logs.get('accuracy', float('nan')):.4f}{val}  {progress.elapsed:.1f} s", flush=True)

    result = train(spec, dataset, on_epoch=report, use_cache=not args.no_cache)
    print(result.message)
    scores = evaluate(result.model, dataset)
    print(f"Test accuracy: {scores.accuracy:.4f}  (test loss {scores.loss:.4f}, {len(scores.y_true):,} images)")
    if args.out:
        result.model.save(args.out)
        print(f"Saved the model to {args.out}")
    return 0 if not result.diverged else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnistlab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("presets", help="list the tutorial models").set_defaults(run=_presets)
    trainer = commands.add_parser("train", help="train a preset and print its test accuracy")
    trainer.add_argument("--preset", required=True, choices=sorted(PRESETS))
    trainer.add_argument("--epochs", type=int)
    trainer.add_argument("--train-size", type=int, help="train on a stratified subset of this many images")
    trainer.add_argument("--seed", type=int)
    trainer.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    trainer.add_argument("--source", default="auto", help="auto, keras, sample, or a path to an .npz or IDX folder")
    trainer.add_argument("--out", help="save the trained model to this .keras file")
    trainer.add_argument("--no-cache", action="store_true", help="train even if this run is cached")
    trainer.set_defaults(run=_train)
    args = parser.parse_args(argv)
    if getattr(args, "out", None) and not args.out.endswith(".keras"):
        parser.error("--out must end in .keras")
    try:
        return args.run(args)
    except MnistlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
