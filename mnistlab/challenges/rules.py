"""A challenge's rules: what a model may be, as a frozen value that checks a spec.

The rules are policy, not a model's own constraints: a spec that breaks one is a fine model, only not
one that counts for this challenge. `check` is the one source of every rule's message — the builder shows
it before anyone trains, the Train page checks it again where the training is submitted, and the
leaderboard only counts stored runs whose spec passes it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from mnistlab.data.dataset import DATASET_NAMES
from mnistlab.errors import MnistlabError, SpecError
from mnistlab.i18n import L_, N_, Message
from mnistlab.model.layers import LAYER_KINDS, LAYER_TITLES
from mnistlab.model.spec import LIMITS, MAX_PARAMS, MIN_TRAIN_SUBSET, OPTIMIZER_TITLES, OPTIMIZERS, ModelSpec
from mnistlab.model.spec import param_count as spec_param_count

SCORINGS = ("test", "drawings")  # the dataset's test set, or the class's own labelled drawings


class ChallengeError(MnistlabError):
    """A challenge cannot be made, found or shown as asked."""


def _whole(name: str, value: Any, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ChallengeError("rule_range", N_("The rule {rule} must be a whole number from {low:,} to {high:,}, "
                                              "not {value}."), rule=name, low=low, high=high, value=repr(value))
    return value


def _among(name: str, value: Any, known: tuple[str, ...]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise ChallengeError("rule_choices", N_("The rule {rule} must be a list of names from {known}."),
                             rule=name, known=", ".join(known))
    unknown = sorted(set(value) - set(known))
    if unknown or not value:
        raise ChallengeError("rule_choices", N_("The rule {rule} must be a list of names from {known}."),
                             rule=name, known=", ".join(known))
    return tuple(item for item in known if item in value)  # the table's order, each once


def _names(items: tuple[str, ...], titles: dict[str, str]) -> str:
    return ", ".join(titles.get(item, item) for item in items)


@dataclass(frozen=True)
class Rules:
    """What a model must be to count. None: no rule of that kind. `ends_at` (a Unix time) is when the
    challenge closes, None until the teacher ends it."""

    dataset: str = "mnist"
    max_params: int | None = None
    max_epochs: int | None = None
    max_train_size: int | None = None
    layer_kinds: tuple[str, ...] | None = None
    optimizers: tuple[str, ...] | None = None
    ends_at: float | None = None
    scoring: str = "test"

    def __post_init__(self) -> None:
        if self.dataset not in DATASET_NAMES:
            raise ChallengeError("rule_dataset", N_("A challenge's dataset is one of {names}, not {value}."),
                                 names=", ".join(DATASET_NAMES), value=repr(self.dataset))
        if self.scoring not in SCORINGS:
            raise ChallengeError("rule_scoring", N_("A challenge is scored on one of {names}, not {value}."),
                                 names=", ".join(SCORINGS), value=repr(self.scoring))
        if self.scoring == "drawings" and self.dataset != "mnist":
            raise ChallengeError("drawings_not_digits", N_("The class's drawings are digits: only an MNIST "
                                                           "challenge can be scored on them."))
        object.__setattr__(self, "max_params", _whole("max_params", self.max_params, 1, MAX_PARAMS))
        object.__setattr__(self, "max_epochs", _whole("max_epochs", self.max_epochs, *LIMITS["epochs"]))
        object.__setattr__(self, "max_train_size", _whole("max_train_size", self.max_train_size, MIN_TRAIN_SUBSET,
                                                          LIMITS["train_size"][1]))
        object.__setattr__(self, "layer_kinds", _among("layer_kinds", self.layer_kinds, LAYER_KINDS))
        object.__setattr__(self, "optimizers", _among("optimizers", self.optimizers, OPTIMIZERS))
        if self.ends_at is not None and (isinstance(self.ends_at, bool) or not isinstance(self.ends_at, int | float)
                                         or not math.isfinite(self.ends_at)):
            raise ChallengeError("rule_end", N_("A challenge's end is a time, not {value}."), value=repr(self.ends_at))

    # --- as stored -------------------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Rules:
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            raise ChallengeError("rules_unreadable", N_("These challenge rules cannot be read.")) from None
        if not isinstance(data, dict):
            raise ChallengeError("rules_unreadable", N_("These challenge rules cannot be read."))
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    # --- the rules applied ------------------------------------------------------------------------------------
    def check(self, spec: ModelSpec, dataset: str | None = None) -> None:
        """SpecError (code `challenge_rule`, `params["rule"]` the rule's name) naming the first rule `spec`
        breaks, with its numbers; `dataset`, when given, is the name of the dataset it would train on."""
        if dataset is not None and dataset != self.dataset:
            raise SpecError("challenge_rule", N_("Challenge rule: train on {wanted}; this training uses {used}."),
                            rule="dataset", wanted=DATASET_NAMES[self.dataset],
                            used=DATASET_NAMES.get(dataset, dataset))
        if self.max_params is not None:
            count = spec_param_count(spec)
            if count > self.max_params:
                raise SpecError("challenge_rule", N_("Challenge rule: at most {most:,} parameters; this model has "
                                                     "{count:,}."), rule="max_params", most=self.max_params,
                                count=count)
        if self.max_epochs is not None and spec.epochs > self.max_epochs:
            raise SpecError("challenge_rule", N_("Challenge rule: at most {most} epochs; this training has {count}."),
                            rule="max_epochs", most=self.max_epochs, count=spec.epochs)
        if self.max_train_size is not None and not 0 < spec.train_size <= self.max_train_size:
            if spec.train_size == 0:
                raise SpecError("challenge_rule", N_("Challenge rule: at most {most:,} training images; this training "
                                                     "uses all of them (Training subset 0)."),
                                rule="max_train_size", most=self.max_train_size)
            raise SpecError("challenge_rule", N_("Challenge rule: at most {most:,} training images; this training uses "
                                                 "{count:,}."), rule="max_train_size", most=self.max_train_size,
                            count=spec.train_size)
        if self.layer_kinds is not None:
            for index, layer in enumerate(spec.layers, start=1):
                if layer.kind not in self.layer_kinds:
                    raise SpecError("challenge_rule", N_("Challenge rule: only {allowed} layers; layer {index} is "
                                                         "{kind}."), rule="layer_kinds", index=index,
                                    allowed=_names(self.layer_kinds, LAYER_TITLES), kind=LAYER_TITLES[layer.kind])
        if self.optimizers is not None and spec.optimizer not in self.optimizers:
            raise SpecError("challenge_rule", N_("Challenge rule: only the optimizers {allowed}; this training uses "
                                                 "{used}."), rule="optimizers", used=OPTIMIZER_TITLES[spec.optimizer],
                            allowed=_names(self.optimizers, OPTIMIZER_TITLES))

    def allows(self, spec: ModelSpec, dataset: str | None = None) -> bool:
        try:
            self.check(spec, dataset)
        except SpecError:
            return False
        return True

    def fixed(self) -> dict[str, Any]:
        """What the rules do to the builder's controls: `{control: value}` for a control they fix to one
        value ("dataset", "optimizer"), `{setting: (low, high)}` for a number they bound ("epochs",
        "train_size"), and the choices left for "optimizer" and "layer_kinds" under `"<name>_choices"`."""
        view: dict[str, Any] = {"dataset": self.dataset,
                                "optimizer_choices": self.optimizers or OPTIMIZERS,
                                "layer_kinds_choices": self.layer_kinds or LAYER_KINDS}
        if self.optimizers is not None and len(self.optimizers) == 1:
            view["optimizer"] = self.optimizers[0]
        if self.max_epochs is not None:
            view["epochs"] = (LIMITS["epochs"][0], self.max_epochs)
        if self.max_train_size is not None:
            view["train_size"] = (0, self.max_train_size)  # 0 (all) stays typeable; check() names the rule then
        return view

    def describe(self) -> list[Message]:
        """The rules in plain words, one a line, for the pages."""
        lines = [L_("Dataset: {name}", name=DATASET_NAMES[self.dataset])]
        if self.max_params is not None:
            lines.append(L_("At most {most:,} parameters", most=self.max_params))
        if self.max_epochs is not None:
            lines.append(L_("At most {most} epochs", most=self.max_epochs))
        if self.max_train_size is not None:
            lines.append(L_("At most {most:,} training images", most=self.max_train_size))
        if self.layer_kinds is not None:
            lines.append(L_("Layers: {names} only", names=_names(self.layer_kinds, LAYER_TITLES)))
        if self.optimizers is not None:
            lines.append(L_("Optimizers: {names} only", names=_names(self.optimizers, OPTIMIZER_TITLES)))
        if self.scoring == "drawings":
            lines.append(L_("Scored on the class's own labelled drawings"))
        else:
            lines.append(L_("Scored on the {name} test set", name=DATASET_NAMES[self.dataset]))
        return lines

