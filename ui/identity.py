"""Who this session is: its nickname (kept in the URL as `?nick=`, no cookies; the box is in
`ui.sidebar`) and teacher mode.

The teacher's login resists guessing: after `MAX_ATTEMPTS` wrong passwords in a row a session waits
`LOCKOUT_S` seconds, told so plainly, and so do all sessions from an address that gave
`ADDRESS_MAX_ATTEMPTS` (a reload is a new session); every attempt is logged (never the password).
A login lasts `LOGIN_LASTS_S`, a class or two, then the password is asked again.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from mnistlab.i18n import _, n_
from mnistlab.store.owners import clean_nickname, teacher_password_matches

NICK_KEY = "nick"  # the sidebar box's key, and the URL's query parameter it is bound to
TEACHER_KEY = "teacher_mode"
PASSWORD_ENV = "MNISTLAB_TEACHER_PASSWORD"
PASSWORD_KEY = "teacher_password"  # the password box
MAX_ATTEMPTS = 5  # wrong passwords in a row before a session waits
# Sessions from one address (a reload is a new session) wait after this many: higher than a session's
# limit, as a whole school may reach the app from one address, and one student's guesses must not keep
# the teacher out
ADDRESS_MAX_ATTEMPTS = 20
MAX_ADDRESSES = 10_000
LOCKOUT_S = 60.0
LOGIN_LASTS_S = 4 * 3600.0  # a class or two; then the password is asked again
_ATTEMPTS_KEY = "teacher_wrong_attempts"
_LOCKED_KEY = "teacher_locked_until"
_MESSAGE_KEY = "teacher_login_message"

logger = logging.getLogger("mnistlab.teacher")


_MARKDOWN = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]<>()#+-.!|~$:"})


def as_text(text: str) -> str:
    """A nickname as literal text inside Markdown: another student's cannot become a link or a format."""
    return text.translate(_MARKDOWN)


def nickname() -> str:
    """This session's nickname, "" when it has none."""
    return clean_nickname(st.session_state.get(NICK_KEY, ""))


def is_teacher() -> bool:
    """Logged in as the teacher, less than LOGIN_LASTS_S ago, on a server that has a teacher password."""
    since = st.session_state.get(TEACHER_KEY)
    if isinstance(since, bool) or not isinstance(since, int | float):
        return False
    if time.time() - since >= LOGIN_LASTS_S:
        st.session_state[TEACHER_KEY] = False
        st.session_state[_MESSAGE_KEY] = ("info", "expired")
        return False
    return bool(configured_teacher_password())


def configured_teacher_password() -> str:
    """`[teacher] password` in the app's secrets, else MNISTLAB_TEACHER_PASSWORD; "" when neither."""
    try:
        password = st.secrets.get("teacher", {}).get("password", "")
    except (FileNotFoundError, KeyError, AttributeError, StreamlitSecretNotFoundError):
        password = ""
    return password if isinstance(password, str) and password else os.environ.get(PASSWORD_ENV, "")


