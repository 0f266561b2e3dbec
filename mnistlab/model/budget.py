"""How much memory training a spec takes, worked out from its shapes, and the per-training budget.

One class shares one small server (Streamlit Community Cloud: about 2.7 GB), so a spec whose
training would not fit is refused by the server's policy (`check_server_limits`: in the builder, where
the student sees the numbers and what to shrink, and when a training is submitted). A spec itself
knows nothing of this budget: a stored spec loads whatever the budget is now.
The estimate counts float32 weights, their gradients, the optimizer's slots (Adam keeps two
numbers per weight) and the activations of one batch: every layer's output, the training
wrapper's uint8 input and its scaled copy included, kept for the backward pass, which needs
about as much again for their gradients. It leaves out TensorFlow's own fixed overhead and the
dataset, which every training shares.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from mnistlab.errors import SpecError
from mnistlab.i18n import L_, N_, Message
from mnistlab.model.layers import KINDS
from mnistlab.model.spec import INPUT_SHAPE, MAX_PARAMS, OPTIMIZER_TITLES, LayerRow, ModelSpec, layer_table

FLOAT_BYTES = 4
MB = 2**20
BUDGET_VARIABLE = "MNISTLAB_TRAINING_MEMORY_MB"
BACKWARD_FACTOR = 2  # the backward pass holds a gradient for every activation it keeps


def training_memory_budget() -> int:
    """The per-training budget in bytes: MNISTLAB_TRAINING_MEMORY_MB, or what a worker of this box leaves
    a training after TensorFlow and the data (mnistlab.box)."""
    text = os.environ.get(BUDGET_VARIABLE, "").strip()
    try:
        megabytes = float(text) if text else math.nan
    except ValueError:
        megabytes = math.nan
    if not (math.isfinite(megabytes) and megabytes > 0):
        from mnistlab.box import server_training_budget

        return server_training_budget()
    return int(megabytes * MB)


def optimizer_slots(spec: ModelSpec) -> int:
    """Numbers the optimizer keeps per trainable weight (Keras 3's defaults, as build.py makes them)."""
    if spec.optimizer == "sgd":
        return 1 if spec.momentum > 0 else 0  # the velocity
    # Adam: first and second moments; RMSprop: the running mean square (momentum is SGD-only
    # here); Adagrad: the sum of squares; Adadelta: running means of squared gradients and updates.
    return {"adam": 2, "rmsprop": 1, "adagrad": 1, "adadelta": 2}[spec.optimizer]


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes needed to train a spec, by what holds them."""

    weights: int
    gradients: int
    optimizer_slots: int
    activations: int
    params: int
    trainable_params: int
    batch_size: int
    optimizer: str

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer_slots + self.activations

    @property
    def parameter_bytes(self) -> int:
        return self.weights + self.gradients + self.optimizer_slots

    def parts(self) -> Message:
        """E.g. 'weights 2,098 MB, gradients 2,098 MB, Adam's slots 4,196 MB, activations 50 MB (batch 128)'."""
        return L_("weights {weights}, gradients {gradients}, {optimizer}'s slots {slots}, activations {activations} "
                  "(batch {batch:,})", weights=megabytes(self.weights), gradients=megabytes(self.gradients),
                  optimizer=OPTIMIZER_TITLES[self.optimizer], slots=megabytes(self.optimizer_slots),
                  activations=megabytes(self.activations), batch=self.batch_size)


def megabytes(size: int) -> str:
    value = size / MB
    return f"{value:,.0f} MB" if value >= 10 else f"{value:.1f} MB"


def _trainable(row: LayerRow) -> int:
    """Its weights that get a gradient (BatchNormalization's moving mean and variance do not)."""
    return KINDS[row.kind].trainable(row.params)


def _activation_bytes(rows: list[LayerRow]) -> int:
    """Per image: the wrapper's uint8 input, its float copy, then every layer's output."""
    pixels = math.prod(INPUT_SHAPE)
    floats = pixels + sum(math.prod(row.output_shape) for row in rows)
    return pixels + floats * FLOAT_BYTES * BACKWARD_FACTOR


def training_memory(spec: ModelSpec, rows: list[LayerRow] | None = None) -> MemoryEstimate:
    """What training `spec` needs, in bytes; `rows` is its layer_table when the caller has it."""
    rows = layer_table(spec) if rows is None else rows
    params = sum(row.params for row in rows)
    trainable = sum(_trainable(row) for row in rows)
    return MemoryEstimate(
        weights=params * FLOAT_BYTES,
        gradients=trainable * FLOAT_BYTES,
        optimizer_slots=optimizer_slots(spec) * trainable * FLOAT_BYTES,
        activations=_activation_bytes(rows) * spec.batch_size,
        params=params,
        trainable_params=trainable,
        batch_size=spec.batch_size,
        optimizer=spec.optimizer,
    )


def _name(row: LayerRow) -> Message:
    return L_("the output layer") if row.index == 0 else L_("layer {index} ({layer})", index=row.index, layer=row.layer)


def _names(rows: list[LayerRow]) -> Message:
    """'layers 3 and 4 (Dense 16384 relu)', or each layer named when they differ (at most three)."""
    if len({r.layer for r in rows}) == 1 and all(r.index for r in rows) and len(rows) > 1:
        return L_("layers {indices} and {last} ({layer})", indices=", ".join(str(r.index) for r in rows[:-1]),
                  last=rows[-1].index, layer=rows[0].layer)
    names = [_name(r) for r in rows]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return L_("{first} and {second}", first=names[0], second=names[1])
    return L_("{first}, {second} and {third}", first=names[0], second=names[1], third=names[2])


def _biggest(rows: list[LayerRow], size) -> list[LayerRow]:
    """The fewest rows that hold at least 80% of the total `size`, at most three, in model order."""
    ranked = sorted(rows, key=size, reverse=True)
    total, held, chosen = sum(size(r) for r in rows), 0, []
    for row in ranked[:3]:
        chosen.append(row)
        held += size(row)
        if held >= 0.8 * total:
            break
    return sorted(chosen, key=lambda r: r.index or math.inf)


def what_to_shrink(spec: ModelSpec, estimate: MemoryEstimate, rows: list[LayerRow]) -> Message:
    """Advice aimed at the biggest contributor: the weights of a few layers, or the activations."""
    if estimate.parameter_bytes >= estimate.activations:
        big = _biggest(rows, lambda r: r.params)
        share = sum(r.params for r in big) / max(estimate.params, 1)
        if all(KINDS[r.kind].weights_of == "filters" for r in big):
            return L_("Shrink the weights of {layers}, {share:.0%} of the {params:,} parameters: fewer filters.",
                      layers=_names(big), share=share, params=estimate.params)
        return L_("Shrink the weights of {layers}, {share:.0%} of the {params:,} parameters: fewer units, or a "
                  "MaxPooling2D before Flatten.", layers=_names(big), share=share, params=estimate.params)
    # Flatten, Dropout and BatchNormalization only pass their input's size on: name the layers that make it.
    makers = [r for r in rows if KINDS[r.kind].makes_activations]
    big = _biggest(makers, lambda r: math.prod(r.output_shape))
    return L_("Shrink the activations, mostly the outputs of {layers}: a smaller batch size (now {batch:,}), "
              "fewer filters, or a MaxPooling2D earlier.", layers=_names(big), batch=spec.batch_size)


def check_training_memory(spec: ModelSpec, rows: list[LayerRow] | None = None) -> MemoryEstimate:
    """The estimate, or SpecError when it is over the per-training budget."""
    rows = layer_table(spec) if rows is None else rows
    estimate = training_memory(spec, rows)
    budget = training_memory_budget()
    if estimate.total > budget:
        raise SpecError(
            "memory_over_budget",
            N_("Training this model needs about {needed}, over the {budget} one training may use on this server "
               "({variable}): {parts}. {advice}"),
            needed=megabytes(estimate.total), budget=megabytes(budget), variable=BUDGET_VARIABLE,
            parts=estimate.parts(), advice=what_to_shrink(spec, estimate, rows),
        )
    return estimate


def check_server_limits(spec: ModelSpec, rows: list[LayerRow] | None = None) -> MemoryEstimate:
    """The server's policy for training `spec`: its memory budget, then the parameter cap (what the app
    trains, it must also be able to load again: model/files.py). The estimate, or SpecError."""
    rows = layer_table(spec) if rows is None else rows
    estimate = check_training_memory(spec, rows)
    if estimate.params > MAX_PARAMS:
        raise SpecError("too_many_params", N_("This model has {params:,} parameters; this server shared by "
                                              "the class trains at most {most:,}. Use fewer units or filters, "
                                              "or pool before a large Dense layer."),
                        params=estimate.params, most=MAX_PARAMS)
    return estimate
