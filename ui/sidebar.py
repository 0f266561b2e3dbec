"""The dataset choice and the nickname, shown in the sidebar on every page."""

import streamlit as st

from mnistlab.i18n import _
from mnistlab.store.owners import NICKNAME_MAX_CHARS, clean_nickname
from ui.identity import NICK_KEY
from ui.state import DATASET_KEY, UPLOADED_KEY, dataset_title


def dataset_picker() -> None:
    options = ["mnist", "fashion_mnist"]
    if st.session_state.get(UPLOADED_KEY) is not None:
        options.append("custom")
    if st.session_state.get(DATASET_KEY) not in options:
        st.session_state[DATASET_KEY] = "mnist"
    st.sidebar.radio(_("Dataset"), options, format_func=dataset_title, key=DATASET_KEY, horizontal=True)


def _clean_input() -> None:
    st.session_state[NICK_KEY] = clean_nickname(st.session_state.get(NICK_KEY, ""))


def nickname_box() -> None:
    """The sidebar box, bound to the URL's `?nick=`: a reload or a shared link keeps the nickname."""
    st.sidebar.text_input(
        _("Your nickname"), key=NICK_KEY, max_chars=NICKNAME_MAX_CHARS, on_change=_clean_input, bind="query-params",
        placeholder=_("so your runs and drawings are yours"),
        help=_("Your runs and drawings carry it; only you (or the teacher) can delete them. "
               "It is kept in the page address, so bookmark it to keep it."),
    )
