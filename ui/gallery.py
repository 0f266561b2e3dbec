"""Galleries of 28×28 images, crisp and captioned, shared by Evaluate and Draw."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from mnistlab.data.pixels import to_uint8
from mnistlab.i18n import _

THUMB_SCALE = 3  # 28 px → 84 px
THUMB_GAP = 6  # transparent px each side: black thumbnails side by side would merge into one strip
THUMB_WIDTH = 28 * THUMB_SCALE + 2 * THUMB_GAP  # wide enough for "P 0, C 0 · 100%" on one line


def upscale(image: np.ndarray, scale: int = THUMB_SCALE) -> np.ndarray:
    """A 28×28 image (uint8 0..255 or float 0..1) as uint8, each pixel a scale×scale
    block: the browser would blur a 28 px image it enlarges itself."""
    a = to_uint8(image)
    a = a.reshape(a.shape[0], a.shape[1])
    return np.repeat(np.repeat(a, scale, axis=0), scale, axis=1)


def thumbnail(image: np.ndarray) -> np.ndarray:
    """An upscaled image as gray + alpha, with a transparent margin left and right."""
    big = upscale(image)
    out = np.zeros((big.shape[0], big.shape[1] + 2 * THUMB_GAP, 4), dtype=np.uint8)
    out[:, THUMB_GAP:-THUMB_GAP, :3] = big[:, :, None]
    out[:, THUMB_GAP:-THUMB_GAP, 3] = 255
    return out


def gallery(images: Sequence[np.ndarray], captions: Sequence[str]) -> None:
    """Small images in rows that wrap, with a caption under each."""
    if len(images) == 0:
        return
    st.image([thumbnail(image) for image in images], caption=list(captions), width=THUMB_WIDTH,
             output_format="PNG")


def how_many_shown(key: str, total: int, step: int, context: object = None) -> int:
    """How many of `total` items to show: `step` at first, `step` more per click on
    "Show more". Starts again from `step` when `context` (e.g. the chosen cell) changes."""
    state_key = f"{key}_shown"
    shown_context, shown = st.session_state.get(state_key, (context, step))
    if shown_context != context:
        shown = step
    st.session_state[state_key] = (context, shown)
    return min(total, shown)


def show_more_button(key: str, total: int, step: int, shown: int, context: object = None) -> None:
    """The "Show more" button that goes with `how_many_shown`, and what is on screen."""
    if total == 0:
        return
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(_("Showing {shown:,} of {total:,}.", shown=shown, total=total))
    if shown < total:
        def more() -> None:
            st.session_state[f"{key}_shown"] = (context, shown + step)

        right.button(_("Show more"), key=f"{key}_more", on_click=more, width="stretch")
