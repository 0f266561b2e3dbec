"""Lessons: one per tutorial and any the teacher wrote; each step's button takes the student to the right
page with the right model, and the step is ticked once the session has done it."""

import streamlit as st

from mnistlab.i18n import _, n_
from ui.lesson_steps import LESSON_KEY, LESSON_PARAM, LINK_SEEN_KEY, PICK_KEY, shared_lessons, step_button
from ui.progress import session_progress

st.title(_("Lessons"))
lessons, problems = shared_lessons()
for problem in problems:
    st.error(_("A lesson file could not be read: {problem}", problem=str(problem)), icon=":material/description:")
if not lessons:
    st.info(_("There are no lessons."))
    st.stop()
by_id = {lesson.id: lesson for lesson in lessons}
asked = st.query_params.get(LESSON_PARAM)
if asked and asked not in by_id:
    st.warning(_("There is no lesson “{id}”.", id=asked))
ids = list(by_id)
current = st.session_state.get(LESSON_KEY) if st.session_state.get(LESSON_KEY) in by_id else ids[0]
lesson_id = st.selectbox(_("Lesson"), ids, index=ids.index(current), key=PICK_KEY,
                         format_func=lambda i: str(by_id[i].title))
st.session_state[LESSON_KEY] = lesson_id  # kept while the student is on other pages (the widget's state is not)
st.query_params[LESSON_PARAM] = lesson_id  # a reload or a shared address opens the same lesson
st.session_state[LINK_SEEN_KEY] = lesson_id
lesson = by_id[lesson_id]

progress = session_progress()
done = [step.done(progress) for step in lesson.steps]
st.caption(str(lesson.intro))
st.progress(sum(done) / len(done), text=n_("{done} of {n} step done", "{done} of {n} steps done", len(done),
                                           done=sum(done)))
for number, (step, finished) in enumerate(zip(lesson.steps, done, strict=True), start=1):
    with st.container(border=True):
        st.markdown(f"{'✅' if finished else '⬜'} **{number}. {step.do}**")
        if str(step.why):
            st.caption(str(step.why))
        step_button(lesson, number, step)
st.caption(_("A step is ticked when this session has done it; with a nickname, your progress is kept for next "
             "time."))
