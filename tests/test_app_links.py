"""A shared `?spec=` link loads exactly its model, or is refused with a message while every page keeps working."""

import json

import pytest
from apptest import APP
from streamlit.testing.v1 import AppTest

from mnistlab import PRESETS, ModelSpec
from mnistlab.model.spec import LIMITS, conv2d, dense, dropout, flatten, maxpool2d
from ui.builder import SETTINGS, _field_key

PAGES = ["app_pages/home.py", "app_pages/dataset.py", "app_pages/train.py", "app_pages/evaluate.py",
         "app_pages/draw.py", "app_pages/experiments.py"]


def open_link(text: str, page: str = "app_pages/train.py") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["spec"] = text
    at.run()
    at.switch_page(page)
    at.run()
    return at


def layer_widget_values(at: AppTest) -> list[dict]:
    """What the sidebar's layer widgets show, layer by layer, as a spec's layer dicts."""
    from mnistlab.model.spec import LAYER_FIELDS

    shown = []
    for uid, kind in at.session_state["builder_layers"]:
        values = {"kind": kind}
        for name in LAYER_FIELDS[kind]:
            key = _field_key(uid, name)
            widget = next(w for w in [*at.sidebar.number_input, *at.sidebar.selectbox] if w.key == key)
            values[name] = widget.value
        shown.append(values)
    return shown


def test_a_link_at_every_limit_loads_exactly_its_spec():
    spec = ModelSpec(
        (conv2d(32, 5, "elu", strides=2, padding="same"), maxpool2d(2), flatten(), dense(300, "gelu"), dropout(0.35)),
        "sgd", 0.00123456789, momentum=0.95, nesterov=True, decay=1.5e-5,
        batch_size=LIMITS["batch_size"][1], epochs=LIMITS["epochs"][1],
        validation_split=LIMITS["validation_split"][1], train_size=1234, seed=LIMITS["seed"][1],
    )
    at = open_link(json.dumps(spec.to_dict()))
    assert not at.exception and not at.sidebar.error
    assert at.session_state["spec"] == spec
    widgets = {w.key: w.value for w in [*at.sidebar.number_input, *at.sidebar.selectbox, *at.sidebar.slider,
                                        *at.sidebar.checkbox] if w.key in SETTINGS}
    assert widgets == {key: getattr(spec, name) for key, name in SETTINGS.items()}
    assert layer_widget_values(at) == [layer.to_dict() for layer in spec.layers]
    learning_rate = at.sidebar.number_input(key="opt_learning_rate")
    assert learning_rate.format == "%g"  # shown as 0.00123456789, not rounded


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": 500}, "Epochs must be between 1 and 200, got 500."),
        ({"validation_split": 0.6}, "Validation split must be between 0 and 0.5, got 0.6."),
        ({"batch_size": 65536}, "Batch size must be between 1 and 4,096, got 65,536."),
        ({"epochs": 1e400}, "epochs must be a whole number"),
        ({"optimizer": "adam", "momentum": 0.5}, "apply to SGD only"),
    ],
)
def test_a_link_out_of_bounds_is_refused_and_the_builder_keeps_working(change, message):
    data = {**PRESETS["mlp_relu_adam"].spec.to_dict(), **change}
    at = open_link(json.dumps(data).replace("Infinity", "1e400"))
    errors = [e.value for e in at.sidebar.error]
    assert any("The shared link's model could not be used" in e and message in e for e in errors), errors
    assert at.session_state["spec"] == PRESETS["mlp_relu_adam"].spec  # the default model, untouched by the link
    assert at.number_input(key="opt_epochs").value == 4
    assert not at.exception


def test_six_kilobytes_of_brackets_break_no_page():
    at = open_link("[" * 6000, "app_pages/home.py")
    assert any("nested too deeply" in e.value for e in at.sidebar.error)
    for page in PAGES:
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        assert at.session_state["spec"] is not None


def test_a_link_too_long_is_refused_unread():
    at = open_link('{"layers": [' + ", ".join(['{"kind": "flatten"}'] * 2000) + "]}")
    assert any("at most 20,000 characters" in e.value for e in at.sidebar.error)
    assert not at.exception


def test_every_builder_widget_takes_its_bounds_from_the_core():
    at = open_link(json.dumps(PRESETS["cnn_lenet_tanh"].spec.replace(layers=(
        conv2d(6, 3, "tanh"), maxpool2d(2), dropout(0.2), flatten(), dense(64))).to_dict()))
    assert not at.sidebar.error
    bounded = [*at.sidebar.number_input, *at.sidebar.slider]
    checked = set()
    for widget in bounded:
        name = SETTINGS.get(widget.key) or widget.key.split("_", 2)[-1]  # layer_3_kernel_size → kernel_size
        if name in LIMITS:
            assert (widget.min, widget.max) == LIMITS[name], widget.key
            checked.add(name)
    assert checked == set(LIMITS) - {"layers"}


def test_an_imported_spec_file_follows_the_same_rules_as_a_link():
    at = open_link(json.dumps(PRESETS["mlp_relu_adam"].spec.to_dict()))
    uploader = at.sidebar.get("file_uploader")[0]
    assert uploader.key == "builder_import"
    uploader.set_value(("big.json", b" " * 30_000 + b"{}", "application/json")).run()
    assert any("big.json: A model spec is at most 20,000 characters long" in e.value for e in at.sidebar.error)
    good = PRESETS["cnn_lenet_tanh"].spec.replace(epochs=200)
    at.sidebar.get("file_uploader")[0].set_value(("lenet.json", good.to_json().encode(), "application/json")).run()
    assert at.session_state["spec"] == good and at.number_input(key="opt_epochs").value == 200
    assert not at.exception


def test_a_link_to_a_model_over_the_servers_budget_loads_and_the_builder_says_why_it_cannot_train(monkeypatch):
    monkeypatch.setenv("MNISTLAB_TRAINING_MEMORY_MB", "1000")  # the figures below are for a 1,000 MB budget
    # the budget is the server's policy, not the spec's: the student gets the model to shrink, not the default
    spec = ModelSpec((flatten(), dense(16384), dense(16384), dense(16384)))
    at = open_link(json.dumps(spec.to_dict()))
    assert not any("The shared link's model could not be used" in e.value for e in at.sidebar.error)
    assert layer_widget_values(at) == [layer.to_dict() for layer in spec.layers]
    assert any("over the 1,000 MB" in e.value and "Shrink the weights of layers 3 and 4 (Dense 16384 relu)" in e.value
               for e in at.sidebar.error)
    assert at.session_state["spec"] is None and at.button(key="train_start").disabled
    assert not at.exception
