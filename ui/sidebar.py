"""What the sidebar shows on every page: the dataset choice, the nickname, and the session's
training while it runs."""

import streamlit as st

from mnistlab.i18n import _, n_
from mnistlab.model import naming
from mnistlab.store.owners import NICKNAME_MAX_CHARS, clean_nickname
from ui.identity import NICK_KEY, nickname_missing
from ui.resources import registry
from ui.session import DATASET_KEY, JOB_KEY, UPLOADED_KEY, session_id


def dataset_title(name: str) -> str:
    """A dataset choice as the reader says it: "MNIST", "Fashion-MNIST" or "Uploaded data"."""
    return str(naming.dataset_title(name))


def dataset_picker() -> None:
    options = ["mnist", "fashion_mnist"]
    if st.session_state.get(UPLOADED_KEY) is not None:
        options.append("custom")
    if st.session_state.get(DATASET_KEY) not in options:
        st.session_state[DATASET_KEY] = "mnist"
    st.sidebar.radio(_("Dataset"), options, format_func=dataset_title, key=DATASET_KEY, horizontal=True)


def _clean_input() -> None:
    st.session_state[NICK_KEY] = clean_nickname(st.session_state.get(NICK_KEY, ""))


def _keep_in_address() -> None:
    """A page link clicked in the moment after a page switch, before the browser has drawn the sidebar (a challenge
    link's switch to the Challenges page, then Train at once), leaves `?nick=` out of the new page's address while
    the session keeps the nickname: the box would show empty, and the next click would send that empty value back
    and leave the student without a name. Set again before the box is drawn, it is shown and written back into
    the address. (A student who clears the box clears the session's nickname too, so this never undoes that.)"""
    nick = st.session_state.get(NICK_KEY)
    if nick and NICK_KEY not in st.query_params:
        st.session_state[NICK_KEY] = nick


def nickname_box() -> None:
    """The sidebar box, bound to the URL's `?nick=`: a reload or a shared link keeps the nickname."""
    _keep_in_address()
    st.sidebar.text_input(
        _("Your nickname"), key=NICK_KEY, max_chars=NICKNAME_MAX_CHARS, on_change=_clean_input, bind="query-params",
        placeholder=_("so your runs and drawings are yours"),
        help=_("Your runs and drawings carry it; only you (or the teacher) can delete them. "
               "It is kept in the page address, so bookmark it to keep it."),
    )
    if nickname_missing():
        st.sidebar.warning(_("Your teacher asks everyone for a nickname: type one above before you train or keep "
                             "a drawing."), icon=":material/badge:")


def wait_text(seconds: float | None) -> str:
    """An estimated wait as a person says it: "about 3 minutes", "less than a minute"."""
    if seconds is None:
        return ""
    if seconds < 60:
        return _("less than a minute")
    minutes = round(seconds / 60)
    return n_("about {n} minute", "about {n} minutes", minutes)


def follow_job() -> None:
    """While this session's training runs, every page keeps following it (a heartbeat that
    keeps the session counted as a follower) and shows where it is in the sidebar."""
    job = st.session_state.get(JOB_KEY)
    if job is None or not job.active:
        return

    @st.fragment(run_every=5.0)
    def follow() -> None:
        registry().heartbeat(job, session_id())
        if not job.active:
            st.rerun()  # the whole app: the finished model becomes this session's on whatever page
        progress = job.progress
        place = registry().position(job) if job.state == "queued" else 0
        if place:
            wait = wait_text(registry().estimated_wait(job))
            model = naming.model_title(job.spec.name)
            st.caption(_("Training {model}: number {place} in the line, {wait} to wait.", model=model, place=place,
                         wait=wait) if wait else
                       _("Training {model}: number {place} in the line.", model=model, place=place))
        elif job.state == "queued" or progress is None:
            st.caption(_("Training {model}: waiting to start…", model=naming.model_title(job.spec.name)))
        else:
            st.progress(progress.fraction, text=_("Training {model}: epoch {epoch} of {epochs}",
                                                  model=naming.model_title(job.spec.name), epoch=progress.epoch,
                                                  epochs=progress.epochs))

    with st.sidebar:
        follow()
