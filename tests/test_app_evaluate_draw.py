"""AppTest: the Evaluate and Draw pages, as a student uses them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnistlab import ModelSpec, evaluate, load_dataset, train
from mnistlab.model.spec import dense, flatten
from ui.session import ActiveModel

ROOT = Path(__file__).resolve().parents[1]
EVALUATE = "app_pages/evaluate.py"


@pytest.fixture(scope="module")
def sample():
    return load_dataset("mnist", "sample")


@pytest.fixture(scope="module")
def small_model(sample):
    """One tiny model for the whole module (about 2 s); not cached, so it never touches
    a training cache (the autouse cache fixture is not active at module scope)."""
    spec = ModelSpec((flatten(), dense(32)), epochs=1, train_size=500, name="tiny")
    result = train(spec, sample, use_cache=False)
    return ActiveModel(result.model, "tiny test model", "test-app-evaluate-draw-tiny", sample.name, spec)


@pytest.fixture(scope="module")
def expected(small_model, sample):
    return evaluate(small_model.model, sample)


def app(page: str, active: ActiveModel | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(page)
    if active is not None:
        at.session_state["active_model"] = active
    return at


def caption(ev, i: int) -> str:
    names = ev.class_names
    return f"P {names[ev.y_pred[i]]}, C {names[ev.y_true[i]]} · {ev.confidence[i]:.0%}"


def galleries(at: AppTest) -> list[list[str]]:
    return [image.captions for image in at.image]


def plotly_figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def plotly_values(values) -> np.ndarray:
    """Plotly's JSON holds arrays as lists, or as {"dtype", "bdata": base64} when made from NumPy."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.asarray(values, dtype=float)


# ------------------------------------------------------------------------- Evaluate

def test_evaluate_without_a_model_points_to_train() -> None:
    at = app(EVALUATE)
    at.run()
    assert not at.exception
    assert any("No trained model" in info.value for info in at.info)
    assert not at.main.metric


def test_evaluate_shows_the_models_scores(small_model, expected) -> None:
    at = app(EVALUATE, small_model)
    at.run()
    assert not at.exception
    assert not at.error and not at.warning
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Test accuracy"] == f"{expected.accuracy:.2%}"
    assert metrics["Test loss"] == f"{expected.loss:.4f}"
    per_class = next(df.value for df in at.dataframe if "precision" in df.value.columns)
    assert len(per_class) == 10
    np.testing.assert_allclose(per_class["recall"], 100 * expected.recall)

    errors = galleries(at)
    wanted = [caption(expected, i) for i in expected.errors[:30]]
    assert wanted in errors, "the error gallery shows the most confident mistakes first"
    assert all(text.startswith("P ") for text in wanted)


def test_choosing_a_confusion_cell_shows_exactly_its_images(small_model, expected) -> None:
    off_diagonal = [(t, p, n) for t, p, n in expected.confused_pairs if 1 <= n <= 30]
    true, pred, count = off_diagonal[0]
    at = app(EVALUATE, small_model)
    at.run()
    at.selectbox(key="eval_cell_true").set_value(true)
    at.selectbox(key="eval_cell_pred").set_value(pred)
    at.run()
    assert not at.exception
    names = expected.class_names
    cell = [c for c in galleries(at) if c and all(x.startswith(f"P {names[pred]}, C {names[true]} ·") for x in c)]
    assert [len(c) for c in cell] == [count]
    assert cell[0] == [caption(expected, i) for i in expected.cell_indices(true, pred)]
    assert any(f"**{count:,}** test images of **{names[true]}**" in md.value for md in at.markdown)


def test_show_more_extends_the_error_gallery(small_model, expected) -> None:
    at = app(EVALUATE, small_model)
    at.run()
    at.button(key="error_gallery_more").click().run()
    assert not at.exception
    assert [caption(expected, i) for i in expected.errors[:60]] in galleries(at)


def test_a_model_from_another_dataset_is_flagged(small_model) -> None:
    at = app(EVALUATE, ActiveModel(small_model.model, "clothes model", "test-app-fashion-label",
                                              "fashion_mnist"))
    at.run()
    assert not at.exception
    assert any("trained on Fashion-MNIST" in warning.value for warning in at.warning)
