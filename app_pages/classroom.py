"""Class: for everyone, the box for a code from the board; for the teacher (password), the class live —
who trains what, each student's runs and lesson progress, the challenges, the lock on the builder, the
required nickname, links for the board, the class's drawings and the CSV downloads."""

import streamlit as st

from mnistlab.errors import MnistlabError
from mnistlab.i18n import _
from ui.identity import teacher_login
from ui.projector import projector_switch
from ui.resources import shared_store
from ui.short_links import code_box
from ui.teacher_drawings import class_drawings
from ui.teacher_exports import downloads
from ui.teacher_links import links
from ui.teacher_live import students, training_now
from ui.teacher_settings import challenges, class_settings

st.title(_("Classroom"))
code_box()
with st.expander(_("Teacher"), expanded=True, icon=":material/school:"):
    teacher = teacher_login(_("Teacher mode: the class is shown below."))
if not teacher:
    st.caption(_("The teacher's view of the class opens here after the teacher's login."))
    st.stop()

projector_switch()
try:
    runs = [run for run in shared_store().list() if not run.problem]
except MnistlabError as exc:
    st.error(str(exc))
    runs = []

live, people, challenge_tab, settings, drawings, files = st.tabs(
    [_("Training now"), _("Students"), _("Challenges"), _("Settings and links"), _("Drawings"), _("Downloads")])
with live:
    training_now()
with people:
    students(runs)
with challenge_tab:
    challenges()
with settings:
    class_settings()
    st.divider()
    links()
with drawings:
    class_drawings(runs)
with files:
    downloads(runs)