class _Wrongs:
    """Wrong passwords per client address, shared by the sessions of this server."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_address: dict[str, tuple[int, float]] = {}  # address → (wrong in a row, locked until)


@st.cache_resource
def _wrongs() -> _Wrongs:
    return _Wrongs()


def _address() -> str:
    return getattr(st.context, "ip_address", None) or ""


def _locked_for() -> float:
    """Seconds this session (or its address) must still wait before another try; 0 when it may try."""
    until = st.session_state.get(_LOCKED_KEY, 0.0)
    address = _address()
    if address:
        with _wrongs().lock:
            until = max(until, _wrongs().by_address.get(address, (0, 0.0))[1])
    return max(0.0, until - time.time())


def _note_wrong() -> None:
    now = time.time()
    count = st.session_state.get(_ATTEMPTS_KEY, 0) + 1
    until = now + LOCKOUT_S if count >= MAX_ATTEMPTS else 0.0
    st.session_state[_ATTEMPTS_KEY], st.session_state[_LOCKED_KEY] = (0 if until else count), until
    address, from_address = _address(), 0
    if address:
        with _wrongs().lock:
            wrongs = _wrongs().by_address
            if len(wrongs) >= MAX_ADDRESSES:  # a flood of addresses: forget the old ones
                wrongs.clear()
            from_address = wrongs.get(address, (0, 0.0))[0] + 1
            locked = from_address >= ADDRESS_MAX_ATTEMPTS
            wrongs[address] = (0, now + LOCKOUT_S) if locked else (from_address, 0.0)
    logger.warning("wrong teacher password (session %s: %d in a row; address %s: %d%s)", _session(), count,
                   address or "?", from_address, ", locked for a minute" if until else "")


def _session() -> str:
    from ui.session import session_id

    return session_id()[:8]


def _log_in() -> None:
    given = st.session_state.pop(PASSWORD_KEY, "")
    if _locked_for() > 0:
        logger.warning("teacher login tried while locked (session %s, address %s)", _session(), _address() or "?")
        st.session_state[_MESSAGE_KEY] = ("error", "locked")
        return
    matched = teacher_password_matches(given, configured_teacher_password())
    if not matched:
        _note_wrong()
        st.session_state[TEACHER_KEY] = False
        st.session_state[_MESSAGE_KEY] = ("error", "locked" if _locked_for() > 0 else "wrong")
        return
    logger.info("teacher logged in (session %s, address %s)", _session(), _address() or "?")
    st.session_state[TEACHER_KEY] = time.time()
    st.session_state[_ATTEMPTS_KEY] = 0
    if _address():
        with _wrongs().lock:
            _wrongs().by_address.pop(_address(), None)


def _log_out() -> None:
    st.session_state[TEACHER_KEY] = False


def _login_message() -> None:
    kind, what = st.session_state.pop(_MESSAGE_KEY, (None, None))
    if what == "wrong":
        left = MAX_ATTEMPTS - st.session_state.get(_ATTEMPTS_KEY, 0)
        st.error(n_("That is not the teacher password. {n} more try, then this page waits a minute.",
                    "That is not the teacher password. {n} more tries, then this page waits a minute.", left))
    elif what == "locked":
        st.error(_("Too many wrong passwords: wait a minute, then try again ({seconds} s left).",
                   seconds=max(1, round(_locked_for()))), icon=":material/timer:")
    elif what == "expired":
        st.info(_("Your teacher login has ended (it lasts {hours} hours): enter the password again.",
                  hours=round(LOGIN_LASTS_S / 3600)))


def teacher_login(granted: str = "") -> bool:
    """Log in or out of teacher mode; True while in it. `granted` says what teacher mode allows here."""
    if not configured_teacher_password():
        st.caption(_("No teacher password is set on this server (`[teacher] password` in the app's secrets, or "
                     "`{variable}`), so there is no teacher mode.", variable=PASSWORD_ENV))
        return False
    if is_teacher():
        left = LOGIN_LASTS_S - (time.time() - st.session_state[TEACHER_KEY])
        st.success(granted or _("Teacher mode: you can delete any run and clear the class's runs."))
        if left >= 2 * 3600:
            st.caption(_("This login lasts about {n} more hours; then the password is asked again.",
                         n=round(left / 3600)))
        else:
            st.caption(n_("This login lasts about {n} more minute; then the password is asked again.",
                          "This login lasts about {n} more minutes; then the password is asked again.",
                          max(1, round(left / 60))))
        st.button(_("Log out of teacher mode"), key="teacher_logout", on_click=_log_out)
        return True
    with st.form("teacher_login_form", border=False):
        st.text_input(_("Teacher password"), type="password", key=PASSWORD_KEY)
        st.form_submit_button(_("Log in"), on_click=_log_in)
    _login_message()
    return False


def nickname_required() -> bool:
    """The teacher requires a nickname class-wide (the Class page); False when the store cannot say."""
    from mnistlab.errors import MnistlabError
    from mnistlab.store.classroom import REQUIRE_NICKNAME, class_setting
    from ui.resources import shared_store

    try:
        return bool(class_setting(shared_store().engine, REQUIRE_NICKNAME, False))
    except MnistlabError:
        return False


def nickname_missing() -> bool:
    """This session has no nickname and the teacher requires one, or it is in a challenge (whose runs count by
    nickname): it may not train or keep a drawing."""
    from ui.challenge_session import CHALLENGE_KEY  # here: that module builds on this one

    return not nickname() and (bool(st.session_state.get(CHALLENGE_KEY)) or nickname_required())
