"""Two runs side by side: what differs in their specs, and how their results differ.

Plain data in, plain data out: specs as the dicts the run store keeps, results as
`Evaluation`s of the same test set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mnistlab.errors import SpecError
from mnistlab.i18n import _, tr
from mnistlab.model.spec import SETTING_TITLES, ModelSpec, output_layer_title

SETTINGS = ("optimizer", "learning_rate", "momentum", "nesterov", "decay", "batch_size", "epochs",
            "validation_split", "train_size", "seed")


@dataclass(frozen=True)
class Difference:
    what: str  # "layer 2" or a setting's title, in the reader's language
    a: str
    b: str
    layer: int | None = None  # the layer's position, from 1, when a layer differs
    setting: str | None = None  # the setting's field name (one of SETTINGS) when a setting differs


def _layers(spec: dict[str, Any]) -> list[str]:
    try:
        return [layer.describe() for layer in ModelSpec.from_dict(spec).layers] + [output_layer_title()]
    except SpecError:  # a spec from an older version: compare what it says, as written
        return [str(layer) for layer in spec.get("layers", [])]


def spec_differences(a: dict[str, Any], b: dict[str, Any]) -> list[Difference]:
    """The layers (by position) and training settings in which two specs differ; [] when equal."""
    out = []
    layers_a, layers_b = _layers(a), _layers(b)
    for i in range(max(len(layers_a), len(layers_b))):
        left = layers_a[i] if i < len(layers_a) else "—"
        right = layers_b[i] if i < len(layers_b) else "—"
        if left != right:
            out.append(Difference(_("layer {index}", index=i + 1), left, right, layer=i + 1))
    for name in SETTINGS:
        left, right = a.get(name), b.get(name)
        if left != right:
            out.append(Difference(tr(SETTING_TITLES[name]), "—" if left is None else f"{left}",
                                  "—" if right is None else f"{right}", setting=name))
    return out


def accuracy_change(ev_a: Any, ev_b: Any) -> np.ndarray:
    """(10,) per-class accuracy (recall) of B minus A, as fractions."""
    _same_test_set(ev_a, ev_b)
    return np.asarray(ev_b.recall, dtype=float) - np.asarray(ev_a.recall, dtype=float)


def confusion_difference(ev_a: Any, ev_b: Any) -> np.ndarray:
    """(10, 10) confusion counts of B minus A (rows true, columns predicted)."""
    _same_test_set(ev_a, ev_b)
    return np.asarray(ev_b.confusion, dtype=np.int64) - np.asarray(ev_a.confusion, dtype=np.int64)


def _same_test_set(ev_a: Any, ev_b: Any) -> None:
    if len(ev_a.y_true) != len(ev_b.y_true) or not np.array_equal(ev_a.y_true, ev_b.y_true):
        raise ValueError("The two evaluations are not on the same test set.")
