"""AppTest: the Draw and Inside pages in Chinese (`?lang=zh`) leave no English on screen,
and the English pages keep their words."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from apptest import APP
from english import english_left
from helpers import a_one
from streamlit.testing.v1 import AppTest

from mnistlab import ModelSpec, build_model, i18n, train
from mnistlab.insight.inside import layer_outputs
from mnistlab.model.spec import conv2d, dense, flatten, maxpool2d
from ui.inside_links import INSIDE_KEY, InsideDigit
from ui.resources import shared_store
from ui.session import ActiveModel

DRAW, INSIDE = "app_pages/draw.py", "app_pages/inside.py"
# English that other branches' files still show on these pages (the lead empties this after merging them):
# ui/upload.py's expander (also on Evaluate), charts.py's axis titles, charts_inside.py's legend and labels.


pytestmark = pytest.mark.usefixtures("fresh_store")


@pytest.fixture(autouse=True)
def chinese_outside_the_script():
    """AppTest calls a widget's format_func again in the test, outside the script's run, where the
    session's language is unknown (English): there it must be Chinese too, or a radio's Chinese
    option is not found on the next run. The app's own runs keep their source."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    import ui.lang  # noqa: F401 (installs the session's source)

    previous = i18n._language_source
    i18n.set_language_source(lambda: previous() if get_script_run_ctx(suppress_warning=True) else "zh")
    yield
    i18n.set_language_source(previous)


def open_in(language: str, page: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = language
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def left(at: AppTest, *page_names: str) -> list[str]:
    """English left anywhere on the page, sidebar included."""
    return english_left(at, allowed=("language", *page_names))


def layer_words(model, image) -> list[str]:
    """The words of the layers' automatic names (conv2d_1, max_pooling2d): Keras's, not ours."""
    return [w for item in layer_outputs(model, image) for w in re.findall(r"[A-Za-z]+", item.name)]


def test_draw_in_chinese_with_an_answer_and_the_class_drawings(small_model):
    shared_store().add_drawing(np.zeros((28, 28), dtype=np.uint8), 3, session="someone")
    at = open_in("zh", DRAW, active_model=small_model, draw_canvas=a_one())
    assert not at.error, [e.value for e in at.error]
    assert any(m.value.startswith("## 这是 ") for m in at.markdown), "the answer is shown"
    at.button(key="draw_label_1").click().run()
    assert [s.value for s in at.success] and "已作为 1" in at.success[0].value
    at.toggle(key="draw_naive").set_value(True).run()
    assert not at.exception
    assert any(m.value.startswith("#### 直接缩放：") for m in at.markdown)
    assert left(at, "tiny") == []


def test_draw_in_chinese_for_an_empty_box_and_a_label_without_a_drawing(small_model):
    at = open_in("zh", DRAW, active_model=small_model)
    at.button(key="draw_label_7").click().run()
    assert "先画一个数字" in " ".join(w.value for w in at.warning)
    assert left(at, "tiny") == []


def test_inside_in_chinese_for_a_cnn_and_a_mistake(sample):
    spec = ModelSpec((conv2d(4, 3), maxpool2d(), flatten(), dense(16)), name="cnn")
    model = build_model(spec, compile=False)
    predicted = model(sample.x_test[:50, :, :, None].astype("float32") / 255).numpy().argmax(1)
    wrong = int(np.flatnonzero(predicted != sample.y_test[:50])[0])
    digit = InsideDigit(sample.x_test[wrong], int(sample.y_test[wrong]), "", wrong)
    at = open_in("zh", INSIDE, active_model=ActiveModel(model, "cnn", "lang-inside-cnn", "mnist", spec),
                 **{INSIDE_KEY: digit})
    assert not at.error, [e.value for e in at.error]
    names = layer_words(model, digit.image)
    assert left(at, "cnn", *names) == []
    at.button(key="inside_random").click().run()
    assert str(at.session_state[INSIDE_KEY].source).startswith("随机测试图像 ")
    assert left(at, "cnn", *names) == []


def test_inside_in_chinese_for_an_mlp_shows_its_units(sample):
    spec = ModelSpec((flatten(), dense(24)), name="mlp")
    model = build_model(spec, compile=False)
    at = open_in("zh", INSIDE, active_model=ActiveModel(model, "mlp", "lang-inside-mlp", "mnist", spec))
    assert any("个神经元" in m.value for m in at.markdown)
    assert left(at, "mlp", *layer_words(model, sample.x_test[0])) == []



def test_two_runs_compared_in_chinese(tiny, sample):
    from english import english_words

    from mnistlab.model.io import model_to_bytes

    specs = [ModelSpec((flatten(), dense(8)), epochs=1, train_size=200, name="narrow"),
             ModelSpec((flatten(), dense(8)), epochs=1, train_size=200, batch_size=64, learning_rate=0.01,
                       name="wide")]
    ids = []
    for spec in specs:
        result = train(spec, tiny, use_cache=False)
        ids.append(shared_store().add(name=spec.name, dataset="mnist", source="test", spec_json=spec.to_json(),
                                   history=result.history, seconds=1.0, epochs_done=1, status="done",
                                   cache_key=f"lang-compare-{spec.name}", model_bytes=model_to_bytes(result.model)))
    at = open_in("zh", "app_pages/experiments.py")
    at.selectbox(key="compare_a").set_value(ids[0])
    at.selectbox(key="compare_b").set_value(ids[1])
    at.run()
    assert not at.exception and not at.error
    table = next(df.value for df in at.dataframe if f"A（训练记录 {ids[0]}）" in df.value.columns)
    assert list(table.iloc[:, 0]) == ["学习率", "批大小"]
    chosen = [at.selectbox(key="compare_a"), at.selectbox(key="compare_b")]
    shown = [*table.columns, *table.iloc[:, 0], *(s.label for s in chosen), *(o for s in chosen for o in s.options)]
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")
              if chart.proto.id.endswith(("compare_classes", "compare_confusion"))]
    assert len(titles) == 2
    captions = [c.value for c in at.caption if c.value.startswith(("表格：", "曲线：", "柱状图："))]
    assert len(captions) == 3, "what the table, the curves and the bars show"
    assert [t for t in shown + titles + captions if english_words(t, {"narrow", "wide"})] == []
