"""The Class page's downloads: the class's runs, the challenges' leaderboards and the lesson progress as
CSV files (a spreadsheet opens them)."""

from __future__ import annotations

import time

import streamlit as st

from mnistlab.errors import MnistlabError
from mnistlab.i18n import _
from mnistlab.store.class_report import class_lesson_progress, events_by_owner, leaderboards_csv, lesson_progress_csv
from mnistlab.store.class_report import runs_csv as runs_file
from mnistlab.store.runs import Run
from ui.lesson_steps import shared_lessons
from ui.resources import shared_store


def downloads(runs: list[Run]) -> None:
    st.subheader(_("Downloads"))
    day = time.strftime("%Y-%m-%d")
    engine = shared_store().engine
    try:
        progress = class_lesson_progress(events_by_owner(engine), runs, shared_lessons()[0])
        boards = leaderboards_csv(engine)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    row = st.container(horizontal=True, gap="small")
    row.download_button(_("Runs (.csv)"), runs_file(runs), file_name=f"mnistlab-runs-{day}.csv", mime="text/csv",
                        key="teacher_csv_runs", icon=":material/table:")
    row.download_button(_("Leaderboards (.csv)"), boards, file_name=f"mnistlab-leaderboards-{day}.csv",
                        mime="text/csv", key="teacher_csv_leaderboards", icon=":material/leaderboard:")
    row.download_button(_("Lesson progress (.csv)"), lesson_progress_csv(progress),
                        file_name=f"mnistlab-lesson-progress-{day}.csv", mime="text/csv",
                        key="teacher_csv_progress", icon=":material/school:")
    st.caption(_("The leaderboards file has every scored run with its private score: it is for you, not the "
                 "class."))
