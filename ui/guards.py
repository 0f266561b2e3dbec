"""What a page needs before it can show anything — the chosen dataset, the session's model —
or, when it cannot be had, a message saying why and where to get it."""

from __future__ import annotations

import streamlit as st

from mnistlab.data.dataset import Dataset
from mnistlab.errors import DataError
from mnistlab.i18n import _
from ui.resources import shared_dataset
from ui.session import UPLOADED_KEY, ActiveModel, active_model, dataset_name


def current_dataset() -> Dataset | None:
    """The dataset chosen in the sidebar, or None after showing why it cannot be had."""
    name = dataset_name()
    if name == "custom":
        uploaded = st.session_state.get(UPLOADED_KEY)
        if uploaded is None:
            st.info(_("No uploaded dataset yet: upload one on the Dataset page, or choose MNIST."))
        return uploaded
    try:
        with st.spinner(_("Loading the data…")):
            return shared_dataset(name)
    except DataError as exc:
        st.error(str(exc))
        return None


def require_model() -> ActiveModel:
    """The session's model, or a pointer to where to get one (and the page stops)."""
    active = active_model()
    if active is None:
        st.info(_("No trained model in this session yet. Train one first — a 1-epoch run on a "
                  "subset takes a few seconds."))
        st.page_link("app_pages/train.py", label=_("Go to Train"), icon=":material/model_training:")
        st.stop()
    return active
