"""The teacher's side of the challenges, for the Class page: a form that makes one with every rule, and the
class's challenges with their links and the buttons that end them and reveal their private boards.

`challenge_admin()` draws it all; it shows nothing outside teacher mode (the page decides where it goes)."""

from __future__ import annotations

import time

import streamlit as st

from mnistlab.challenges import (
    MIN_SCORING_DRAWINGS,
    Rules,
    create_challenge,
    drawings_count,
    end_challenge,
    list_challenges,
    reveal,
)
from mnistlab.data.dataset import DATASET_NAMES
from mnistlab.errors import MnistlabError
from mnistlab.i18n import _
from mnistlab.model.layers import LAYER_KINDS, LAYER_TITLES
from mnistlab.model.spec import LIMITS, MAX_PARAMS, OPTIMIZER_TITLES, OPTIMIZERS
from ui.challenge_session import read_again
from ui.identity import as_text, is_teacher
from ui.resources import shared_store

CREATED_KEY = "challenge_admin_created"  # the code just made, shown above the form
PROBLEM_KEY = "challenge_admin_problem"


def _optional(key: str) -> int | None:
    value = st.session_state.get(key) or 0
    return int(value) or None  # 0: no rule


def _every_or_some(key: str, every: tuple[str, ...]) -> tuple[str, ...] | None:
    chosen = tuple(st.session_state.get(key) or ())
    return None if set(chosen) == set(every) else chosen  # all of them: no rule


def _create() -> None:
    state = st.session_state
    minutes = int(state.get("challenge_admin_minutes") or 0)
    try:
        rules = Rules(dataset=state["challenge_admin_dataset"], max_params=_optional("challenge_admin_params"),
                      max_epochs=_optional("challenge_admin_epochs"),
                      max_train_size=_optional("challenge_admin_images"),
                      layer_kinds=_every_or_some("challenge_admin_layers", LAYER_KINDS),
                      optimizers=_every_or_some("challenge_admin_optimizers", OPTIMIZERS),
                      ends_at=time.time() + 60 * minutes if minutes else None,
                      scoring=state["challenge_admin_scoring"])
        state[CREATED_KEY] = create_challenge(shared_store(), state.get("challenge_admin_name", ""), rules)
        state[PROBLEM_KEY] = None
    except MnistlabError as exc:
        state[PROBLEM_KEY] = exc.message


def _changed(action, code: str) -> None:
    try:
        action(shared_store(), code)
    except MnistlabError as exc:
        st.session_state[PROBLEM_KEY] = exc.message
    read_again()


def create_form() -> None:
    with st.form("challenge_admin_form"):
        st.text_input(_("Challenge name"), key="challenge_admin_name", max_chars=200)
        st.selectbox(_("Dataset"), list(DATASET_NAMES), format_func=DATASET_NAMES.get, key="challenge_admin_dataset")
        left, middle, right = st.columns(3)
        left.number_input(_("Most parameters (0 = any)"), 0, MAX_PARAMS, 0, step=10_000, key="challenge_admin_params")
        middle.number_input(_("Most epochs (0 = any)"), 0, LIMITS["epochs"][1], 0, key="challenge_admin_epochs")
        right.number_input(_("Most training images (0 = any)"), 0, LIMITS["train_size"][1], 0, step=1000,
                           key="challenge_admin_images")
        st.multiselect(_("Layer kinds allowed"), LAYER_KINDS, default=LAYER_KINDS, format_func=LAYER_TITLES.get,
                       key="challenge_admin_layers")
        st.multiselect(_("Optimizers allowed"), OPTIMIZERS, default=OPTIMIZERS, format_func=OPTIMIZER_TITLES.get,
                       key="challenge_admin_optimizers")
        st.number_input(_("Ends in (minutes; 0 = when you end it)"), 0, 60 * 24 * 14, 45,
                        key="challenge_admin_minutes")
        drawings = drawings_count(shared_store())
        st.radio(_("Scored on"), ["test", "drawings"], key="challenge_admin_scoring", horizontal=True,
                 format_func=lambda name: _("the test set") if name == "test" else _("the class's drawings"),
                 help=_("The class's labelled drawings from before the challenge, once there are at least {least} "
                        "(now {count}).", least=MIN_SCORING_DRAWINGS, count=drawings))
        st.form_submit_button(_("Create the challenge"), on_click=_create, type="primary")


def challenge_list() -> None:
    try:
        challenges = list_challenges(shared_store())
    except MnistlabError as exc:
        st.error(str(exc))
        return
    for challenge in challenges:
        with st.container(border=True):
            state = _("open") if challenge.is_open() else _("ended")
            st.markdown(f"**{as_text(challenge.name)}** · `{challenge.code}` · {state}")
            st.code(f"?challenge={challenge.code}", language=None)
            left, right = st.columns(2)
            left.button(_("End now"), key=f"challenge_admin_end_{challenge.code}", disabled=not challenge.is_open(),
                        on_click=_changed, args=(end_challenge, challenge.code), width="stretch")
            if challenge.revealed:
                right.button(_("Hide the private board"), key=f"challenge_admin_hide_{challenge.code}",
                             on_click=_changed, args=(lambda store, code: reveal(store, code, False), challenge.code),
                             width="stretch")
            else:
                right.button(_("Reveal the private board"), key=f"challenge_admin_reveal_{challenge.code}",
                             on_click=_changed, args=(reveal, challenge.code), width="stretch", type="primary")


def challenge_admin() -> None:
    """The teacher's challenges: make one, end one, reveal its private board. Nothing outside teacher mode."""
    if not is_teacher():
        return
    created = st.session_state.get(CREATED_KEY)
    if created:
        st.success(_("Challenge made: code **{code}**. Students open `?challenge={code}` or type the code on the "
                     "Challenges page.", code=created))
    if st.session_state.get(PROBLEM_KEY):
        st.error(str(st.session_state[PROBLEM_KEY]))
    create_form()
    challenge_list()
