"""mnistlab: routes the pages and holds what every page shares — the dataset choice
and the model builder in the sidebar. Run with `streamlit run app.py`."""

import streamlit as st
from streamlit.runtime.scriptrunner import script_runner

from mnistlab.i18n import _
from ui.builder import model_builder
from ui.challenge_session import follow_challenge_link
from ui.lang import language_switch
from ui.lesson_steps import follow_lesson_link
from ui.progress import record_page
from ui.projector import projector_view
from ui.session import adopt_finished_job
from ui.short_links import follow_go_link
from ui.sidebar import dataset_picker, follow_job, nickname_box

# After every script run Streamlit calls keras.backend.clear_session(), in a private clean-up with
# no public switch; what that does to a cached model is streamlit/streamlit#939. Other sessions'
# scripts are meanwhile predicting with cached models (Evaluate, Inside, Draw), and clearing Keras's
# global state under them can deadlock TensorFlow. Trainings run in worker processes, which need no
# clearing. tests/test_streamlit_patches.py fails if Streamlit moves or drops that clean-up.
script_runner._clean_problem_modules = lambda: None

# an emoji, drawn in the page as an inline SVG: a ":material/…:" icon would be fetched from fonts.gstatic.com
st.set_page_config(page_title="mnistlab", page_icon="🔢", layout="wide")

language_switch()  # first: every string of this run is said in the session's language
PAGES = [
    st.Page("app_pages/home.py", title=_("Home"), icon=":material/home:", default=True),
    st.Page("app_pages/dataset.py", title=_("Dataset"), icon=":material/grid_view:"),
    st.Page("app_pages/train.py", title=_("Train"), icon=":material/model_training:"),
    st.Page("app_pages/evaluate.py", title=_("Evaluate"), icon=":material/search:"),
    st.Page("app_pages/inside.py", title=_("Inside"), icon=":material/neurology:"),
    st.Page("app_pages/draw.py", title=_("Draw"), icon=":material/draw:"),
    st.Page("app_pages/experiments.py", title=_("Experiments"), icon=":material/science:"),
    st.Page("app_pages/lessons.py", title=_("Lessons"), icon=":material/school:"),
    st.Page("app_pages/challenges.py", title=_("Challenges"), icon=":material/emoji_events:"),
    st.Page("app_pages/classroom.py", title=_("Classroom"), icon=":material/groups:"),
]

page = st.navigation(PAGES)
projector_view()  # ?projector=1: larger type and figures, on every page
follow_go_link(page)  # ?go=CODE, a short link from the board: a lesson, a challenge or a starting model
follow_challenge_link(page)  # ?challenge=K7PQ2M; a challenge's dataset and rules, before the sidebar is drawn
dataset_picker()
nickname_box()
follow_lesson_link(page)  # ?lesson=003: its preset into the builder below, then the Lessons page
record_page(page)
model_builder()
adopt_finished_job()
follow_job()
page.run()
