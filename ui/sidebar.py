"""The dataset choice, shown in the sidebar on every page."""

import streamlit as st

from ui.state import DATASET_KEY, UPLOADED_KEY, dataset_title


def dataset_picker() -> None:
    options = ["mnist", "fashion_mnist"]
    if st.session_state.get(UPLOADED_KEY) is not None:
        options.append("custom")
    if st.session_state.get(DATASET_KEY) not in options:
        st.session_state[DATASET_KEY] = "mnist"
    st.sidebar.radio("Dataset", options, format_func=dataset_title, key=DATASET_KEY, horizontal=True)
