"""The builder's training settings, each with a help text that says what it is and what changing it
does; the batch and epoch help carries the weight-update arithmetic of the current numbers."""

from __future__ import annotations

import streamlit as st

from mnistlab.errors import DataError
from mnistlab.i18n import _, tr
from mnistlab.model.augment import TITLES as AUGMENTATION_TITLES
from mnistlab.model.augment import help_text as augmentation_help
from mnistlab.model.spec import AUGMENTATIONS, LIMITS, OPTIMIZER_TITLES, OPTIMIZERS, ModelSpec
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
    subset = st.session_state.get("opt_train_size") or 0
    return min(subset, len(dataset.x_train)) if subset else len(dataset.x_train)


def training_widgets() -> None:
    """Optimizer, learning rate, batch, epochs, validation, subset, seed, augmentation: each with its help."""
    with st.expander(_("Training settings"), expanded=False):
        defaults = ModelSpec()  # a widget's value is gone after a run that did not draw it; it comes back as this
        optimizer = st.session_state.get("opt_optimizer", defaults.optimizer)
        st.selectbox(_("Optimizer"), OPTIMIZERS, format_func=OPTIMIZER_TITLES.get, key="opt_optimizer",
                     help=optimizer_help(optimizer))
        # "%g" on every float: a shared link's 0.00123456789 shows as it is, not rounded to 0.0012
        st.number_input(_("Learning rate"), *LIMITS["learning_rate"], step=0.0005, format="%g",
                        key="opt_learning_rate", help=learning_rate_help())
        # always drawn (disabled for other optimizers) so that their values survive a switch
        not_sgd = optimizer != "sgd"
        st.number_input(_("Momentum (SGD)"), *LIMITS["momentum"], step=0.05, format="%g", key="opt_momentum",
                        disabled=not_sgd, help=momentum_help())
        st.checkbox(_("Nesterov momentum (SGD)"), key="opt_nesterov", disabled=not_sgd, help=nesterov_help())
        st.number_input(_("Learning-rate decay (old Keras `decay`)"), *LIMITS["decay"], step=1e-6, format="%g",
                        key="opt_decay", help=decay_help())
        updates = weight_updates_note(_training_images(),
                                      st.session_state.get("opt_validation_split", defaults.validation_split),
                                      st.session_state.get("opt_batch_size", defaults.batch_size),
                                      st.session_state.get("opt_epochs", defaults.epochs))
        left, right = st.columns(2)
        left.number_input(_("Batch size"), *LIMITS["batch_size"], key="opt_batch_size", help=batch_size_help(updates))
        right.number_input(_("Epochs"), *LIMITS["epochs"], key="opt_epochs", help=epochs_help(updates))
        st.slider(_("Validation split"), *LIMITS["validation_split"], step=0.05, format="%g",
                  key="opt_validation_split", help=validation_help())
        left, right = st.columns(2)
        left.number_input(_("Training subset (0 = all)"), *LIMITS["train_size"], step=500, key="opt_train_size",
                          help=subset_help())
        right.number_input(_("Random seed"), *LIMITS["seed"], key="opt_seed", help=seed_help())
        st.selectbox(_("Augmentation"), AUGMENTATIONS, format_func=lambda key: tr(AUGMENTATION_TITLES[key]),
                     key="opt_augmentation", help=augmentation_help())
        if updates:
            st.caption(updates)
