"""AppTest: the Inside page for every kind of model a session can have."""

from __future__ import annotations

import json

import keras
import numpy as np
from apptest import APP, plotly_values
from helpers import canvas_sends
from streamlit.testing.v1 import AppTest

from mnistlab import ModelSpec, build_model
from mnistlab.data.dataset import CLASS_NAMES, Dataset
from mnistlab.insight.inside import SALIENCY_METHOD, layer_outputs
from mnistlab.model.presets import PRESETS
from mnistlab.model.spec import dense, dropout, flatten
from ui.inside_links import INSIDE_KEY, InsideDigit
from ui.session import ActiveModel

INSIDE = "app_pages/inside.py"


def app(active: ActiveModel | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page(INSIDE)
    if active is not None:
        at.session_state["active_model"] = active
    for key, value in state.items():
        at.session_state[key] = value
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_no_model_points_to_train():
    at = app()
    at.run()
    assert not at.exception
    assert any("No trained model" in info.value for info in at.info)
    assert not at.get("plotly_chart")


def test_an_mlp_shows_every_layer_templates_saliency_and_both_maps(sample):
    spec = ModelSpec((flatten(), dense(24), dropout(0.2)), name="mlp")
    model = build_model(spec, compile=False)
    at = app(ActiveModel(model, "tiny mlp", "inside-mlp", "mnist", spec))
    at.run()
    assert not at.exception and not at.error
    shown = texts(at)
    for item in layer_outputs(model, sample.x_test[0]):
        assert f". {item.name}** · " in shown
    assert "at prediction time it does nothing" in shown
    assert SALIENCY_METHOD in shown
    kinds = [fig["data"][0]["type"] for fig in figures(at)]
    assert kinds.count("scatter") >= 2, "the model's map and the pixels' map"
    templates = at.slider(key="inside_templates")
    assert templates.value == 16
    assert "the first 16 of 24 units" in shown
    # the output layer's 10 probabilities are the model's own
    bars = next(fig for fig in figures(at) if fig["data"][0]["type"] == "bar" and len(fig["data"][0]["x"]) == 10
                and fig["data"][0]["x"][0] == "0")
    assert bars["data"][0]["x"] == list(CLASS_NAMES["mnist"])


def test_choosing_a_test_image_by_index_shows_it(sample):
    spec = PRESETS["cnn_lenet_tanh"].spec
    model = build_model(spec, compile=False)
    at = app(ActiveModel(model, "lenet", "inside-cnn", "mnist", spec))
    at.run()
    assert not at.exception and not at.error
    assert "6 filters slide over its input" in texts(at)
    assert "first Conv2D layer's 6 filters" in texts(at)
    at.number_input(key="inside_index").set_value(7).run()
    assert not at.exception
    digit = at.session_state[INSIDE_KEY]
    assert digit.test_index == 7 and digit.label == int(sample.y_test[7])
    np.testing.assert_array_equal(digit.image, sample.x_test[7])
    assert any(image.proto.imgs[0].caption == "test image 7" for image in at.image)


def test_a_mistake_sent_from_evaluate_gets_two_saliency_maps(sample):
    spec = ModelSpec((flatten(), dense(8)), name="m")
    model = build_model(spec, compile=False)
    probabilities = model(sample.x_test[:50, :, :, None].astype("float32") / 255).numpy()
    wrong = int(np.flatnonzero(probabilities.argmax(1) != sample.y_test[:50])[0])
    digit = InsideDigit(sample.x_test[wrong], int(sample.y_test[wrong]), f"mistake #1 · test image {wrong}", wrong)
    at = app(ActiveModel(model, "m", "inside-mistake", "mnist", spec), **{INSIDE_KEY: digit})
    at.run()
    assert not at.exception
    assert "A mistake" in texts(at)
    saliency = [fig for fig in figures(at) if [t["type"] for t in fig["data"]] == ["heatmap", "contour"]]
    titles = [fig["layout"]["title"]["text"] for fig in saliency]
    assert len(titles) == 2
    assert titles[0].startswith("Why ") and titles[1] == f"What speaks for {sample.y_test[wrong]} (the truth)"
    assert saliency[0]["data"][0]["zmax"] == saliency[1]["data"][0]["zmax"], "one scale for both maps"


def test_an_uploaded_flat_input_model_without_the_apps_wrapper(sample):
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(12, activation="relu"), keras.layers.Dense(10)])
    at = app(ActiveModel(model, "uploaded: flat.keras", "upload-flat", "mnist"))
    at.run()
    assert not at.exception and not at.error
    assert "first 12 of 12 units" in texts(at)


def test_a_fashion_mnist_model_speaks_of_clothes(sample):
    fashion = Dataset("fashion_mnist", sample.x_train[:100], sample.y_train[:100], sample.x_test[:300],
                      sample.y_test[:300], CLASS_NAMES["fashion_mnist"], "test stand-in", True)
    spec = ModelSpec((flatten(), dense(8)), name="f")
    model = build_model(spec, compile=False)
    at = app(ActiveModel(model, "fashion", "inside-fashion", "fashion_mnist", spec),
             dataset_name="custom", uploaded_dataset=fashion)
    at.run()
    assert not at.exception and not at.error
    heading = next(m.value for m in at.markdown if m.value.startswith("### It reads"))
    assert any(f"**{name}**" in heading for name in CLASS_NAMES["fashion_mnist"])
    maps = [fig for fig in figures(at) if fig["data"][0]["type"] == "scatter"]
    assert {trace["name"] for trace in maps[0]["data"]} >= set(CLASS_NAMES["fashion_mnist"][:3])


