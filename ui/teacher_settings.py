"""What the teacher sets for the whole class on the Class page: the builder controls students may not
change, a required nickname — both kept in the store, so every app server of the class follows them —
and the class's challenges (`ui.challenge_admin`)."""

from __future__ import annotations

import streamlit as st

from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_, _, tr
from mnistlab.store.classroom import LOCKED_CONTROLS, REQUIRE_NICKNAME, class_setting, set_class_setting
from ui.builder import SETTINGS
from ui.challenge_admin import challenge_admin
from ui.resources import shared_store

# The builder's controls a teacher can lock, with the builder's own words for them
CONTROL_TITLES = {
    "preset": N_("Preset"), "layers": N_("Layers"), "optimizer": N_("Optimizer"),
    "learning_rate": N_("Learning rate"), "momentum": N_("Momentum (SGD)"), "nesterov": N_("Nesterov momentum (SGD)"),
    "decay": N_("Learning-rate decay (old Keras `decay`)"), "batch_size": N_("Batch size"), "epochs": N_("Epochs"),
    "validation_split": N_("Validation split"), "train_size": N_("Training subset (0 = all)"),
    "seed": N_("Random seed"), "augmentation": N_("Augmentation"),
}
CONTROLS = ["preset", "layers", *SETTINGS.values()]
LOCK_KEY = "teacher_locked_controls"
NICKNAME_KEY = "teacher_require_nickname"


def _save(key: str, value: object) -> None:
    try:
        set_class_setting(shared_store().engine, key, value)
    except MnistlabError as exc:
        st.session_state["teacher_settings_error"] = str(exc)


def _lock_changed() -> None:
    _save(LOCKED_CONTROLS, [name for name in CONTROLS if name in st.session_state[LOCK_KEY]] or None)


def _nickname_changed() -> None:
    _save(REQUIRE_NICKNAME, True if st.session_state[NICKNAME_KEY] else None)


def class_settings() -> None:
    """The lock and the required nickname, read from the store on every run (another server's teacher
    may have changed them)."""
    engine = shared_store().engine
    try:
        locked = class_setting(engine, LOCKED_CONTROLS, [])
        required = bool(class_setting(engine, REQUIRE_NICKNAME, False))
    except MnistlabError as exc:
        st.error(str(exc))
        return
    st.session_state[LOCK_KEY] = [name for name in CONTROLS if isinstance(locked, list) and name in locked]
    st.session_state[NICKNAME_KEY] = required
    st.subheader(_("The builder's lock"))
    st.multiselect(_("Controls students may not change"), CONTROLS, key=LOCK_KEY, on_change=_lock_changed,
                   format_func=lambda name: tr(CONTROL_TITLES[name]),
                   placeholder=_("None: students may change everything"),
                   help=_("For the whole class, on every app server: the sidebar shows these controls but students "
                          "cannot change them (a lesson's or a challenge's starting model stays as it is)."))
    st.subheader(_("Nicknames"))
    st.toggle(_("Every run and drawing must have an owner: require a nickname"), key=NICKNAME_KEY,
              on_change=_nickname_changed,
              help=_("Students without a nickname are asked for one before they can train or keep a drawing."))
    problem = st.session_state.pop("teacher_settings_error", None)
    if problem:
        st.error(problem)


def challenges() -> None:
    """The class's challenges (create, end, reveal the private leaderboard): `ui.challenge_admin`."""
    st.subheader(_("Challenges"))
    challenge_admin()
