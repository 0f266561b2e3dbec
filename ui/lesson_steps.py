"""Where a lesson's steps take the student: the lesson link (`?lesson=003`), and the step buttons that
load a preset into the builder and switch to the step's page."""

from __future__ import annotations

import streamlit as st

from mnistlab.i18n import N_, Message, _, tr
from mnistlab.lessons import Lesson, Step, load_lessons
from mnistlab.model.presets import PRESETS
from ui.builder import load_spec
from ui.progress import record

LESSONS_PAGE = "app_pages/lessons.py"
LESSON_PARAM = "lesson"  # ?lesson=003
LESSON_KEY = "lesson_chosen"  # the lesson the Lessons page shows
PICK_KEY = "lesson_pick"  # the page's selectbox
LINK_SEEN_KEY = "lesson_link_followed"  # the ?lesson= value already followed in this session
PAGE_TITLES = {"home": N_("Home"), "dataset": N_("Dataset"), "train": N_("Train"), "evaluate": N_("Evaluate"),
               "inside": N_("Inside"), "draw": N_("Draw"), "experiments": N_("Experiments"), "lessons": N_("Lessons")}


@st.cache_resource(ttl=60, show_spinner=False)
def shared_lessons() -> tuple[list[Lesson], list[Message]]:
    """The lessons and the teacher's files' problems, read again after a minute (a teacher editing a file)."""
    return load_lessons()


def lessons_by_id() -> dict[str, Lesson]:
    return {lesson.id: lesson for lesson in shared_lessons()[0]}


def page_file(name: str) -> str:
    return f"app_pages/{name}.py"


def page_title(name: str) -> str:
    return tr(PAGE_TITLES[name])


def load_preset(name: str) -> None:
    """Put a preset in the builder (before the builder is drawn, or from a callback)."""
    load_spec(PRESETS[name].spec, name)
    st.session_state["builder_preset"] = name
    record("preset_loaded", preset=name)


def follow_lesson_link(page: object) -> None:
    """`?lesson=003`, once per link: choose that lesson, load its preset and open the Lessons page.
    In app.py before the builder is drawn (the preset goes into it)."""
    wanted = st.query_params.get(LESSON_PARAM)
    if not wanted or st.session_state.get(LINK_SEEN_KEY) == wanted:
        return
    st.session_state[LINK_SEEN_KEY] = wanted
    lesson = lessons_by_id().get(wanted)
    if lesson is None:
        return  # the Lessons page says that there is no such lesson
    st.session_state[LESSON_KEY] = st.session_state[PICK_KEY] = lesson.id
    if lesson.preset:
        load_preset(lesson.preset)
    if getattr(page, "url_path", "") != "lessons":
        st.switch_page(LESSONS_PAGE, query_params=_kept_params(lesson.id))


def _kept_params(lesson_id: str = "") -> dict[str, str]:
    """The language goes along (the nickname, bound to its box, goes by itself); the lesson only to the
    Lessons page, so a reload elsewhere stays there."""
    kept = {key: st.query_params[key] for key in ("lang",) if key in st.query_params}
    return {**kept, LESSON_PARAM: lesson_id} if lesson_id else kept


def _start(step: Step) -> None:
    if step.preset:
        load_preset(step.preset)


def step_button(lesson: Lesson, number: int, step: Step) -> None:
    """The step's button: its preset into the builder, then its page."""
    if st.button(_("Go to {page}", page=page_title(step.page)), key=f"lesson_{lesson.id}_step_{number}",
                 on_click=_start, args=(step,), icon=":material/arrow_forward:"):
        if step.page != "lessons":
            st.switch_page(page_file(step.page), query_params=_kept_params())
