"""The language as a student meets it in the sidebar: every builder control explains itself, the
sidebar speaks Chinese from a `?lang=zh` link, and switching language keeps the model being built,
the training and the page."""

from __future__ import annotations

import re
import time

from apptest import open_app
from english import english_left
from streamlit.testing.v1 import AppTest

from mnistlab.model.spec import LAYER_KINDS

BUILDER_KEYS = ("builder_", "opt_", "layer_", "up_", "down_", "remove_")
CJK = re.compile("[\u4e00-\u9fff]")
WIDGETS = ("button", "selectbox", "number_input", "checkbox", "slider", "file_uploader", "download_button")


def with_every_layer_kind(at: AppTest) -> AppTest:
    for kind in LAYER_KINDS:
        at.sidebar.selectbox(key="builder_new_kind").set_value(kind)
        at.sidebar.button(key="builder_add").click().run()
    assert not at.exception
    return at


def builder_widgets(at: AppTest) -> list:
    found = []
    for kind in WIDGETS:
        for widget in at.sidebar.get(kind):
            key = getattr(widget, "key", None) or ""
            if key.startswith(BUILDER_KEYS):
                found.append(widget)
    return found


def test_every_builder_control_has_a_help_text():
    at = with_every_layer_kind(open_app("app_pages/train.py"))
    widgets = builder_widgets(at)
    kinds = {kind for widget in widgets for kind in [type(widget).__name__]}
    # one layer of each kind, the preset's five, the training settings and the share box
    assert len(widgets) >= 40 and {"Selectbox", "NumberInput", "Checkbox", "Slider", "Button"} <= kinds, kinds
    missing = [widget.key for widget in widgets if not (widget.help or "").strip()]
    assert not missing, f"{len(missing)} of {len(widgets)} builder controls have no help: {missing}"


def test_the_help_says_what_the_settings_make():
    at = open_app("app_pages/train.py")
    at.number_input(key="opt_epochs").set_value(3).run()
    at.number_input(key="opt_batch_size").set_value(100).run()
    at.number_input(key="opt_train_size").set_value(1000).run()
    help_text = at.number_input(key="opt_epochs").help
    # 1,000 images, 10% kept for validation: 900 in batches of 100 = 9 updates per epoch, 27 in all
    assert "900" in help_text and "9 weight updates per epoch" in help_text and "27" in help_text
    assert "dot(input, kernel) + bias" in at.number_input(key=next(
        w.key for w in builder_widgets(at) if w.key.endswith("_units"))).help


def test_the_sidebar_speaks_chinese_from_a_link():
    at = AppTest.from_file(open_app.__globals__["APP"], default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    with_every_layer_kind(at)
    left = english_left(type("Sidebar", (), {"_tree": at.sidebar})(), allowed={"language"})  # the switch's label
    assert not left, left
    not_chinese = [w.key for w in builder_widgets(at) if not CJK.search(w.help or "")]
    assert not not_chinese, not_chinese


def test_switching_language_keeps_the_model_the_training_and_the_page():
    at = open_app("app_pages/train.py")
    at.number_input(key="opt_epochs").set_value(30).run()
    at.number_input(key="opt_train_size").set_value(500).run()
    spec = at.session_state["spec"]
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    assert job is not None
    switch = at.sidebar.button_group[0]
    switch.set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "训练"  # still on Train, now in Chinese
    assert at.session_state["spec"] == spec and at.session_state["opt_epochs"] == 30
    assert at.session_state["train_job"] is job
    at.sidebar.button_group[0].set_value("en").run()
    assert at.title[0].value == "Train" and at.session_state["train_job"] is job
    at.button(key="train_stop").click().run()  # leave no training behind
    deadline = time.monotonic() + 60
    while job.state in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)


def test_the_model_being_built_survives_a_page_switch_made_by_a_page():
    """"Look inside" on Evaluate switches to Inside from the page's own run, and Streamlit forgets
    the values of widgets that run did not finish drawing: the builder keeps the model regardless.
    (From the i-ui-build branch, which found it.)"""
    from mnistlab.model.build import build_model
    from mnistlab.model.spec import ModelSpec, dense, flatten
    from ui.session import ActiveModel

    untrained = ModelSpec((flatten(), dense(8)), name="m")
    at = AppTest.from_file(open_app.__globals__["APP"], default_timeout=180)
    at.session_state["active_model"] = ActiveModel(build_model(untrained, compile=False), "untrained",
                                                   "lang-page-switch", "mnist", untrained)
    at.run()
    at.switch_page("app_pages/evaluate.py")
    at.run()
    at.number_input(key="opt_epochs").set_value(9)
    at.slider(key="opt_validation_split").set_value(0.25).run()
    uid = at.session_state["builder_layers"][1][0]  # the first Dense layer
    at.number_input(key=f"layer_{uid}_units").set_value(64).run()
    spec = at.session_state["spec"]
    assert spec.epochs == 9 and spec.validation_split == 0.25 and spec.layers[1].units == 64
    at.button(key="error_look_inside").click().run()
    assert not at.exception
    assert at.session_state["spec"] == spec
