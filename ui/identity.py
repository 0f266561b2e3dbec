"""Who this session is: its nickname (kept in the URL as `?nick=`, no cookies; the box is in
`ui.sidebar`) and teacher mode."""

from __future__ import annotations

import os

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from mnistlab.i18n import _
from mnistlab.store.owners import clean_nickname, teacher_password_matches

NICK_KEY = "nick"  # the sidebar box's key, and the URL's query parameter it is bound to
TEACHER_KEY = "teacher_mode"
PASSWORD_ENV = "MNISTLAB_TEACHER_PASSWORD"


_MARKDOWN = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]<>()#+-.!|~$:"})


def as_text(text: str) -> str:
    """A nickname as literal text inside Markdown: another student's cannot become a link or a format."""
    return text.translate(_MARKDOWN)


def nickname() -> str:
    """This session's nickname, "" when it has none."""
    return clean_nickname(st.session_state.get(NICK_KEY, ""))


def is_teacher() -> bool:
    return bool(st.session_state.get(TEACHER_KEY)) and bool(configured_teacher_password())


def configured_teacher_password() -> str:
    """`[teacher] password` in the app's secrets, else MNISTLAB_TEACHER_PASSWORD; "" when neither."""
    try:
        password = st.secrets.get("teacher", {}).get("password", "")
    except (FileNotFoundError, KeyError, AttributeError, StreamlitSecretNotFoundError):
        password = ""
    return password if isinstance(password, str) and password else os.environ.get(PASSWORD_ENV, "")


def _log_in() -> None:
    given = st.session_state.pop("teacher_password", "")
    matched = teacher_password_matches(given, configured_teacher_password())
    st.session_state[TEACHER_KEY] = matched
    st.session_state["teacher_login_failed"] = not matched


def teacher_login() -> bool:
    """Log in or out of teacher mode; True while in it."""
    if not configured_teacher_password():
        st.caption(_("No teacher password is set on this server (`[teacher] password` in the app's secrets, or "
                     "`{variable}`), so there is no teacher mode.", variable=PASSWORD_ENV))
        return False
    if is_teacher():
        st.success(_("Teacher mode: you can delete any run and clear the class's runs."))
        if st.button(_("Log out of teacher mode"), key="teacher_logout"):
            st.session_state[TEACHER_KEY] = False
            st.rerun()
        return True
    with st.form("teacher_login_form", border=False):
        st.text_input(_("Teacher password"), type="password", key="teacher_password")
        st.form_submit_button(_("Log in"), on_click=_log_in)
    if st.session_state.pop("teacher_login_failed", False):
        st.error(_("That is not the teacher password."))
    return False