def test_look_inside_from_an_evaluate_mistake_opens_it_on_inside(sample):
    spec = ModelSpec((flatten(), dense(8)), name="m")
    active = ActiveModel(build_model(spec, compile=False), "untrained", "inside-from-evaluate", "mnist", spec)
    at = app(active)
    at.switch_page("app_pages/evaluate.py")
    at.run()
    assert not at.exception
    at.button(key="error_look_inside").click().run()
    assert not at.exception
    digit = at.session_state[INSIDE_KEY]
    assert str(digit.source).startswith("mistake #1 · test image ")
    np.testing.assert_array_equal(digit.image, sample.x_test[digit.test_index])
    assert at.number_input(key="inside_index").value == digit.test_index
    assert "A mistake" in texts(at), "the Inside page now shows that mistake"
    assert any(m.value.startswith("### It reads") for m in at.markdown)


def test_look_inside_from_draw_opens_the_drawing(sample):
    spec = ModelSpec((flatten(), dense(8)), name="m")
    active = ActiveModel(build_model(spec, compile=False), "untrained", "inside-from-draw", "mnist", spec)
    at = app(active, draw_canvas=canvas_sends([140, 50, 140, 230]))  # a one, as the canvas sends it
    at.switch_page("app_pages/draw.py")
    at.run()
    assert not at.exception
    at.button(key="draw_look_inside").click().run()
    assert not at.exception
    digit = at.session_state[INSIDE_KEY]
    assert str(digit.source) == "your drawing" and digit.label is None and digit.image.dtype == np.uint8
    assert digit.image.max() > 200, "the drawing's ink arrived"
    assert "true class of this digit is not known" in texts(at)


def test_any_gallery_digit_can_be_opened_on_inside(sample):
    spec = ModelSpec((flatten(), dense(8)), name="m")
    active = ActiveModel(build_model(spec, compile=False), "untrained", "inside-from-gallery", "mnist", spec)
    at = app(active)
    at.switch_page("app_pages/evaluate.py")
    at.run()
    at.selectbox(key="correct_gallery_pick").set_value(2)
    at.button(key="correct_gallery_open").click().run()
    assert not at.exception
    digit = at.session_state[INSIDE_KEY]
    assert str(digit.source).startswith("#3 · test image ")
    assert "Right: it is a" in texts(at)


def test_experiments_compares_two_runs(tiny, sample):
    from mnistlab.engine.train import train
    from mnistlab.insight.compare import accuracy_change
    from mnistlab.insight.evaluate import evaluate
    from mnistlab.model.io import model_to_bytes
    from ui.resources import shared_store

    specs = [ModelSpec((flatten(), dense(8)), epochs=1, train_size=200, name="narrow"),
             ModelSpec((flatten(), dense(32, "tanh")), epochs=1, train_size=200, name="wide")]
    ids, evaluations = [], []
    for spec in specs:
        result = train(spec, tiny, use_cache=False)
        evaluations.append(evaluate(result.model, sample))
        ids.append(shared_store().add(name=spec.name, dataset="mnist", source="test", spec_json=spec.to_json(),
                                   history=result.history, seconds=1.0, epochs_done=1, status="done",
                                   cache_key=f"compare-{spec.name}", model_bytes=model_to_bytes(result.model)))
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app_pages/experiments.py")
    at.run()
    at.selectbox(key="compare_a").set_value(ids[0])
    at.selectbox(key="compare_b").set_value(ids[1])
    at.run()
    assert not at.exception and not at.error
    spec_table = next(df.value for df in at.dataframe if f"A (run {ids[0]})" in df.value.columns)
    assert list(spec_table.iloc[0]) == ["layer 2", "Dense 8 relu", "Dense 32 tanh"]
    by_key = {chart.proto.id: json.loads(chart.proto.spec) for chart in at.get("plotly_chart")}
    classes = next(fig for fig in by_key.values() if fig["layout"]["title"]["text"] == "Per-class accuracy, B − A")

    np.testing.assert_allclose(plotly_values(classes["data"][0]["y"]),
                               100 * accuracy_change(*evaluations), atol=1e-9)
    confusion = next(fig for fig in by_key.values() if fig["layout"]["title"]["text"] == "Confusion matrix, B − A")
    shown = np.array(confusion["data"][0]["text"])
    np.testing.assert_array_equal(shown, evaluations[1].confusion - evaluations[0].confusion)


def test_tsne_on_request_says_what_it_does_and_redraws_the_maps(tiny):
    spec = ModelSpec((flatten(), dense(8)), name="t")
    at = app(ActiveModel(build_model(spec, compile=False), "t", "inside-tsne", "mnist", spec),
             dataset_name="custom", uploaded_dataset=tiny)
    at.run()
    pca = [fig for fig in figures(at) if fig["data"][0]["type"] == "scatter"]
    assert [fig["layout"]["title"]["text"] for fig in pca] == ["What the model sees · PCA", "Raw pixels · PCA"]
    at.radio(key="inside_map_method").set_value("tsne").run()
    assert not at.exception and not at.error
    progress = [m.value for m in at.markdown]
    assert "1 of 2: the model's layer before the output…" in progress and "2 of 2: the raw pixels…" in progress
    tsne = [fig for fig in figures(at) if fig["data"][0]["type"] == "scatter"]
    assert [fig["layout"]["title"]["text"] for fig in tsne] == ["What the model sees · TSNE", "Raw pixels · TSNE"]
