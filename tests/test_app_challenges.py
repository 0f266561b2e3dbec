"""A class challenge in the app: `?challenge=CODE` asks for a nickname, then holds the builder to the rules
(fixed controls, the broken rule named); the Train page refuses a spec that breaks a rule even when the
builder let it through; the Challenges page shows the leaderboards in English and Chinese; the teacher's
class-wide lock disables the builder's controls."""

from __future__ import annotations

import json
import time

import pytest
import streamlit as st
from apptest import APP
from english import english_left
from streamlit.testing.v1 import AppTest

from mnistlab.challenges import Rules, create_challenge, leaderboard, reveal
from mnistlab.model.io import model_to_bytes
from mnistlab.model.spec import ModelSpec, conv2d, dense, flatten, param_count
from mnistlab.store.classroom import LOCKED_CONTROLS, set_class_setting
from ui.resources import shared_store

CHALLENGES = "app_pages/challenges.py"
TRAIN = "app_pages/train.py"
RULES = Rules(max_epochs=2, optimizers=["sgd"], layer_kinds=["flatten", "dense"])
SMALL = ModelSpec((flatten(), dense(32)), optimizer="sgd", epochs=1, train_size=500, name="tiny")


@pytest.fixture
def store(fresh_store):
    st.cache_data.clear()  # the challenge, the class's locks and the boards are read again every few seconds
    yield shared_store()
    st.cache_data.clear()


