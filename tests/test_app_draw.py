"""AppTest: the Draw page, as a student uses it. AppTest cannot move a mouse, so each test puts
what the canvas's JavaScript sends on a pen-up — its strokes — into the component's state."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app_evaluate_draw import ROOT, plotly_figures, plotly_values

from mnistlab import ModelSpec, i18n, train
from mnistlab.model.presets import draw_default_spec
from mnistlab.model.spec import dense, flatten
from ui.state import ActiveModel, run_store

DRAW, EVALUATE = "app_pages/draw.py", "app_pages/evaluate.py"
QUICK = draw_default_spec().replace(epochs=1, train_size=300)


@pytest.fixture(scope="module")
def small_model(sample):
    spec = ModelSpec((flatten(), dense(32)), epochs=1, train_size=500, name="tiny")
    result = train(spec, sample, use_cache=False)
    return ActiveModel(result.model, "tiny test model", "test-app-draw-tiny", sample.name, spec)


@pytest.fixture(autouse=True)
def fresh_store():
    """Each test's store is in its own cache folder (the autouse isolated_cache)."""
    run_store.clear()
    yield
    run_store.clear()


CANVAS_KEY = "draw_canvas"  # the component's key on the Draw page


def canvas_sends(*strokes: list[float]) -> dict:
    """The canvas component's state as its JavaScript sets it on a pen-up (`setStateValue('strokes',
    …)`): every stroke a flat [x0, y0, x1, y1, …] list in canvas pixels (280 × 280)."""
    return {"strokes": [list(stroke) for stroke in strokes]}


def app(active: ActiveModel | None = None, drawing: dict | None = None, page: str = DRAW) -> AppTest:
    """`drawing`: what the canvas sent (`canvas_sends`), in the component's state under its key."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page(page)
    if active is not None:
        at.session_state["active_model"] = active
    if drawing is not None:
        at.session_state[CANVAS_KEY] = drawing
    return at


def a_one() -> dict:
    return canvas_sends([140, 40, 140, 240])


def a_dot() -> dict:
    return canvas_sends([140, 140])  # a click: one point


def a_scribble() -> dict:
    return canvas_sends([v for i in range(11) for v in (10 + 26 * i, 10 if i % 2 else 270)])


def headings(at: AppTest) -> list[str]:
    return [md.value for md in at.markdown if "It's a" in md.value]


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def no_trouble(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_the_default_model_trains_while_the_student_draws(monkeypatch) -> None:
    from ui import warmup

    monkeypatch.setattr(warmup, "draw_default_spec", lambda: QUICK)  # the real one trains for a minute
    warmup._default_job.clear()
    try:
        at = app(drawing=a_one())
        at.run()
        no_trouble(at)
        job = warmup.start_default_model()
        if job.active:  # the usual case: the page is up while the model trains
            assert "still training" in texts(at.info) and "answer appears here" in texts(at.info)
            assert not headings(at)
        assert job.wait(timeout=170)
        at.run()
        no_trouble(at)
        label = at.session_state["active_model"].label
        assert at.session_state["active_model"].key == job.model_key
        previous = i18n._language_source
        i18n.set_language_source(lambda: "zh")  # the label is said in the reader's language wherever shown
        try:
            assert str(label) == "默认模型 draw_default（用数据增强训练的小型 CNN）"
        finally:
            i18n.set_language_source(previous)
        (heading,) = headings(at)
        bars = next(fig for fig in plotly_figures(at) if fig["data"][0]["type"] == "bar")
        probabilities = plotly_values(bars["data"][0]["y"])
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-4)
        assert heading.startswith(f"## It's a {int(probabilities.argmax())} — ")
    finally:
        warmup._default_job.clear()


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
    assert run_store().drawings() == []


def test_a_label_click_on_a_dot_keeps_nothing(small_model) -> None:
    at = app(small_model, a_dot())
    at.run()
    at.button(key="draw_label_0").click().run()
    no_trouble(at)
    assert "Not kept" in texts(at.warning)
    assert run_store().drawings() == []


def test_it_was_a_one_is_kept_scored_and_can_be_deleted(small_model) -> None:
    at = app(small_model, a_one())
    at.run()
    at.button(key="draw_label_1").click().run()
    no_trouble(at)
    assert "Kept as a 1" in texts(at.success)
    (kept,) = run_store().drawings()
    assert kept.label == 1 and kept.image.shape == (28, 28) and kept.session == at.session_state["session_id"]
    assert kept.image.max() == 255  # the 28×28 image the model read, not the canvas
    at.button(key="draw_label_1").click().run()  # the same drawing twice is kept once
    assert "already kept" in texts(at.info) and len(run_store().drawings()) == 1
    read = headings(at)[0].startswith("## It's a 1")
    score = texts(at.caption)
    assert f"reads **{int(read)} of 1**" in score and "MNIST test set" in score
    at.button(key=f"draw_delete_{kept.id}").click().run()
    no_trouble(at)
    assert run_store().drawings() == []


def test_someone_elses_drawing_cannot_be_deleted_here(small_model) -> None:
    other = run_store().add_drawing(np.zeros((28, 28), dtype=np.uint8), 3, owner="", session="another-session")
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
    run_store().add_drawing(blank, (predicted + 1) % 10, session="s")  # read wrongly, surely
    run_store().add_drawing(blank, predicted, session="s")  # read right
    at = app(small_model, page=EVALUATE)
    at.run()
    no_trouble(at)
    assert "reads **1 of 2**" in texts(at.markdown)
    assert [f"P {predicted}, C {(predicted + 1) % 10}"] in [list(image.captions) for image in at.image]
