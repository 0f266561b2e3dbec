"""Links a teacher writes on the board: a lesson, a challenge or the builder's current model as a short
code (`?go=K7PQ2M`), with its address and a QR code to show on the projector."""

from __future__ import annotations

import io

import streamlit as st

from mnistlab.challenges import list_challenges
from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_, _, tr
from mnistlab.model import naming
from mnistlab.store.classroom import short_link
from ui.builder import SPEC_KEY
from ui.lesson_steps import lessons_by_id
from ui.resources import shared_store
from ui.short_links import go_url

KIND_KEY = "teacher_link_kind"
KINDS = {"lesson": N_("A lesson"), "challenge": N_("A challenge"), "spec": N_("The model in the sidebar")}
QR_SCALE = 10  # pixels per module: sharp when the projector scales it


def qr_png(text: str) -> bytes:
    """A QR code of `text` as PNG bytes (segno: pure Python, no dependencies)."""
    import segno

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=QR_SCALE, border=2)
    return out.getvalue()


def _challenges() -> dict[str, str]:
    return {challenge.code: challenge.name for challenge in list_challenges(shared_store())}


def _target(kind: str) -> str | None:
    """What the link stands for, chosen with the widgets of its kind; None when there is nothing to link."""
    if kind == "lesson":
        lessons = lessons_by_id()
        return st.selectbox(_("Lesson"), list(lessons), key="teacher_link_lesson",
                            format_func=lambda i: str(lessons[i].title))
    if kind == "challenge":
        try:
            found = _challenges()
        except MnistlabError:
            found = {}
        if not found:
            st.caption(_("No challenge has been made yet."))
            return None
        return st.selectbox(_("Challenge"), list(found), key="teacher_link_challenge",
                            format_func=lambda code: f"{found[code]} ({code})")
    spec = st.session_state.get(SPEC_KEY)
    if spec is None:
        st.caption(_("The model in the sidebar cannot be built: fix it first."))
        return None
    st.caption(_("The sidebar's model now: **{model}**, with its training settings.",
                 model=naming.model_title(spec.name)))
    return spec.to_json()


def links() -> None:
    st.subheader(_("A link for the board"))
    kind = st.segmented_control(_("Link to"), list(KINDS), format_func=lambda k: tr(KINDS[k]), key=KIND_KEY,
                                default="lesson", required=True)
    target = _target(kind)
    if not target:
        return
    try:
        code = short_link(shared_store().engine, kind, target)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    url = go_url(code)
    left, right = st.columns([3, 2])
    left.markdown(_("Code: **{code}**", code=code))
    left.code(url, language=None)
    left.caption(_("Students open the address, scan the code, or type the code in the box at the top of this "
                   "page."))
    right.image(qr_png(url), caption=code, width=260)
