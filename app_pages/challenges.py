"""Challenges: the one this session is in — its rules, its time left, its leaderboards (public now, private
once the teacher reveals it) — and a box to enter another by its code."""

from __future__ import annotations

import time

import streamlit as st

from mnistlab.challenges import Challenge, Leaderboard, leaderboard, list_challenges
from mnistlab.errors import DataError, MnistlabError
from mnistlab.i18n import _, n_
from ui.challenge_session import WANTED_KEY, ask_for, current_challenge, find_challenge, leave, session_nickname
from ui.identity import as_text, is_teacher
from ui.resources import shared_dataset, shared_store

SCORE_AT_MOST = 3  # runs scored per page run: a page never waits for a whole class's models
BOARD_REFRESH_S = 15


def ago(moment: float) -> str:
    seconds = max(time.time() - moment, 0)
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return n_("{n} min ago", "{n} min ago", int(seconds // 60))
    if seconds < 86400:
        return n_("{n} h ago", "{n} h ago", int(seconds // 3600))
    return n_("{n} day ago", "{n} days ago", int(seconds // 86400))


def time_left(challenge: Challenge) -> str:
    if challenge.ends_at is None:
        return _("Open until the teacher ends it.")
    seconds = challenge.ends_at - time.time()
    if seconds <= 0:
        return _("Ended {when}: runs stored since then do not count.", when=ago(challenge.ends_at))
    hours, minutes = divmod(int(seconds // 60), 60)
    if hours:
        return _("{hours} h {minutes} min left.", hours=hours, minutes=minutes)
    return n_("{n} min left.", "{n} min left.", max(minutes, 1))


@st.cache_data(ttl=5, show_spinner=False)
def _board(code: str, part: str, teacher: bool, dataset_name: str) -> Leaderboard:
    try:
        dataset = shared_dataset(dataset_name)
    except DataError:
        dataset = None  # the core says why the board cannot be scored
    return leaderboard(shared_store(), code, part, teacher=teacher, score_at_most=SCORE_AT_MOST, dataset=dataset)


@st.cache_data(ttl=5, show_spinner=False)
def _challenges() -> list[Challenge]:
    return list_challenges(shared_store())


def _enter_typed() -> None:
    ask_for(st.session_state.get("challenge_code_box", ""))


def code_box() -> None:
    with st.form("challenge_enter_form", border=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.text_input(_("Challenge code"), key="challenge_code_box", max_chars=16, placeholder="K7PQ2M",
                        help=_("The six letters and digits the teacher gives you (or open the teacher's link)."))
        right.form_submit_button(_("Enter"), on_click=_enter_typed, width="stretch")


def waiting_for_nickname() -> None:
    wanted = st.session_state.get(WANTED_KEY)
    if not wanted:
        return
    found = find_challenge(wanted)
    if wanted == "?":
        st.error(_("That is not a challenge code: a code is six letters and digits, like K7PQ2M."))
    elif found is None:
        st.error(_("There is no challenge {code}. Check the code with your teacher.", code=wanted))
    elif not session_nickname():
        st.warning(_("To enter the challenge **{name}**, type your nickname in the sidebar: the leaderboard lists "
                     "you by it.", name=as_text(found.name)), icon=":material/badge:")


def the_class_challenges() -> None:
    try:
        challenges = _challenges()
    except MnistlabError as exc:
        st.error(str(exc))
        return
    if not challenges:
        st.info(_("The class has no challenges yet: the teacher makes them on the Classroom page."))
        return
    st.subheader(_("The class's challenges"))
    for challenge in challenges[:10]:
        left, right = st.columns([4, 1], vertical_alignment="center")
        state = _("open") if challenge.is_open() else _("ended")
        left.markdown(f"**{as_text(challenge.name)}** · `{challenge.code}` · {state}")
        right.button(_("Enter"), key=f"challenge_enter_{challenge.code}", on_click=ask_for, args=(challenge.code,),
                     width="stretch")


def board_table(board: Leaderboard, public_scores: dict[int, float] | None = None) -> None:
    """The public board; with `public_scores`, the private one: its runs are the public board's, so it shows
    the rank change and the two scores instead of their parameters and epochs again (it fits a phone)."""
    me = session_nickname()
    rows = []
    for entry in board:
        row = {_("Rank"): entry.rank}
        if public_scores is not None:
            change = entry.public_rank - entry.rank
            row[_("Change")] = f"▲ {change}" if change > 0 else f"▼ {-change}" if change < 0 else "="
        row[_("Nickname")] = f"👉 {entry.owner}" if entry.owner == me else entry.owner
        row[_("Score")] = f"{entry.score:.2%}"
        if public_scores is not None:
            other = public_scores.get(entry.run_id)  # a run scored between the two boards' reads: "?"
            row[_("Public score")] = f"{other:.2%}" if other is not None else "?"
        else:
            row[_("Parameters")] = f"{entry.params:,}" if entry.params is not None else "?"
            row[_("Epochs")] = entry.epochs
            row[_("When")] = ago(entry.when)
        rows.append(row)
    st.table(rows)


@st.fragment(run_every=BOARD_REFRESH_S)
def boards(challenge: Challenge) -> None:
    """Redrawn by itself every few seconds: a live board during the class, the pending runs scored meanwhile."""
    teacher = is_teacher()
    try:
        public = _board(challenge.code, "public", teacher, challenge.rules.dataset)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    st.subheader(_("Public leaderboard"))
    st.caption(_("Ranked on one half of the scoring set. The other half, the private one, stays hidden until the "
                 "teacher reveals it: a model tuned again and again to climb this board may do worse there. That "
                 "is overfitting to the leaderboard."))
    if public.problem is not None:
        st.warning(str(public.problem), icon=":material/warning:")
    if len(public):
        board_table(public)
    else:
        st.info(_("No run counts yet. Train a model that keeps the rules: your best run is listed here."))
    if public.pending:
        st.caption(n_("{n} run is still being scored.", "{n} runs are still being scored.", public.pending))
    st.button(_("Refresh"), key="challenge_refresh", icon=":material/refresh:", on_click=_board.clear)
    if not (challenge.revealed or teacher):
        st.caption(_("The private leaderboard appears here once the teacher reveals it."))
        return
    private = _board(challenge.code, "private", teacher, challenge.rules.dataset)
    st.subheader(_("Private leaderboard"))
    if not challenge.revealed:
        st.caption(_("Only the teacher sees this until it is revealed."))
    st.caption(_("The same runs, each student's best on the public half, scored on the private half. **Change** is "
                 "how many places a student moved from the public board."))
    board_table(private, {entry.run_id: entry.score for entry in public})


def main() -> None:
    st.title(_("Challenges"))
    waiting_for_nickname()
    challenge = current_challenge()
    if challenge is None:
        st.caption(_("In a challenge the class trains under the same rules, and a leaderboard ranks everyone's "
                     "best model."))
        code_box()
        the_class_challenges()
        st.stop()
    st.header(as_text(challenge.name))
    st.markdown("\n".join(f"- {line}" for line in challenge.rules.describe()))
    st.caption(time_left(challenge))
    if not session_nickname():
        st.warning(_("Without a nickname your runs do not count: type one in the sidebar."), icon=":material/badge:")
    st.caption(_("Your runs count while the challenge is open, when they keep the rules; the builder in the "
                 "sidebar holds you to them. A training identical to one already done (same model, settings and "
                 "seed) is not trained again and counts for whoever trained it first: change the seed to make it "
                 "yours."))
    boards(challenge)
    with st.expander(_("Share or leave this challenge")):
        st.caption(_("Add this to the app's address to bring someone into this challenge:"))
        st.code(f"?challenge={challenge.code}", language=None)
        st.button(_("Leave this challenge"), key="challenge_leave", on_click=leave)
        code_box()


main()
