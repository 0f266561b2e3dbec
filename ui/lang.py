"""The session's language: the sidebar switch, kept in the page address (`?lang=zh`), whose
default is the browser's language (`st.context.locale`). Rendered first on every run, so every
string of the run — page titles included — is said in it."""

from __future__ import annotations

import streamlit as st

# Streamlit has no public "is this thread running a page?": st.runtime.exists() is true in every
# thread of the server, and st.session_state outside a run silently reads a shared stand-in.
# get_script_run_ctx is what Streamlit's own multithreading guide uses
# (docs.streamlit.io/develop/concepts/design/multithreading; streamlit/streamlit#315 asks for more);
# tests/test_streamlit_patches.py fails if it moves or its suppress_warning argument goes.
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mnistlab import i18n

LANG_KEY = "lang"  # also the query parameter: ?lang=zh / ?lang=en
_SEEN_KEY = "lang_in_address"  # the language last written to the address


def browser_language() -> str:
    """The browser's language; English when it sent none (AppTest, a bot)."""
    return i18n.normalize(st.context.locale) or i18n.DEFAULT_LANGUAGE


def _session_language() -> str:
    if get_script_run_ctx(suppress_warning=True) is None:  # a thread outside a page's run
        return i18n.environment_language()
    return st.session_state.get(LANG_KEY) or browser_language()


i18n.set_language_source(_session_language)


def language_switch() -> str:
    """Kept in the address (`?lang=`) when it is not the browser's own, so a teacher can hand out a
    Chinese link and a reload or a page switch keeps it. The label is in both languages: a student
    who landed in the wrong one still finds it."""
    asked = i18n.normalize(st.query_params.get(LANG_KEY))
    if st.session_state.get(LANG_KEY) not in i18n.LANGUAGES:  # first run: the link, else the browser
        st.session_state[LANG_KEY] = asked or browser_language()
    elif asked and asked != st.session_state[LANG_KEY] and st.session_state.get(_SEEN_KEY) != asked:
        st.session_state[LANG_KEY] = asked  # the address was edited or a link was followed in this tab
    st.sidebar.segmented_control(
        "语言 · Language", list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get, key=LANG_KEY, required=True,
    )
    language = i18n.current_language()
    # in the address only when it differs from the browser's: a reload keeps a switched language,
    # and most students keep a clean address
    wanted = None if language == browser_language() else language
    if st.query_params.get(LANG_KEY) != wanted:
        if wanted is None:
            del st.query_params[LANG_KEY]
        else:
            st.query_params[LANG_KEY] = wanted
    st.session_state[_SEEN_KEY] = language
    return language
