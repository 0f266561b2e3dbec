"""The builder's training settings, each with a help text that says what it is and what changing it
does; the batch and epoch help carries the weight-update arithmetic of the current numbers."""

from __future__ import annotations

import streamlit as st

from mnistlab.errors import DataError
from mnistlab.i18n import _, tr
from mnistlab.model.augment import TITLES as AUGMENTATION_TITLES
from mnistlab.model.augment import help_text as augmentation_help
from mnistlab.model.spec import AUGMENTATIONS, OPTIMIZER_TITLES
from ui.builder_draft import draft, draft_widget
from ui.builder_rules import bounds, locked, optimizer_choices, optimizer_fixed
from ui.concepts import (
    batch_size_help,
    decay_help,
    epochs_help,
    learning_rate_help,
    momentum_help,
    nesterov_help,
    optimizer_help,
    seed_help,
    subset_help,
    validation_help,
    weight_updates_note,
)
from ui.resources import shared_dataset
from ui.session import DATASET_KEY, UPLOADED_KEY


def _training_images() -> int | None:
    """How many images the chosen dataset trains on (for the weight-update arithmetic), if loaded."""
    name = st.session_state.get(DATASET_KEY, "mnist")
    try:
        dataset = st.session_state.get(UPLOADED_KEY) if name == "custom" else shared_dataset(name)
    except DataError:
        return None
    if dataset is None:
        return None
    subset = draft()["opt_train_size"] or 0
    return min(subset, len(dataset.x_train)) if subset else len(dataset.x_train)


def _limits(name: str) -> dict:
    """The widget's bounds (narrower in a challenge) and whether the teacher locked it."""
    return {**bounds(name, f"opt_{name}"), "disabled": locked(name)}


def training_widgets() -> None:
    """Optimizer, learning rate, batch, epochs, validation, subset, seed, augmentation: each with its help."""
    values = draft()
    with st.expander(_("Training settings"), expanded=False):
        optimizer = draft_widget(st.selectbox, _("Optimizer"), "opt_optimizer", options=optimizer_choices(),
                                 format_func=OPTIMIZER_TITLES.get, help=optimizer_help(values["opt_optimizer"]),
                                 disabled=optimizer_fixed())
        # "%g" on every float: a shared link's 0.00123456789 shows as it is, not rounded to 0.0012
        draft_widget(st.number_input, _("Learning rate"), "opt_learning_rate", step=0.0005, format="%g",
                     help=learning_rate_help(), **_limits("learning_rate"))
        # always drawn (disabled for other optimizers) so that their values survive a switch
        not_sgd = optimizer != "sgd"
        draft_widget(st.number_input, _("Momentum (SGD)"), "opt_momentum", step=0.05, format="%g",
                     help=momentum_help(), **{**_limits("momentum"), "disabled": not_sgd or locked("momentum")})
        draft_widget(st.checkbox, _("Nesterov momentum (SGD)"), "opt_nesterov", disabled=not_sgd or locked("nesterov"),
                     help=nesterov_help())
        draft_widget(st.number_input, _("Learning-rate decay (old Keras `decay`)"), "opt_decay", step=1e-6,
                     format="%g", help=decay_help(), **_limits("decay"))
        updates = weight_updates_note(_training_images(), values["opt_validation_split"], values["opt_batch_size"],
                                 values["opt_epochs"])
        left, right = st.columns(2)
        draft_widget(left.number_input, _("Batch size"), "opt_batch_size", help=batch_size_help(updates),
                     **_limits("batch_size"))
        draft_widget(right.number_input, _("Epochs"), "opt_epochs", help=epochs_help(updates), **_limits("epochs"))
        draft_widget(st.slider, _("Validation split"), "opt_validation_split", step=0.05, format="%g",
                     help=validation_help(), **_limits("validation_split"))
        # one a row: beside another field, the subset's label wrapped onto three lines in the sidebar
        draft_widget(st.number_input, _("Training subset (0 = all)"), "opt_train_size", step=500,
                     help=subset_help(), **_limits("train_size"))
        draft_widget(st.number_input, _("Random seed"), "opt_seed", help=seed_help(), **_limits("seed"))
        draft_widget(st.selectbox, _("Augmentation"), "opt_augmentation", options=AUGMENTATIONS,
                     format_func=lambda key: tr(AUGMENTATION_TITLES[key]), help=augmentation_help(),
                     disabled=locked("augmentation"))
        if updates:
            st.caption(updates)
