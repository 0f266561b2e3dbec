"""The Class page's live view: who is training what, where each is in the line, and Stop for any of
them; each nickname's runs and lesson progress."""

from __future__ import annotations

import streamlit as st

from mnistlab.engine.jobs import QUEUED, Job
from mnistlab.engine.roster import Listed
from mnistlab.errors import MnistlabError
from mnistlab.i18n import _, n_, p_
from mnistlab.model import naming
from mnistlab.store.class_report import class_lesson_progress, events_by_owner, students_runs
from mnistlab.store.runs import Run
from ui.lesson_steps import shared_lessons
from ui.resources import registry, shared_store
from ui.sidebar import wait_text

REFRESH_S = 3.0
NO_NICKNAME = "—"


def _state(listed: Listed) -> str:
    if listed.state == "stopping":
        return _("stopping")
    if listed.state == QUEUED:
        return _("waiting") if listed.place else _("starting")
    return p_("a training's state", "training")


def _stop(job: Job) -> None:
    registry().stop_for_all(job)
    st.session_state["teacher_stopped"] = naming.model_title(job.spec.name)


def _stop_elsewhere(listed: Listed) -> None:
    registry().stop_elsewhere(listed)
    st.session_state["teacher_stopped_elsewhere"] = naming.model_title(listed.model)


COLUMNS = [2, 2.5, 2, 1, 2.5, 1.5]  # room for Stop with its icon, 停止 too


@st.fragment(run_every=REFRESH_S)
def training_now() -> None:
    """The class's trainings, refreshed every few seconds, each with Stop: this server's, then those of the
    class's other servers on the same scheduler (`mnistlab.engine.roster`)."""
    jobs, elsewhere = registry().listing(), registry().class_listing()
    counts = registry().counts()
    st.caption(n_("{running} training, {queued} waiting; {n} trainer on this server.",
                  "{running} training, {queued} waiting; {n} trainers on this server.", registry().max_jobs,
                  running=counts["running"], queued=counts["queued"]))
    if elsewhere:
        st.caption(n_("And {n} training on the class's other servers, marked “other server” below.",
                      "And {n} trainings on the class's other servers, marked “other server” below.", len(elsewhere)))
    stopped = st.session_state.pop("teacher_stopped", None)
    if stopped:
        st.info(_("Stopped {model} for everyone who followed it.", model=str(stopped)), icon=":material/stop_circle:")
    stopped = st.session_state.pop("teacher_stopped_elsewhere", None)
    if stopped:
        st.info(_("{model} trains for another server of the class: it stops there for everyone within a few "
                  "seconds.", model=str(stopped)), icon=":material/stop_circle:")
    if not jobs and not elsewhere:
        st.info(_("Nobody is training right now."), icon=":material/bedtime:")
        return
    header = st.columns(COLUMNS)
    for column, title in zip(header, (_("Nickname"), _("Model"), _("State"), _("Place"), _("Progress"), ""),
                             strict=True):
        column.markdown(f"**{title}**")
    for job in jobs:
        listed = registry().listed(job)
        _row(listed, _state(listed), f"teacher_stop_{job.uid}", _stop, job)
    for listed in elsewhere:
        _row(listed, _("{state} · other server", state=_state(listed)),
             f"teacher_stop_{listed.server}_{listed.dask_key}", _stop_elsewhere, listed)


def _row(listed: Listed, state: str, key: str, on_stop, target) -> None:
    """One training of the class's line: this server's (`target` its Job) or another server's (its Listed)."""
    cells = st.columns(COLUMNS, vertical_alignment="center")
    cells[0].text(listed.owner or NO_NICKNAME)
    cells[1].text(str(naming.model_title(listed.model)))
    cells[2].text(state)
    cells[3].text(str(listed.place) if listed.place else "")
    if listed.place:
        wait = wait_text(listed.wait_s)
        cells[4].text(_("starts in {wait}", wait=wait) if wait else "")
    elif listed.epoch:
        cells[4].progress(min(max(listed.fraction, 0.0), 1.0),
                          text=_("epoch {epoch} of {epochs}", epoch=listed.epoch, epochs=listed.epochs))
    cells[5].button(_("Stop"), key=key, on_click=on_stop, args=(target,), disabled=listed.state == "stopping",
                    icon=":material/stop:")


def students(runs: list[Run]) -> None:
    """Each nickname's runs, then each nickname's steps done in each lesson."""
    st.subheader(_("Runs by nickname"))
    rows = students_runs(runs)
    if not rows:
        st.info(_("No runs yet."))
    else:
        st.dataframe([{_("Nickname"): row.nickname or NO_NICKNAME, _("Runs"): row.runs,
                       _("Best test accuracy"): row.best_accuracy} for row in rows],
                     column_config={_("Best test accuracy"): st.column_config.NumberColumn(format="percent")},
                     hide_index=True, key="teacher_runs_table")
    st.subheader(_("Lesson progress"))
    lessons = shared_lessons()[0]
    try:
        progress = class_lesson_progress(events_by_owner(shared_store().engine), runs, lessons)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    if not progress:
        st.info(_("No lesson progress yet: it is kept for the students who have a nickname."))
        return
    titles = {lesson.id: str(lesson.title) for lesson in lessons}
    table: dict[str, dict[str, str]] = {}
    for row in progress:
        table.setdefault(row.nickname, {_("Nickname"): row.nickname})[titles[row.lesson]] = f"{row.done}/{row.steps}"
    st.dataframe(list(table.values()), hide_index=True, key="teacher_progress_table")
    st.caption(_("Steps done of each lesson's steps, as each student's Lessons page ticks them."))
