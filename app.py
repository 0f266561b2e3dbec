"""mnistlab: routes the pages and holds what every page shares — the dataset choice
and the model builder in the sidebar. Run with `streamlit run app.py`."""

import streamlit as st

from ui.builder import model_builder
from ui.sidebar import dataset_picker

st.set_page_config(page_title="mnistlab — deep learning on MNIST", page_icon="🔢", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/dataset.py", title="Dataset", icon="🖼️"),
    st.Page("pages/train.py", title="Train", icon="🏋️"),
    st.Page("pages/evaluate.py", title="Evaluate", icon="🔍"),
    st.Page("pages/draw.py", title="Draw", icon="✏️"),
]

page = st.navigation(PAGES)
dataset_picker()
model_builder()
page.run()
