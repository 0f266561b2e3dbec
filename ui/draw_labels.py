"""“It was a 7.”: students label their drawings; the class's drawings become a test set.

The drawings live in the run store (mnistlab.store.drawings); here are the widgets that add,
score, show and delete them, for the Draw page and the Evaluate page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from mnistlab.data.pixels import to_uint8
from mnistlab.errors import MnistlabError
from mnistlab.i18n import _
from mnistlab.insight.evaluate import predict_proba
from mnistlab.store.drawings import Drawing
from ui.gallery import gallery, upscale
from ui.identity import is_teacher, nickname, nickname_missing
from ui.progress import record
from ui.resources import shared_store
from ui.session import ActiveModel, session_id

SAVED_KEY = "draw_saved"  # (hash of the 28×28 image, label) of the drawing this session last kept
MESSAGE_KEY = "draw_label_message"  # (kind, text) to show under the buttons after a click
OWN_SHOWN = 12  # own drawings listed for deletion


@dataclass(frozen=True)
class DrawingsScore:
    correct: int
    total: int
    wrong: list[tuple[Drawing, int]]  # each wrongly read drawing with what the model said


def _fingerprint(image28: np.ndarray) -> str:
    return hashlib.sha1(to_uint8(image28).tobytes()).hexdigest()


def keep_labelled(image28: np.ndarray | None, label: int, problem: str | None) -> None:
    """Button callback: store the drawing with its label, or say why not (no drawing, not a digit)."""
    if image28 is None:
        st.session_state[MESSAGE_KEY] = ("warning", _("Draw a digit first, then say which one you meant."))
        return
    if problem:
        st.session_state[MESSAGE_KEY] = ("warning", _("Not kept: {problem}", problem=str(problem)))
        return
    if nickname_missing():  # the teacher asks every drawing to have an owner
        st.session_state[MESSAGE_KEY] = ("warning", _("Not kept: your teacher asks everyone for a nickname. Type "
                                                      "yours in the sidebar (**Your nickname**), then press the "
                                                      "digit again."))
        return
    fingerprint = (_fingerprint(image28), label)
    if st.session_state.get(SAVED_KEY) == fingerprint:
        st.session_state[MESSAGE_KEY] = ("info", _("This drawing is already kept as a {label}.", label=label))
        return
    try:
        shared_store().add_drawing(to_uint8(image28), label, owner=nickname(), session=session_id())
    except MnistlabError as exc:
        st.session_state[MESSAGE_KEY] = ("error", str(exc))
        return
    st.session_state[SAVED_KEY] = fingerprint
    record("drawing_labelled", label=label)
    st.session_state[MESSAGE_KEY] = ("success", _("Kept as a {label} in the class's drawings. Clear the box to "
                                                  "draw the next one.", label=label))


def label_buttons(image28: np.ndarray | None, problem: str | None, class_names: tuple[str, ...]) -> None:
    """Under the answer: "Which digit did you mean?" and the ten buttons."""
    st.markdown(_("**Which digit did you mean?** It is kept for the class's own test set."))
    row = st.container(horizontal=True, gap="small")
    for label, name in enumerate(class_names):
        row.button(name, key=f"draw_label_{label}", on_click=keep_labelled, args=(image28, label, problem))
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        kind, text = message
        getattr(st, kind)(text)


@st.cache_resource(max_entries=16, show_spinner=False)
def _score(_model: Any, model_key: str, ids: tuple[int, ...], _drawings: tuple[Drawing, ...]) -> DrawingsScore:
    if not _drawings:
        return DrawingsScore(0, 0, [])
    predicted = predict_proba(_model, np.stack([d.image for d in _drawings])).argmax(axis=1)
    wrong = [(d, int(p)) for d, p in zip(_drawings, predicted, strict=True) if int(p) != d.label]
    return DrawingsScore(len(_drawings) - len(wrong), len(_drawings), wrong)


def drawings_score(active: ActiveModel) -> DrawingsScore | None:
    """How many of the class's labelled drawings the model reads right; None when the store fails
    (after saying why)."""
    try:
        drawings = tuple(shared_store().drawings())
    except MnistlabError as exc:
        st.error(str(exc))
        return None
    return _score(active.model, active.key, tuple(d.id for d in drawings), drawings)


def score_line(score: DrawingsScore, mnist_accuracy: float | None, on_draw: bool = False) -> str:
    """`on_draw`: said under Draw's digit buttons (which are above it), else on another page."""
    if score.total == 0:
        how = (_("label yours with the digit buttons above") if on_draw else
               _("draw a digit on the Draw page and press the digit you meant"))
        if mnist_accuracy is None:
            return _("No labelled drawings in the class yet: {how}.", how=how)
        return _("No labelled drawings in the class yet: {how} · MNIST test set: **{accuracy:.1%}**.", how=how,
                 accuracy=mnist_accuracy)
    if mnist_accuracy is None:
        return _("The class's drawings: this model reads **{correct} of {total}** ({share:.0%})",
                 correct=score.correct, total=score.total, share=score.correct / score.total)
    return _("The class's drawings: this model reads **{correct} of {total}** ({share:.0%}) · MNIST test set: "
             "**{accuracy:.1%}**", correct=score.correct, total=score.total, share=score.correct / score.total,
             accuracy=mnist_accuracy)


def _mine(drawing: Drawing) -> bool:
    me = nickname()
    return bool(me and drawing.owner == me) or (not drawing.owner and drawing.session == session_id())


def _delete(drawing_id: int) -> None:
    try:
        shared_store().delete_drawing(drawing_id, by=nickname(), session=session_id(), teacher=is_teacher())
    except MnistlabError as exc:
        st.session_state[MESSAGE_KEY] = ("error", str(exc))


def own_drawings() -> None:
    """The session's own labelled drawings, newest first, each with Delete."""
    try:
        mine = sorted((d for d in shared_store().drawings() if _mine(d) or is_teacher()), key=lambda d: -d.created)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    if not mine:
        return
    with st.expander(_("Your labelled drawings ({count})", count=len(mine)) if not is_teacher() else
                     _("All labelled drawings ({count}, teacher mode)", count=len(mine))):
        row = st.container(horizontal=True, gap="small")
        for drawing in mine[:OWN_SHOWN]:
            cell = row.container(width=72)
            cell.image(upscale(drawing.image, 2), caption=_("a {label}", label=drawing.label), width=56,
                       output_format="PNG")
            cell.button(_("Delete"), key=f"draw_delete_{drawing.id}", on_click=_delete, args=(drawing.id,),
                        type="tertiary")
        if len(mine) > OWN_SHOWN:
            st.caption(_("and {count} more.", count=len(mine) - OWN_SHOWN))


def drawings_section(active: ActiveModel, mnist_accuracy: float | None) -> None:
    """For Evaluate: the class's labelled drawings scored, and the ones read wrongly."""
    st.subheader(_("The class's own handwriting"))
    score = drawings_score(active)
    if score is None:
        return
    st.markdown(score_line(score, mnist_accuracy))
    if score.total == 0:
        st.page_link("app_pages/draw.py", label=_("Go to Draw"), icon=":material/draw:")
    if score.wrong:
        st.caption(_("Read wrongly (P: the model's answer, C: what the student meant):"))
        gallery([d.image for d, _p in score.wrong], [f"P {p}, C {d.label}" for d, p in score.wrong])
