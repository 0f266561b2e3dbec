"""The drawing canvas, with its toolbar moved off the drawing area.

streamlit-drawable-canvas 0.13 floats its toolbar (Undo, Redo, Reset, ...) over the top
right of the canvas, invisible until hovered but still catching the pointer: a stroke
that starts in that ~140×30 px band, with a finger or a quick mouse, is lost. The
component's styles live in a shadow root that the page's CSS cannot reach, so we
register the same component again with its own stylesheet plus a few rules that put
the toolbar below the canvas, always visible, with only Undo, Redo and Reset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st
import streamlit_drawable_canvas
from streamlit_drawable_canvas import st_canvas

COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"
TOOLBAR_REM = 3.2  # room kept under the canvas for the toolbar (2.8 rem tall)
# The card is the toolbar's first child; its buttons: upload, undo, redo, separator, edit, contextual, bin.
TOOLBAR_BELOW = f"""
.dc-root{{padding-bottom:{TOOLBAR_REM}rem}}
.dc-toolbar,.dc-root:hover>.dc-toolbar,.dc-toolbar:hover,.dc-toolbar:focus-within,.dc-toolbar[data-pinned=true]{{
  opacity:1;top:auto;bottom:0;left:0;right:auto;padding:.25rem 0 0 0;transition:none}}
.dc-toolbar-card>:nth-child(1),.dc-toolbar-card>:nth-child(4),.dc-toolbar-card>:nth-child(5),
.dc-toolbar-card>:nth-child(6){{display:none!important}}
.dc-icon-button{{padding:.45rem}}
.dc-icon-button svg{{width:1.15rem;height:1.15rem}}
"""


def _register() -> None:
    """The package's own script and stylesheet, plus TOOLBAR_BELOW. On every run, since each
    Streamlit runtime (a server, or each AppTest) keeps its own component registry."""
    build = Path(streamlit_drawable_canvas.__file__).parent / "frontend" / "build"
    css = "\n".join(path.read_text() for path in sorted(build.glob("index-*.css")))
    st.components.v2.component(COMPONENT, js="index-*.js", css=css + TOOLBAR_BELOW,
                               html='<div class="canvas-root"></div>', isolate_styles=True)


def drawing_canvas(size: int, stroke_px: int, key: str) -> Any:
    """White ink on black, `size` px square; returns the canvas's result (image_data, json_data)."""
    _register()
    return st_canvas(stroke_width=stroke_px, stroke_color="#FFFFFF", background_color="#000000",
                     height=size, width=size, drawing_mode="freedraw", return_image_data=True, key=key)


def stroke_count(result: Any) -> int:
    """How many strokes the canvas holds (0 before the first one)."""
    data = getattr(result, "json_data", None) or {}
    return len(data.get("objects") or [])
