"""The named checks a lesson's step can use: pure functions of what the student did.

What the student did is a list of `Event`s (the app records them: a page opened, a confusion-matrix
cell opened, two runs compared, a drawing labelled, a training finished) and the finished trainings
as `TrainedRun`s (from those events and from the run store). A check is `CHECKS[name]`: the
parameters it accepts, and a function `(progress, params) -> bool`. A lesson file names a check and
gives its parameters (`check = { name = "trained", preset = "mlp_relu_adam", min_accuracy = 0.98 }`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mnistlab.insight.advice import overfitting

PAGES = ("home", "dataset", "train", "evaluate", "inside", "draw", "experiments", "lessons")


@dataclass(frozen=True)
class Event:
    """One thing the student did: `kind` ("page_opened") and its details ({"page": "dataset"})."""

    kind: str
    details: tuple[tuple[str, Any], ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.details).get(name, default)

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, **dict(self.details)}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Event:
        data = json.loads(text)
        kind = data.pop("kind")
        return event(kind, **data)


def event(kind: str, **details: Any) -> Event:
    """An event whose details are JSON values (so it can be stored), lists made tuples (so it can be hashed)."""
    return Event(kind, tuple(sorted((name, _frozen(json.loads(json.dumps(value)))) for name, value in details.items())))


def _frozen(value: Any) -> Any:
    return tuple(_frozen(item) for item in value) if isinstance(value, list) else value


@dataclass(frozen=True)
class TrainedRun:
    """What the checks know about one finished training."""

    preset: str  # the spec's name: a preset's, "<preset>_modified" or "custom"
    optimizer: str
    activations: tuple[str, ...]
    dropout: bool  # a Dropout layer with a rate above 0
    epochs: int  # complete epochs
    accuracy: float | None = None  # on the test set, when the run was stored
    overfitting: bool = False  # the overfitting notice was shown for its curves
    key: str = ""  # the training's cache key, to join an event with its stored run

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], epochs: int, history: Mapping[str, Any] | None = None,
                  accuracy: float | None = None, key: str = "") -> TrainedRun:
        layers = spec.get("layers", [])
        activations = tuple(layer.get("activation") for layer in layers if layer.get("activation"))
        dropout = any(layer.get("kind") == "dropout" and float(layer.get("rate", 0)) > 0 for layer in layers)
        return cls(str(spec.get("name", "custom")), str(spec.get("optimizer", "")), activations, dropout, int(epochs),
                   accuracy, overfitting(history or {}) is not None, key)


def trained_event(spec: Mapping[str, Any], epochs: int, history: Mapping[str, Any], key: str) -> Event:
    """The event recorded when the session's training finished (its test accuracy comes from the store)."""
    run = TrainedRun.from_spec(spec, epochs, history, key=key)
    return event("trained", key=key, preset=run.preset, optimizer=run.optimizer, activations=list(run.activations),
                 dropout=run.dropout, epochs=run.epochs, overfitting=run.overfitting)


def run_from_event(recorded: Event) -> TrainedRun:
    return TrainedRun(recorded.get("preset", "custom"), recorded.get("optimizer", ""),
                      _frozen(recorded.get("activations", [])), bool(recorded.get("dropout")),
                      int(recorded.get("epochs", 0)), recorded.get("accuracy"), bool(recorded.get("overfitting")),
                      recorded.get("key", ""))


@dataclass(frozen=True)
class Progress:
    """Everything the checks read."""

    events: tuple[Event, ...] = ()
    runs: tuple[TrainedRun, ...] = ()

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


def progress_of(events: Iterable[Event], stored_runs: Iterable[TrainedRun] = ()) -> Progress:
    """The session's events, and its trainings: the stored runs given (those with a test accuracy), and
    the trainings recorded as events that the store does not have (served from the cache, say)."""
    events = tuple(dict.fromkeys(events))
    runs = list(stored_runs)
    known = {run.key for run in runs if run.key}
    runs += [run_from_event(e) for e in events if e.kind == "trained" and e.get("key", "") not in known]
    return Progress(events, tuple(runs))


def _page_opened(progress: Progress, params: Mapping[str, Any]) -> bool:
    return any(e.get("page") == params["page"] for e in progress.of_kind("page_opened"))


def _trained(progress: Progress, params: Mapping[str, Any]) -> bool:
    def fits(run: TrainedRun) -> bool:
        if "preset" in params and run.preset not in (params["preset"], f"{params['preset']}_modified"):
            return False
        if "optimizer" in params and run.optimizer != params["optimizer"]:
            return False
        if "activation" in params and params["activation"] not in run.activations:
            return False
        if "dropout" in params and run.dropout != bool(params["dropout"]):
            return False
        if "overfitting" in params and run.overfitting != bool(params["overfitting"]):
            return False
        if run.epochs < params.get("min_epochs", 1) or run.epochs > params.get("max_epochs", run.epochs):
            return False
        return "min_accuracy" not in params or (run.accuracy is not None and run.accuracy >= params["min_accuracy"])

    return any(fits(run) for run in progress.runs)


def _confusion_cell_opened(progress: Progress, params: Mapping[str, Any]) -> bool:
    cells = progress.of_kind("confusion_cell_opened")
    if params.get("off_diagonal", True):
        cells = [e for e in cells if e.get("true") != e.get("predicted")]
    return bool(cells)


def _runs_compared(progress: Progress, params: Mapping[str, Any]) -> bool:
    return bool(progress.of_kind("runs_compared"))


def _happened(kind: str) -> Callable[[Progress, Mapping[str, Any]], bool]:
    return lambda progress, params: bool(progress.of_kind(kind))


@dataclass(frozen=True)
class Check:
    """A named check: the parameters it takes (name → the type a lesson file must give) and its test."""

    test: Callable[[Progress, Mapping[str, Any]], bool]
    params: Mapping[str, type | tuple[type, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()


NUMBER = (int, float)
CHECKS: dict[str, Check] = {
    "page_opened": Check(_page_opened, {"page": str}, required=("page",)),
    "trained": Check(_trained, {"preset": str, "optimizer": str, "activation": str, "dropout": bool,
                                "overfitting": bool, "min_epochs": int, "max_epochs": int, "min_accuracy": NUMBER}),
    "confusion_cell_opened": Check(_confusion_cell_opened, {"off_diagonal": bool}),
    "runs_compared": Check(_runs_compared),
    "drawing_labelled": Check(_happened("drawing_labelled")),
    "model_saved": Check(_happened("model_saved")),
    "model_loaded": Check(_happened("model_loaded")),
    "digit_inspected": Check(_happened("digit_inspected")),
    "preset_loaded": Check(lambda p, params: any(e.get("preset") == params["preset"]
                                                 for e in p.of_kind("preset_loaded")), {"preset": str},
                           required=("preset",)),
}


def passes(name: str, params: Mapping[str, Any], progress: Progress) -> bool:
    """Whether the named check holds (the lesson loader checked the name and parameters)."""
    return CHECKS[name].test(progress, params)
