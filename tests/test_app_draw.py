"""AppTest: the Draw page, as a student uses it. AppTest cannot move a mouse, so each test puts
what the canvas's JavaScript sends on a pen-up — its strokes — into the component's state."""

from __future__ import annotations

import numpy as np
import pytest
from apptest import answer_headings as headings
from apptest import app_at, plotly_figures, plotly_values
from helpers import a_dot, a_one, a_scribble, canvas_sends
from streamlit.testing.v1 import AppTest

from mnistlab import i18n
from ui.resources import shared_store
from ui.session import ActiveModel

DRAW, EVALUATE = "app_pages/draw.py", "app_pages/evaluate.py"


pytestmark = pytest.mark.usefixtures("fresh_store")


def app(active: ActiveModel | None = None, drawing: np.ndarray | None = None, page: str = DRAW) -> AppTest:
    return app_at(page, active, drawing)


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def no_trouble(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_the_shipped_default_model_answers_at_once_and_trains_nothing(monkeypatch) -> None:
    from mnistlab.engine.jobs import JobRegistry
    from mnistlab.model.default import default_model_key

    submitted = []
    monkeypatch.setattr(JobRegistry, "submit", lambda self, spec, *args, **kwargs: submitted.append(spec))
    at = app(drawing=a_one())
    at.run()
    no_trouble(at)
    active = at.session_state["active_model"]
    assert active.key == default_model_key() and active.spec.name == "draw_default"
    (heading,) = headings(at)  # the answer on the first run of the page: nothing to wait for
    bars = next(fig for fig in plotly_figures(at) if fig["data"][0]["type"] == "bar")
    probabilities = plotly_values(bars["data"][0]["y"])
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert heading == f"## It's a 1 — {probabilities.max():.0%}"  # the shipped model reads the test's one
    assert "still training" not in texts(at.info)
    assert shared_store().list() == []  # no run listed on Experiments, no owner-less "Run 1"
    assert submitted == []  # nothing trains for it, now or in the background
    previous = i18n._language_source
    i18n.set_language_source(lambda: "zh")  # the label is said in the reader's language wherever shown
    try:
        assert str(active.label) == "默认模型：一个用数据增强训练的小型 CNN"
    finally:
        i18n.set_language_source(previous)


@pytest.mark.parametrize(("name", "drawing", "kind", "words"), [
    ("empty canvas", canvas_sends(), "info", "Draw a digit in the box"),
    ("single dot", a_dot(), "warning", "dot"),
    ("scribble filling the box", a_scribble(), "warning", "scribble"),
])
def test_bad_drawings_get_a_clear_line_and_no_answer(small_model, name, drawing, kind, words) -> None:
    at = app(small_model, drawing)
    at.run()
    no_trouble(at)
    assert words in texts(getattr(at, kind)), name
    assert not headings(at)


def test_a_label_click_without_a_drawing_keeps_nothing(small_model) -> None:
    at = app(small_model)
    at.run()
    at.button(key="draw_label_7").click().run()
    no_trouble(at)
    assert "Draw a digit first" in texts(at.warning)
    assert shared_store().drawings() == []


def test_a_label_click_on_a_dot_keeps_nothing(small_model) -> None:
    at = app(small_model, a_dot())
    at.run()
    at.button(key="draw_label_0").click().run()
    no_trouble(at)
    assert "Not kept" in texts(at.warning)
    assert shared_store().drawings() == []


def test_it_was_a_one_is_kept_scored_and_can_be_deleted(small_model) -> None:
    at = app(small_model, a_one())
    at.run()
    at.button(key="draw_label_1").click().run()
    no_trouble(at)
    assert "Kept as a 1" in texts(at.success)
    (kept,) = shared_store().drawings()
    assert kept.label == 1 and kept.image.shape == (28, 28) and kept.session == at.session_state["session_id"]
    assert kept.image.max() == 255  # the 28×28 image the model read, not the canvas
    at.button(key="draw_label_1").click().run()  # the same drawing twice is kept once
    assert "already kept" in texts(at.info) and len(shared_store().drawings()) == 1
    read = headings(at)[0].startswith("## It's a 1")
    score = texts(at.caption)
    assert f"reads **{int(read)} of 1**" in score and "MNIST test set" in score
    at.button(key=f"draw_delete_{kept.id}").click().run()
    no_trouble(at)
    assert shared_store().drawings() == []


def test_someone_elses_drawing_cannot_be_deleted_here(small_model) -> None:
    other = shared_store().add_drawing(np.zeros((28, 28), dtype=np.uint8), 3, owner="", session="another-session")
    at = app(small_model, a_one())
    at.run()
    no_trouble(at)
    assert not [b for b in at.button if b.key == f"draw_delete_{other}"]


def test_naive_versus_faithful_side_by_side(small_model) -> None:
    at = app(small_model, a_one())
    at.run()
    assert len(headings(at)) == 1
    at.toggle(key="draw_naive").set_value(True).run()
    no_trouble(at)
    plain, faithful = headings(at)
    assert plain.startswith("#### Plain resize: It's a") and faithful.startswith("#### MNIST-style: It's a")
    assert len(at.image) >= 2


def test_evaluate_shows_the_class_drawings_and_the_wrongly_read_ones(small_model) -> None:
    from mnistlab.insight.evaluate import predict_proba

    blank = np.zeros((28, 28), dtype=np.uint8)
    predicted = int(predict_proba(small_model.model, blank[None]).argmax())
    shared_store().add_drawing(blank, (predicted + 1) % 10, session="s")  # read wrongly, surely
    shared_store().add_drawing(blank, predicted, session="s")  # read right
    at = app(small_model, page=EVALUATE)
    at.run()
    no_trouble(at)
    assert "reads **1 of 2**" in texts(at.markdown)
    assert [f"P {predicted}, C {(predicted + 1) % 10}"] in [list(image.captions) for image in at.image]
