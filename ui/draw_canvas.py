"""The drawing canvas: our own small component, so that a stroke reaches the model at once.

A Streamlit custom component (v2: HTML, CSS and JavaScript in ui/canvas/, no iframe, no build).
The browser draws with pointer events (mouse, finger, pen) on a plain <canvas>: nothing floats
over the drawing area, so a stroke starting anywhere registers. When the pen is lifted it sends
its strokes, at once (no debounce): a few hundred coordinates, not the canvas's pixels. Python
checks and rasterises them (mnistlab.data.strokes), so the model reads what the screen shows.
Undo, Redo and Clear are buttons under the drawing area.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from mnistlab.data.strokes import MAX_POINTS, MAX_STROKES, StrokeError, parse_strokes, rasterise
from mnistlab.i18n import _

ASSETS = Path(__file__).parent / "canvas"  # canvas.html, canvas.css, canvas.js: the browser's side
# Read once, at import. Streamlit takes paths to these files only for a component in an installed
# package (a pyproject.toml manifest with an asset_dir); the app is not one, so it gets their text.
_component = st.components.v2.component(
    "mnistlab.draw_canvas",
    **{kind: (ASSETS / f"canvas.{kind}").read_text(encoding="utf-8") for kind in ("html", "css", "js")},
)


@dataclass(frozen=True)
class CanvasDrawing:
    """What the canvas holds: its strokes and, once there is one, the drawing as a (size, size)
    uint8 image, white ink on black."""

    strokes: list[np.ndarray]
    image_data: np.ndarray | None


def drawing_canvas(size: int, stroke_px: int, key: str) -> CanvasDrawing:
    """White ink on black, `size` px square, a round pen `stroke_px` wide. Shows what is wrong
    with what the browser sent, if anything, and then counts it as an empty canvas."""
    labels = {"undo": _("Undo"), "redo": _("Redo"), "clear": _("Clear"), "canvas": _("Drawing area")}
    data = {"size": size, "pen": stroke_px, "maxStrokes": MAX_STROKES, "maxPoints": MAX_POINTS, "labels": labels}
    result = _component(key=key, data=data, width="content", on_strokes_change=lambda: None)
    try:
        strokes = parse_strokes(result.get("strokes"), size)
    except StrokeError as exc:
        st.error(str(exc))
        return CanvasDrawing([], None)
    return CanvasDrawing(strokes, rasterise(strokes, size, stroke_px))


def stroke_count(result: CanvasDrawing) -> int:
    """How many strokes the canvas holds (0 before the first one)."""
    return len(result.strokes)
