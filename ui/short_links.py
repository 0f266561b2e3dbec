"""Short links a teacher writes on the board (`?go=K7PQ2M`, `mnistlab.store.classroom`): followed once
at app start, before the builder is drawn — a lesson as `?lesson=` is, a challenge by setting
`?challenge=` for the Challenges page, a starting model into the builder as a `?spec=` link is. Also
the box where a student types a code read off the board."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from mnistlab.errors import MnistlabError, SpecError
from mnistlab.i18n import L_, _
from mnistlab.model.spec import ModelSpec
from mnistlab.store.classroom import clean_code, follow_link
from ui.builder import LINK_ERROR_KEY, load_spec
from ui.resources import shared_store

GO_PARAM = "go"
CHALLENGE_PARAM = "challenge"  # read by the Challenges page
TRAIN_PAGE = "app_pages/train.py"
_SEEN_KEY = "go_link_followed"
_NOTICE_KEY = "go_link_notice"
CODE_BOX_KEY = "go_code"


def follow_go_link(page: object) -> None:
    """`?go=CODE`, once per code: what it stands for, then the address is left without it. In app.py
    before `follow_lesson_link` (a lesson code becomes `?lesson=`) and before the builder is drawn."""
    notice = st.session_state.pop(_NOTICE_KEY, None)
    if notice:
        st.sidebar.warning(str(notice), icon=":material/link_off:")
    wanted = st.query_params.get(GO_PARAM)
    if not wanted:
        return
    del st.query_params[GO_PARAM]
    if st.session_state.get(_SEEN_KEY) == wanted:
        return
    st.session_state[_SEEN_KEY] = wanted
    try:
        found = follow_link(shared_store().engine, wanted)
    except MnistlabError as exc:
        st.sidebar.warning(str(exc), icon=":material/link_off:")
        return
    if found is None:
        st.sidebar.warning(_("There is no link with the code {code}: check it on the board.",
                             code=clean_code(wanted) or wanted[:20]), icon=":material/link_off:")
        return
    kind, target = found
    if kind == "lesson":
        st.query_params["lesson"] = target
    elif kind == "challenge":
        st.query_params[CHALLENGE_PARAM] = target
    elif kind == "spec":
        try:
            load_spec(ModelSpec.from_json(target), "shared_link")
        except SpecError as exc:
            st.session_state[LINK_ERROR_KEY] = L_("The shared link's model could not be used: {problem}",
                                                  problem=exc.message)
            return
        if getattr(page, "url_path", "") != "train":
            kept = {key: st.query_params[key] for key in ("lang", "projector") if key in st.query_params}
            st.switch_page(TRAIN_PAGE, query_params=kept)


def _go() -> None:
    code = clean_code(st.session_state.get(CODE_BOX_KEY, ""))
    if code:
        st.query_params[GO_PARAM] = code
        st.session_state.pop(_SEEN_KEY, None)
    else:
        st.session_state[_NOTICE_KEY] = L_("A code has letters and digits only, as written on the board.")
    st.session_state[CODE_BOX_KEY] = ""


def code_box() -> None:
    """For everyone: a code from the board, typed in."""
    with st.form("go_code_form", border=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.text_input(_("A code from the board"), key=CODE_BOX_KEY, max_chars=16, placeholder="K7PQ2M")
        right.form_submit_button(_("Go"), on_click=_go, icon=":material/arrow_forward:")


def app_url() -> str:
    """The app's own address as the browser reached it (its root, no page, no query)."""
    url = st.context.url or ""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "http://localhost:8501"
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{origin}/{base}/" if base else f"{origin}/"


def go_url(code: str) -> str:
    return f"{app_url()}?{GO_PARAM}={code}"
