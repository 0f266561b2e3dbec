"""The model being built, kept as a plain session value that the builder's widgets only mirror.

Streamlit forgets a widget's value when a run did not draw it, and a browser that redraws a widget
it had dropped (a run cut short by the next one, on a busy server) falls back to the widget's
default and sends that back as if the student had typed it. So the draft — widget key → value —
lives under DRAFT_KEY, which Streamlit never cleans up: every widget is drawn with the draft's
value as its default (never its minimum), writes back through on_change before the next run's
code starts, and the value it returns is kept too (a change whose callback Streamlit could not
call, because it had forgotten the widget, is not lost either).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

DRAFT_KEY = "builder_draft"  # widget key → value, for every setting and every layer field


def draft() -> dict[str, Any]:
    return st.session_state[DRAFT_KEY]


def has_draft() -> bool:
    return DRAFT_KEY in st.session_state


def set_value(key: str, value: Any) -> None:
    """A value the app sets (a preset, an import): the draft, and the widget shows it on the next draw.
    Only from a callback or before the widget is drawn."""
    draft()[key] = value
    st.session_state[key] = value


def _keep(key: str) -> None:
    if key in st.session_state:
        draft()[key] = st.session_state[key]


def draft_widget(draw: Callable[..., Any], label: str, key: str, options: Sequence[Any] | None = None,
                 **kwargs: Any) -> Any:
    """Draw `draw` (st.number_input, st.selectbox, …, or a column's) bound to the draft's `key`."""
    current = draft()[key]
    if options is None:
        value = draw(label, value=current, key=key, on_change=_keep, args=(key,), **kwargs)
    else:
        options = list(options)
        index = options.index(current) if current in options else 0
        value = draw(label, options, index=index, key=key, on_change=_keep, args=(key,), **kwargs)
    draft()[key] = value
    return value
