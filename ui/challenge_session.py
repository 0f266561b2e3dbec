"""The challenge this session is in: the link (`?challenge=K7PQ2M`) or a typed code asks for it, a nickname
lets the session enter it (the leaderboard lists students by nickname), and while it is open its rules hold
in the builder and where a training is submitted."""

from __future__ import annotations

import streamlit as st

from mnistlab.challenges import Challenge, get_challenge
from mnistlab.errors import MnistlabError
from mnistlab.i18n import L_
from mnistlab.store.classroom import clean_code
from mnistlab.store.owners import clean_nickname
from ui.identity import NICK_KEY
from ui.resources import shared_store
from ui.session import DATASET_KEY

CHALLENGES_PAGE = "app_pages/challenges.py"
CHALLENGE_PARAM = "challenge"  # ?challenge=K7PQ2M
CHALLENGE_KEY = "challenge_code"  # the challenge the session entered
WANTED_KEY = "challenge_wanted"  # a code asked for, waiting for a nickname (or not found)
LINK_SEEN_KEY = "challenge_link_followed"  # the ?challenge= value already followed in this session
NOTICE_KEY = "challenge_notice"  # what the challenge changed in the sidebar, said once


@st.cache_data(ttl=5, show_spinner=False)
def _challenge(code: str) -> Challenge | None:
    """Read again every few seconds: the teacher may end or reveal it from any server of the class."""
    try:
        return get_challenge(shared_store(), code)
    except MnistlabError:
        return None  # a database that is down must not break the page being used


def read_again() -> None:
    """The teacher changed a challenge: this server's pages read it now, not in a few seconds."""
    _challenge.clear()


def find_challenge(code: object) -> Challenge | None:
    code = clean_code(code)
    return _challenge(code) if code else None


def session_nickname() -> str:
    """The nickname, also on a first run, before its box (bound to `?nick=`) is drawn."""
    return clean_nickname(st.session_state.get(NICK_KEY) or st.query_params.get(NICK_KEY, ""))


def current_challenge() -> Challenge | None:
    """The challenge the session entered, if it still exists."""
    code = st.session_state.get(CHALLENGE_KEY)
    return find_challenge(code) if code else None


def active_rules():
    """The rules that hold now: the entered challenge's while it is open, else None."""
    challenge = current_challenge()
    return challenge.rules if challenge is not None and challenge.is_open() else None


def ask_for(code: object) -> None:
    """Enter the challenge with this code as soon as the session has a nickname (a callback or before the
    sidebar is drawn)."""
    st.session_state[WANTED_KEY] = clean_code(code) or "?"  # never what was typed: it is shown
    _enter_when_named()


def leave() -> None:
    """Out of the challenge (a callback); its link leaves the address too, so a reload stays out."""
    st.session_state.pop(CHALLENGE_KEY, None)
    st.session_state.pop(WANTED_KEY, None)
    st.query_params.pop(CHALLENGE_PARAM, None)


def _enter_when_named() -> None:
    wanted = st.session_state.get(WANTED_KEY)
    if not wanted or not session_nickname() or find_challenge(wanted) is None:
        return  # the Challenges page says what is missing
    st.session_state[CHALLENGE_KEY] = find_challenge(wanted).code
    st.session_state.pop(WANTED_KEY, None)


def follow_challenge_link(page: object) -> None:
    """In app.py before the sidebar is drawn: `?challenge=CODE` once per link (then the Challenges page);
    entering once a nickname is typed; the rules' dataset chosen in the sidebar."""
    wanted = st.query_params.get(CHALLENGE_PARAM)
    if wanted and st.session_state.get(LINK_SEEN_KEY) != wanted:
        st.session_state[LINK_SEEN_KEY] = wanted
        ask_for(wanted)
        if getattr(page, "url_path", "") != "challenges":
            # every parameter goes along: the language, the nickname, a `?spec=` the builder has yet to load
            st.switch_page(CHALLENGES_PAGE, query_params=st.query_params.to_dict())
    _enter_when_named()
    rules = active_rules()
    if rules is not None and st.session_state.get(DATASET_KEY) != rules.dataset:
        if DATASET_KEY in st.session_state:  # the student chose another: say why it went back
            st.session_state[NOTICE_KEY] = L_("The challenge fixes the dataset.")
        st.session_state[DATASET_KEY] = rules.dataset  # before the sidebar's radio is drawn
