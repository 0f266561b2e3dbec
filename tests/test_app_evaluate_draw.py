"""AppTest: the Evaluate and Draw pages, as a student uses them."""

from __future__ import annotations

import numpy as np
import pytest
from apptest import APP
from streamlit.testing.v1 import AppTest

from mnistlab import evaluate
from ui.session import ActiveModel

EVALUATE = "app_pages/evaluate.py"


@pytest.fixture(scope="module")
def expected(small_model, sample):
    return evaluate(small_model.model, sample)


def app(page: str, active: ActiveModel | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(page)
    if active is not None:
        at.session_state["active_model"] = active
    return at


def caption(ev, i: int) -> str:
    names = ev.class_names
    return f"P {names[ev.y_pred[i]]}, C {names[ev.y_true[i]]} · {ev.confidence[i]:.0%}"


def galleries(at: AppTest) -> list[list[str]]:
    return [image.captions for image in at.image]


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