def opened(page: str | None = None, lang: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if page:
        at.switch_page(page)
    at.query_params.update(params)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    return at


def sidebar_errors(at: AppTest) -> list[str]:
    return [error.value for error in at.sidebar.error]


def test_the_link_asks_for_a_nickname_then_holds_the_builder_to_the_rules(store):
    code = create_challenge(store, "Small nets", RULES)
    at = opened(challenge=code)
    assert at.title[0].value == "Challenges"
    assert any("type your nickname" in warning.value for warning in at.warning)
    assert "challenge_code" not in at.session_state  # not entered without a nickname
    assert len(at.sidebar.selectbox(key="opt_optimizer").options) == 5

    at.sidebar.text_input(key="nick").input("ann").run()
    assert not at.exception
    assert at.session_state["challenge_code"] == code and at.header[0].value == "Small nets"
    optimizer = at.sidebar.selectbox(key="opt_optimizer")
    assert optimizer.options == ["SGD"] and optimizer.disabled
    assert at.sidebar.number_input(key="opt_epochs").value == 2  # the preset's 4, brought within the rule
    assert at.sidebar.selectbox(key="builder_new_kind").options == ["Dense", "Flatten"]
    assert any("At most 2 epochs" in info.value for info in at.sidebar.info)
    assert any("if loaded, breaks a rule" in warning.value for warning in at.sidebar.warning)  # it has Dropout
    assert sidebar_errors(at) == ["Challenge rule: only Dense, Flatten layers; layer 3 is Dropout."]

    at.button(key="challenge_leave").click().run()
    assert not at.exception and "challenge_code" not in at.session_state
    assert len(at.sidebar.selectbox(key="opt_optimizer").options) == 5 and not sidebar_errors(at)
    at.text_input(key="challenge_code_box").input("<b>no</b>")
    at.button[0].click().run()  # the form's Enter
    assert [error.value for error in at.error] == [
        "That is not a challenge code: a code is six letters and digits, like K7PQ2M."]
    at.text_input(key="challenge_code_box").input(code.lower())
    at.button[0].click().run()
    assert at.session_state["challenge_code"] == code


def test_a_shared_spec_that_breaks_a_rule_is_refused_in_the_builder(store):
    code = create_challenge(store, "Small nets", RULES)
    cnn = ModelSpec((conv2d(4, 3), flatten()), optimizer="sgd", epochs=1)
    at = opened(TRAIN, challenge=code, nick="ann", spec=json.dumps(cnn.to_dict()))
    assert at.session_state["challenge_code"] == code
    assert sidebar_errors(at) == ["Challenge rule: only Dense, Flatten layers; layer 1 is Conv2D."]
    assert at.session_state["spec"] is None
    at.switch_page(TRAIN).run()
    assert at.button(key="train_start").disabled


def test_the_quick_run_stays_within_the_rules(store):
    code = create_challenge(store, "Small runs", Rules(max_epochs=2, max_train_size=1000))
    at = opened(challenge=code, nick="ann", spec=json.dumps(SMALL.to_dict()))
    at.switch_page(TRAIN).run()
    quick = at.button(key="train_quick")
    assert quick.label == "Quick run: 1,000 images, 2 epochs"
    quick.click().run()
    assert not at.exception and not sidebar_errors(at)
    assert at.sidebar.number_input(key="opt_train_size").value == 1000
    assert at.sidebar.number_input(key="opt_epochs").value == 2 and at.button(key="train_quick").disabled


def test_the_train_page_checks_the_rules_again_at_submit(store, monkeypatch):
    """A builder that let a rule-breaking spec through (here: its check switched off) still trains nothing."""
    code = create_challenge(store, "Tiny nets", Rules(max_params=1000))
    at = opened(challenge=code, nick="ann", spec=json.dumps(SMALL.to_dict()))
    monkeypatch.setattr("ui.builder.check_rules", lambda spec: None)
    at.switch_page(TRAIN).run()
    assert at.session_state["spec"] == SMALL and not at.button(key="train_start").disabled
    at.button(key="train_start").click().run()
    assert not at.exception
    assert "train_job" not in at.session_state  # nothing was submitted
    assert [info.value for info in at.info if "Not started" in info.value] == [
        f"Not started: Challenge rule: at most 1,000 parameters; this model has {param_count(SMALL):,}."]


def add_run(store, model: bytes, owner: str) -> int:
    return store.add(name="tiny", dataset="mnist", source="MNIST sample", spec_json=SMALL.to_json(), history={},
                     seconds=1.0, epochs_done=1, status="done", cache_key="k", model_bytes=model, owner=owner)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_leaderboards_with_the_students_own_row_marked(store, small_model, lang):
    code = create_challenge(store, "Small nets", RULES)
    model = model_to_bytes(small_model.model)
    add_run(store, model, "ann")
    add_run(store, model, "bo")
    at = opened(CHALLENGES, lang, challenge=code, nick="bo")
    public = at.table[0].value  # rank, nickname, score, parameters, epochs, when
    assert list(public.iloc[:, 1]) == ["ann", "👉 bo"]  # the same score: the earlier run ranks first
    assert public.shape == (2, 6) and list(public.iloc[:, 0]) == [1, 2]
    reveal(store, code)
    st.cache_data.clear()
    at.run()
    assert not at.exception
    private = at.table[1].value
    assert list(private.iloc[:, 1]) == ["=", "="] and list(private.iloc[:, 2]) == ["ann", "👉 bo"]
    expected = [f"{row.score:.2%}" for row in leaderboard(store, code, "private")]
    assert private.shape == (2, 5) and list(private.iloc[:, 3]) == expected
    if lang == "zh":
        assert not english_left(at, {"language", "small", "nets", "ann", "bo"})
        assert at.title[0].value != "Challenges"


def test_the_teachers_lock_disables_the_controls_for_the_whole_class(store):
    set_class_setting(store.engine, LOCKED_CONTROLS, ["preset", "layers", "epochs"])
    at = opened(TRAIN)
    assert at.sidebar.selectbox(key="builder_preset").disabled
    assert at.sidebar.button(key="builder_add").disabled and at.sidebar.selectbox(key="builder_new_kind").disabled
    assert at.sidebar.number_input(key="opt_epochs").disabled
    assert at.button(key="train_quick").disabled  # it would set the locked epochs
    assert not at.sidebar.number_input(key="opt_batch_size").disabled
    assert any("The teacher locked these for the class: Start from, Layers, Epochs." in caption.value
               for caption in at.sidebar.caption)


def admin_page() -> None:
    from ui.challenge_admin import challenge_admin

    challenge_admin()


def test_the_teacher_makes_ends_and_reveals_a_challenge(store, monkeypatch):
    from mnistlab.challenges import get_challenge, list_challenges

    monkeypatch.setenv("MNISTLAB_TEACHER_PASSWORD", "secret")
    at = AppTest.from_function(admin_page, default_timeout=120)
    at.run()
    assert not at.exception and not at.button  # not in teacher mode: nothing
    at.session_state["teacher_mode"] = time.time()  # logged in just now
    at.run()
    at.text_input(key="challenge_admin_name").input("Ten thousand")
    at.number_input(key="challenge_admin_params").set_value(10_000)
    at.multiselect(key="challenge_admin_optimizers").set_value(["sgd"])
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    (made,) = list_challenges(store)
    assert made.name == "Ten thousand" and made.rules.max_params == 10_000 and made.rules.optimizers == ("sgd",)
    assert made.rules.max_epochs is None and made.rules.layer_kinds is None and made.is_open()
    assert made.code in at.success[0].value
    at.button(key=f"challenge_admin_end_{made.code}").click().run()
    at.button(key=f"challenge_admin_reveal_{made.code}").click().run()
    assert not at.exception
    ended = get_challenge(store, made.code)
    assert not ended.is_open() and ended.revealed


def test_a_busy_board_scores_a_few_runs_a_view_and_says_how_many_wait(store, small_model):
    code = create_challenge(store, "Small nets", RULES)
    model = model_to_bytes(small_model.model)
    for owner in ("ann", "bo", "cy", "dee"):
        add_run(store, model, owner)
    at = opened(CHALLENGES, challenge=code, nick="bo")
    assert len(at.table[0].value) == 3
    assert "1 run is still being scored." in [caption.value for caption in at.caption]
    st.cache_data.clear()
    at.run()
    assert len(at.table[0].value) == 4
    assert not any("still being scored" in caption.value for caption in at.caption)
