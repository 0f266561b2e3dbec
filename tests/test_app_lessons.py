"""The Lessons page: `?lesson=003` opens the lesson with its preset in the builder and its steps ⬜;
what the student does ticks them ✅, kept under a nickname across sessions; in Chinese, no English."""

from __future__ import annotations

import pytest
from apptest import APP
from english import english_left
from streamlit.testing.v1 import AppTest

from mnistlab.lessons import trained_event
from mnistlab.model.presets import PRESETS

LESSONS = "app_pages/lessons.py"


def steps(at: AppTest) -> list[str]:
    return [md.value for md in at.markdown if md.value[:1] in "✅⬜"]


def open_lesson(lesson: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(lesson=lesson, **params)
    at.run()
    assert not at.exception
    return at


@pytest.mark.usefixtures("fresh_store")
def test_a_lesson_link_opens_the_lesson_with_its_preset_and_its_steps_not_done():
    at = open_lesson("003")
    assert at.session_state["builder_origin"] == "mlp_relu_adam"
    assert at.session_state["spec"].name == "mlp_relu_adam"  # the builder holds the preset
    assert at.selectbox(key="lesson_pick").value == "003"
    shown = steps(at)
    assert len(shown) == 4 and all(step.startswith("⬜") for step in shown)
    assert shown[0].startswith("⬜ **1. Train the relu + Adam MLP")


@pytest.mark.usefixtures("fresh_store")
def test_another_lesson_link_loads_its_own_preset():
    at = open_lesson("002")
    assert at.session_state["builder_origin"] == "cnn_lenet_tanh"
    assert at.selectbox(key="lesson_pick").value == "002"


@pytest.mark.usefixtures("fresh_store")
def test_opening_the_dataset_page_ticks_the_step():
    at = open_lesson("001")
    assert steps(at)[0].startswith("⬜")
    at.switch_page("app_pages/dataset.py").run()
    at.switch_page(LESSONS).run()
    assert not at.exception
    assert steps(at)[0].startswith("✅ **1.") and steps(at)[2].startswith("⬜")


@pytest.mark.usefixtures("fresh_store")
def test_a_finished_training_ticks_the_training_step_and_a_nickname_keeps_it():
    at = open_lesson("003", nick="ann")
    training = trained_event(PRESETS["mlp_relu_adam"].spec.to_dict(), 4, {}, "key-1")
    at.session_state["lesson_events"] = [training]  # what ui.progress.record_training records
    at.run()
    assert not at.exception
    assert steps(at)[0].startswith("✅") and steps(at)[1].startswith("⬜")
    later = open_lesson("003", nick="ann")  # a new session (a reload): the store has it
    assert steps(later)[0].startswith("✅")
    stranger = open_lesson("003", nick="bo")
    assert steps(stranger)[0].startswith("⬜")


@pytest.mark.usefixtures("fresh_store")
def test_the_step_button_loads_its_preset_and_opens_its_page():
    at = open_lesson("000")
    at.session_state["builder_origin"] = "changed"  # anything but the step's preset
    at.button(key="lesson_000_step_2").click().run()
    assert not at.exception
    assert at.session_state["builder_origin"] == "mlp_tanh_sgd"
    assert at.title[0].value != "Lessons"  # now on Train


@pytest.mark.usefixtures("fresh_store")
def test_the_lessons_page_in_chinese_has_no_english():
    at = open_lesson("003", lang="zh")
    assert not at.exception
    assert at.title[0].value == "课程"
    assert steps(at)[0].startswith("⬜ **1. 训练")
    assert english_left(at, {"language", "mlp_relu_adam"}) == []
