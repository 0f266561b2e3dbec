"""Opening the app in AppTest the way a student opens it: app.py first, then a page."""

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def open_app(page: str | None = None, timeout: float = 120) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception
    return at


def app_at(page: str, active=None, drawing=None, timeout: float = 180) -> AppTest:
    """The app on `page`, not run yet, with the session's model (an `ActiveModel`) and a drawing
    as the canvas component sends it, in its state."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.switch_page(page)
    if active is not None:
        at.session_state["active_model"] = active
    if drawing is not None:
        at.session_state["draw_canvas"] = drawing  # what the canvas sent (helpers.canvas_sends)
    return at


def plotly_figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def plotly_values(values) -> np.ndarray:
    """Plotly's JSON holds arrays as lists, or as {"dtype", "bdata": base64} when made from NumPy."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.asarray(values, dtype=float)


def answer_headings(at: AppTest) -> list[str]:
    """The Draw page's answers ("It's a 7")."""
    return [md.value for md in at.markdown if "It's a" in md.value]
