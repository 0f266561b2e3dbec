"""The projector view (`?projector=1`): larger type and figures for a class reading a wall, on every
page. Kept in the session and written back to the address on every run (a page switch drops the
query), so a reload or a page switch keeps it; `?projector=0` or the Class page's switch ends it."""

from __future__ import annotations

import streamlit as st

PARAM = "projector"
KEY = "projector_on"
_SWITCH_KEY = "projector_switch"
_SEEN_KEY = "projector_in_address"
SCALE = 1.35  # what the back row of a classroom still reads
SIDEBAR_SCALE = 1.15  # the sidebar keeps its width: its text grows less

# The whole main area zoomed, type, tables and images alike: its content is laid out at the zoomed size,
# so each fits its column. Plotly sizes a chart by its container's on-screen width, which a zoom
# already enlarged, and then the zoom enlarges it again past its column: a chart is zoomed back to 1, to
# fill its column as it does without the projector view (its axes' type stays as it was).
CSS = f"""<style>
[data-testid="stMain"] {{ zoom: {SCALE}; }}
[data-testid="stMain"] [data-testid="stPlotlyChart"] {{ zoom: {1 / SCALE:.4f}; }}
[data-testid="stSidebar"] {{ zoom: {SIDEBAR_SCALE}; }}
</style>"""


def projector_view() -> bool:
    """Read `?projector=`, keep it, apply it; True while the projector view is on. In app.py, every run."""
    asked = st.query_params.get(PARAM)
    if asked is not None and asked != st.session_state.get(_SEEN_KEY):  # a link, or the address edited
        st.session_state[KEY] = asked.strip().lower() in ("1", "true", "on", "yes")
    on = bool(st.session_state.get(KEY))
    if on and asked != "1":
        st.query_params[PARAM] = "1"
    elif not on and asked is not None:
        del st.query_params[PARAM]
    st.session_state[_SEEN_KEY] = "1" if on else None
    if on:
        st.html(CSS)
    return on


def _switched() -> None:
    st.session_state[KEY] = st.session_state[_SWITCH_KEY]


def projector_switch() -> None:
    """The Class page's switch (a widget's own state is dropped on pages that do not draw it)."""
    from mnistlab.i18n import _

    st.session_state[_SWITCH_KEY] = bool(st.session_state.get(KEY))
    st.toggle(_("Projector view: larger type and figures on every page"), key=_SWITCH_KEY, on_change=_switched)
