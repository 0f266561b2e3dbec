"""Command line: `python -m mnistlab presets`, `train --preset NAME`, `script --preset NAME`, `make-default-model`.

For teachers who pre-train before class (the app's cache is shared), and for scripts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mnistlab import i18n
from mnistlab.errors import DataError, MnistlabError
from mnistlab.i18n import N_, tr
from mnistlab.model.presets import PRESETS
from mnistlab.model.spec import ModelSpec, param_count


def _presets(_: argparse.Namespace) -> int:
    for preset in PRESETS.values():
        spec = preset.spec
        print(f"{preset.name:<18} {param_count(spec):>9,} params  {spec.epochs:>3} epochs  {tr(preset.title)}")
    return 0


def _preset_spec(args: argparse.Namespace) -> ModelSpec:
    """The preset with the command line's changes; SpecError if they break a limit."""
    changes = {k: v for k, v in {"epochs": args.epochs, "train_size": args.train_size, "seed": args.seed}.items()
               if v is not None}
    return PRESETS[args.preset].spec.replace(**changes)


def _script(args: argparse.Namespace) -> int:
    from mnistlab.model.script import to_keras_script

    spec = _preset_spec(args)
    if not args.out:
        print(to_keras_script(spec, dataset=args.dataset), end="")
        return 0
    out = Path(args.out)
    try:
        out.write_text(to_keras_script(spec, dataset=args.dataset, model_file=out.stem + ".keras"), encoding="utf-8")
    except OSError as error:
        raise DataError("cannot_write", N_("Cannot write {path}: {reason}."), path=str(out),
                        reason=error.strerror or str(error)) from error
    print(f"Wrote {out}: run it with `python {out}`.")
    return 0


def _train(args: argparse.Namespace) -> int:
    from mnistlab.data.load import load_dataset
    from mnistlab.engine.result import Progress
    from mnistlab.engine.train import train
    from mnistlab.insight.evaluate import evaluate

    spec = _preset_spec(args)
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


def _make_default_model(args: argparse.Namespace) -> int:
    from mnistlab.data.load import load_dataset
    from mnistlab.engine.train import train
    from mnistlab.insight.evaluate import evaluate
    from mnistlab.model.default import shipped_spec
    from mnistlab.model.io import model_to_bytes

    out = Path(args.out)
    spec = shipped_spec().replace(epochs=args.epochs)
    print(f"Model: draw_default, {param_count(spec):,} parameters, {spec.epochs} epochs, augmentation "
          f"{spec.augmentation}, on the offline sample's 4,000 training digits", flush=True)

    def report(progress) -> None:
        logs = progress.logs
        print(f"epoch {progress.epoch}/{progress.epochs}  loss {logs.get('loss', float('nan')):.4f}  "
              f"accuracy {logs.get('accuracy', float('nan')):.4f}  {progress.elapsed:.1f} s", flush=True)

    sample = load_dataset("mnist", "sample")
    result = train(spec, sample, on_epoch=report, use_cache=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(model_to_bytes(result.model))
    scores = evaluate(result.model, sample)
    print(f"Test accuracy on the sample's {len(scores.y_true):,} test digits: {scores.accuracy:.4f}")
    print(f"Wrote {out} ({out.stat().st_size / 1024:,.0f} KiB)")
    return 0 if result.complete else 1


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
    scripter = commands.add_parser("script", help="write a preset as a plain Keras script (trains what the app trains)")
    scripter.add_argument("--preset", required=True, choices=sorted(PRESETS))
    scripter.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    scripter.add_argument("--epochs", type=int)
    scripter.add_argument("--train-size", type=int, help="train on a stratified subset of this many images")
    scripter.add_argument("--seed", type=int)
    scripter.add_argument("--out", help="write the script to this .py file (default: print it)")
    scripter.add_argument("--lang", choices=list(i18n.LANGUAGES),
                          help="the language of the script's comments (default: MNISTLAB_LANG, else English)")
    scripter.set_defaults(run=_script)
    from mnistlab.model.default import DEFAULT_MODEL_FILE, SHIPPED_EPOCHS

    maker = commands.add_parser("make-default-model",
                                help="train the Draw page's default model on the offline sample and write the file "
                                     "the app ships")
    maker.add_argument("--epochs", type=int, default=SHIPPED_EPOCHS)
    maker.add_argument("--out", default=str(DEFAULT_MODEL_FILE), help="default: the file in the package")
    maker.set_defaults(run=_make_default_model)
    args = parser.parse_args(argv)
    suffix = ".py" if args.command == "script" else ".keras"
    if getattr(args, "out", None) and not args.out.endswith(suffix):
        parser.error(f"--out must end in {suffix}")
    if getattr(args, "lang", None):  # the script's comments (and any error) in this language, not MNISTLAB_LANG's
        i18n.set_language_source(lambda: args.lang)
    try:
        return args.run(args)
    except MnistlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if getattr(args, "lang", None):
            i18n.set_language_source(None)


if __name__ == "__main__":
    sys.exit(main())
