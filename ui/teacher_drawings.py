"""The class's drawings on the Class page: how many of each digit, the ones the class's models misread
most (as pictures), and between classes their export (PNGs and labels) and clearing."""

from __future__ import annotations

import streamlit as st

from mnistlab.errors import MnistlabError
from mnistlab.i18n import _, n_
from mnistlab.store.drawing_export import clear_drawings, drawings_zip
from mnistlab.store.drawings import Drawing
from mnistlab.store.hardest import RECENT_RUNS, Hard, class_hardest, recent_runs
from mnistlab.store.runs import Run
from ui.gallery import upscale
from ui.identity import is_teacher
from ui.resources import shared_store

HARDEST_KEY = "teacher_show_hardest"


@st.cache_resource(max_entries=4, show_spinner=False)
def _hardest(run_ids: tuple[int, ...], drawing_ids: tuple[int, ...], _runs: tuple[Run, ...],
             _drawings: tuple[Drawing, ...]) -> list[Hard]:
    """Once per (runs, drawings): a new run or drawing computes it again."""
    return class_hardest(shared_store(), list(_runs), list(_drawings))


@st.cache_data(max_entries=2, show_spinner=False)
def _zip(drawing_ids: tuple[int, ...], _drawings: tuple[Drawing, ...]) -> bytes:
    return drawings_zip(_drawings)


def _clear() -> None:
    try:
        count = clear_drawings(shared_store().engine, teacher=is_teacher())
    except MnistlabError as exc:
        st.session_state["teacher_drawings_message"] = ("error", str(exc))
        return
    st.session_state["teacher_drawings_message"] = ("success", n_("Cleared {n} drawing.", "Cleared {n} drawings.",
                                                                   count))
    st.session_state["teacher_confirm_clear_drawings"] = False


def class_drawings(runs: list[Run]) -> None:
    st.subheader(_("The class's drawings"))
    message = st.session_state.pop("teacher_drawings_message", None)
    if message:
        getattr(st, message[0])(message[1])
    try:
        drawings = shared_store().drawings()
    except MnistlabError as exc:
        st.error(str(exc))
        return
    if not drawings:
        st.info(_("No labelled drawings yet: students draw on the Draw page and press the digit they meant."))
        return
    counts = [sum(d.label == digit for d in drawings) for digit in range(10)]
    st.markdown(n_("{n} labelled drawing.", "{n} labelled drawings.", len(drawings)))
    st.dataframe([{str(digit): count for digit, count in enumerate(counts)}], hide_index=True,
                 key="teacher_drawing_counts")
    _hardest_digits(runs, drawings)
    _export_and_clear(drawings)


def _hardest_digits(runs: list[Run], drawings: list[Drawing]) -> None:
    st.markdown(_("**The class's hardest digits**: the drawings the class's latest models misread most."))
    if not st.toggle(_("Find them (the latest {n} finished MNIST runs read every drawing)", n=RECENT_RUNS),
                     key=HARDEST_KEY):
        return
    recent = recent_runs(runs)
    if not recent:
        st.info(_("No finished MNIST run with a kept model yet."))
        return
    with st.spinner(_("The class's models are reading the drawings…")):
        found = _hardest(tuple(r.id for r in recent), tuple(d.id for d in drawings), tuple(recent), tuple(drawings))
    if not found:
        st.success(n_("Every model read every drawing right ({n} model).",
                      "Every model read every drawing right ({n} models).", len(recent)))
        return
    row = st.container(horizontal=True, gap="small")
    for hard in found:
        cell = row.container(width=110)
        cell.image(upscale(hard.drawing.image, 3), width=84, output_format="PNG")
        cell.caption(_("a {label}, read as {read_as} by {misread} of {models}", label=hard.drawing.label,
                       read_as=hard.read_as, misread=hard.misread, models=hard.models))


def _export_and_clear(drawings: list[Drawing]) -> None:
    st.markdown(_("**Between classes**: take the drawings with you, then clear them."))
    left, right = st.columns(2)
    left.download_button(_("Download the drawings (.zip: PNGs and labels.csv)"),
                         _zip(tuple(d.id for d in drawings), tuple(drawings)), file_name="mnistlab-drawings.zip",
                         mime="application/zip", key="teacher_drawings_zip", icon=":material/download:")
    confirm = right.checkbox(n_("Yes, delete the class's {n} drawing", "Yes, delete the class's {n} drawings",
                                len(drawings)), key="teacher_confirm_clear_drawings")
    right.button(_("Clear the drawings"), key="teacher_clear_drawings", on_click=_clear, disabled=not confirm,
                 icon=":material/delete_sweep:")
