"""The Class page through AppTest: the teacher's login that resists guessing and ends after the class,
the class view, the lock and the required nickname written for the whole class, the short links."""

from __future__ import annotations

import logging
import re
import time
import types
from pathlib import Path

import pytest
from english import english_left
from streamlit.testing.v1 import AppTest

from mnistlab.store.classroom import LOCKED_CONTROLS, REQUIRE_NICKNAME, class_setting, set_class_setting, short_link

ROOT = Path(__file__).resolve().parent.parent
PAGE = "app_pages/classroom.py"
PASSWORD = "s3cret"


@pytest.fixture(autouse=True)
def teacher_password(monkeypatch, fresh_store):
    monkeypatch.setenv("MNISTLAB_TEACHER_PASSWORD", PASSWORD)


def engine():
    from ui.resources import shared_store

    return shared_store().engine


def open_class(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if lang:
        at.query_params["lang"] = lang
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def log_in(at: AppTest, password: str = PASSWORD) -> None:
    at.text_input(key="teacher_password").input(password)
    next(b for b in at.button if b.label in ("Log in", "登录")).click().run()


def test_five_wrong_passwords_wait_a_minute_then_the_right_one_opens_the_class(monkeypatch, caplog):
    import ui.identity

    at = open_class()
    assert not at.tabs  # a student sees the code box and the login only
    assert any("after the teacher's login" in c.value for c in at.caption)
    with caplog.at_level(logging.WARNING, logger="mnistlab.teacher"):
        for attempt in range(1, 5):
            log_in(at, "guess")
            assert any(f"{5 - attempt} more tr" in e.value for e in at.error)
        log_in(at, "guess")
    assert any("Too many wrong passwords: wait a minute" in e.value for e in at.error)
    assert sum("wrong teacher password" in r.getMessage() for r in caplog.records) == 5
    assert PASSWORD not in caplog.text and "guess" not in caplog.text
    log_in(at)  # the right password, but within the minute: refused without being checked
    assert any("wait a minute" in e.value for e in at.error) and not at.tabs
    later = time.time() + 61
    monkeypatch.setattr(ui.identity, "time", types.SimpleNamespace(time=lambda: later))
    log_in(at)
    assert not at.exception
    assert any("Teacher mode" in s.value for s in at.success)
    assert [t.label for t in at.tabs][:2] == ["Training now", "Students"]
    assert any("Nobody is training right now" in i.value for i in at.info)


def test_a_login_lasts_the_class_then_asks_again(monkeypatch):
    import ui.identity

    at = open_class()
    log_in(at)
    assert at.tabs
    later = time.time() + ui.identity.LOGIN_LASTS_S + 1
    monkeypatch.setattr(ui.identity, "time", types.SimpleNamespace(time=lambda: later))
    at.run()
    assert not at.tabs
    assert any("teacher login has ended" in i.value for i in at.info)
    assert at.text_input(key="teacher_password")


def test_the_lock_and_the_required_nickname_are_written_for_the_class():
    at = open_class()
    log_in(at)
    at.multiselect(key="teacher_locked_controls").select("optimizer").select("epochs").run()
    assert class_setting(engine(), LOCKED_CONTROLS) == ["optimizer", "epochs"]
    at.toggle(key="teacher_require_nickname").set_value(True).run()
    assert class_setting(engine(), REQUIRE_NICKNAME) is True
    other = open_class()  # another teacher's session reads what is set
    log_in(other)
    assert other.multiselect(key="teacher_locked_controls").value == ["optimizer", "epochs"]
    assert other.toggle(key="teacher_require_nickname").value is True
    at.multiselect(key="teacher_locked_controls").unselect("optimizer").unselect("epochs").run()
    assert class_setting(engine(), LOCKED_CONTROLS) is None
    assert not at.exception


def test_a_required_nickname_refuses_a_training_until_one_is_given():
    set_class_setting(engine(), REQUIRE_NICKNAME, True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("app_pages/train.py")
    at.run()
    assert any("asks everyone for a nickname" in w.value for w in at.sidebar.warning)
    at.number_input(key="opt_epochs").set_value(1)
    at.number_input(key="opt_train_size").set_value(500)
    at.run()
    at.button(key="train_start").click().run()
    assert at.session_state["train_job"] is None if "train_job" in at.session_state else True
    assert any("asks everyone for a nickname" in i.value for i in at.info)
    at.text_input(key="nick").input("ann").run()
    assert not any("asks everyone" in w.value for w in at.sidebar.warning)
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    assert job.owner == "ann"
    assert job.wait(120)
    assert not at.exception


def test_a_short_link_opens_its_lesson_its_model_or_says_there_is_none():
    from mnistlab import PRESETS

    lesson = short_link(engine(), "lesson", "003")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["go"] = lesson.lower()  # as typed
    at.run()
    assert at.selectbox(key="lesson_pick").value == "003"
    assert "go" not in at.query_params

    model = short_link(engine(), "spec", PRESETS["cnn_lenet_tanh"].spec.to_json())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["go"] = model
    at.run()
    assert "150,742" in at.sidebar.metric[0].value
    assert at.title[0].value == "Train"

    challenge = short_link(engine(), "challenge", "ABC234")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["go"] = challenge
    at.run()
    assert at.query_params["challenge"] == "ABC234"

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["go"] = "ZZZZZZ"
    at.run()
    assert any("no link with the code ZZZZZZ" in w.value for w in at.sidebar.warning)
    assert not at.exception


def test_a_code_typed_in_the_box_is_followed():
    code = short_link(engine(), "lesson", "002")
    at = open_class()
    at.text_input(key="go_code").input(code[:3] + "-" + code[3:])
    next(b for b in at.button if b.label == "Go").click().run()
    assert at.selectbox(key="lesson_pick").value == "002"
    assert not at.exception


def test_the_teacher_makes_a_link_with_its_qr_code():
    at = open_class()
    log_in(at)
    [code] = [m.value.split("**")[1] for m in at.markdown if m.value.startswith("Code: **")]
    assert code == short_link(engine(), "lesson", at.selectbox(key="teacher_link_lesson").value)
    assert any(f"?go={code}" in c.value for c in at.code)
    assert any(image.proto.imgs[0].caption == code for image in at.get("image"))


def projector_css(at: AppTest) -> bool:
    from ui.projector import CSS

    return any(h.proto.body == CSS for h in at.get("html"))


def test_the_projector_view_scales_the_page_and_stays_on():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["projector"] = "1"
    at.run()
    assert projector_css(at)
    at.switch_page("app_pages/dataset.py").run()
    assert at.query_params["projector"] == "1" and projector_css(at)
    at.query_params["projector"] = "0"
    at.run()
    assert not projector_css(at) and "projector" not in at.query_params
    at = open_class()  # the teacher's switch
    log_in(at)
    at.toggle(key="projector_switch").set_value(True).run()
    assert projector_css(at) and at.query_params["projector"] == "1"
    at.toggle(key="projector_switch").set_value(False).run()
    assert not projector_css(at)
    assert not at.exception


def test_the_class_page_in_chinese():
    at = open_class(lang="zh")
    log_in(at)
    assert not at.exception
    assert [t.label for t in at.tabs][:2] == ["正在训练", "学生"]
    code = short_link(engine(), "lesson", at.selectbox(key="teacher_link_lesson").value)
    assert english_left(at, {"language", *re.findall(r"[A-Z]+", code)}) == []  # the code is no English


def test_a_waiting_student_sees_the_estimated_wait_and_the_teacher_stops_any_training():
    from ui.resources import registry

    def student(nick: str, seed: int) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        at.switch_page("app_pages/train.py")
        at.run()
        at.text_input(key="nick").input(nick)
        for key, value in (("opt_epochs", 40), ("opt_train_size", 2000), ("opt_batch_size", 16), ("opt_seed", seed)):
            at.number_input(key=key).set_value(value)
        at.run()
        return at

    alice, carol = student("alice", 5151), student("carol", 5152)
    alice.button(key="train_start").click().run()
    running = alice.session_state["train_job"]
    deadline = time.monotonic() + 170  # the trainers' first start on a busy machine
    while (running.progress is None or running.progress.eta is None) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running.progress is not None, "the first training never started"
    carol.button(key="train_start").click().run()
    waiting = carol.session_state["train_job"]
    assert registry().max_jobs == 1 and registry().position(waiting) == 1  # conftest: one trainer
    [line] = [c.value for c in carol.sidebar.caption if "in the line" in c.value]
    assert "number 1 in the line" in line and "to wait" in line and ("minute" in line)
    assert registry().estimated_wait(waiting) == pytest.approx(running.progress.eta, abs=15)

    teacher = open_class()
    log_in(teacher)
    shown = [t.value for t in teacher.text]
    assert {"alice", "carol"} <= set(shown)
    assert any(t.value.startswith("starts in") for t in teacher.text)
    teacher.button(key=f"teacher_stop_{running.uid}").click().run()
    assert running.wait(60) and running.state == "stopped"
    teacher.button(key=f"teacher_stop_{waiting.uid}").click().run()
    assert waiting.wait(60) and waiting.state in ("cancelled", "stopped")
    assert any("for everyone who followed it" in i.value for i in teacher.info)
    assert not (alice.exception or carol.exception or teacher.exception)


def test_a_required_nickname_refuses_to_keep_a_drawing_until_one_is_given(small_model):
    from apptest import app_at
    from helpers import a_one

    from ui.resources import shared_store

    set_class_setting(engine(), REQUIRE_NICKNAME, True)
    at = app_at("app_pages/draw.py", small_model, a_one())
    at.run()
    at.button(key="draw_label_1").click().run()
    assert any("asks everyone for a nickname" in w.value for w in at.warning)
    assert shared_store().drawings() == []
    at.text_input(key="nick").input("ann").run()
    at.button(key="draw_label_1").click().run()
    assert [d.owner for d in shared_store().drawings()] == ["ann"]
    assert not at.exception


def test_the_class_drawings_their_hardest_digits_and_clearing_them(small_model, sample):
    from mnistlab.model.io import model_to_bytes
    from ui.resources import shared_store

    store = shared_store()
    store.add(name="tiny", dataset="mnist", source="test", spec_json=small_model.spec.to_json(), history={},
              seconds=1.0, epochs_done=1, status="done", cache_key="k", owner="ann", test_accuracy=0.8,
              model_bytes=model_to_bytes(small_model.model))
    for index in range(40):
        store.add_drawing(sample.x_test[index], int(sample.y_test[index]), owner="bob")
    at = open_class()
    log_in(at)
    assert any("40 labelled drawings" in m.value for m in at.markdown)
    [counts] = [d.value for d in at.dataframe if list(d.value.columns) == [str(digit) for digit in range(10)]]
    assert int(counts.iloc[0].sum()) == 40
    [runs] = [d.value for d in at.dataframe if "Runs" in d.value.columns]
    assert list(runs["Nickname"]) == ["ann"] and list(runs["Runs"]) == [1]
    at.toggle(key="teacher_show_hardest").set_value(True).run()
    misread = [c.value for c in at.caption if ", read as " in c.value]
    assert misread and all(c.endswith("by 1 of 1") for c in misread)  # one model: each shown was misread by it
    assert at.button(key="teacher_clear_drawings").disabled
    at.checkbox(key="teacher_confirm_clear_drawings").check().run()
    at.button(key="teacher_clear_drawings").click().run()
    assert any("Cleared 40 drawings" in s.value for s in at.success)
    assert store.drawings() == []
    assert not at.exception


def test_a_reload_does_not_start_the_guessing_afresh(monkeypatch):
    """Sessions from one address: after ADDRESS_MAX_ATTEMPTS wrong passwords, a new session waits too."""
    import ui.identity

    ui.identity._wrongs.clear()
    monkeypatch.setattr(ui.identity, "_address", lambda: "203.0.113.7")
    sessions = ui.identity.ADDRESS_MAX_ATTEMPTS // ui.identity.MAX_ATTEMPTS
    for _ in range(sessions):  # each reload guesses until its own session must wait
        at = open_class()
        for _attempt in range(ui.identity.MAX_ATTEMPTS):
            log_in(at, "guess")
        assert any("wait a minute" in e.value for e in at.error)
    fresh = open_class()
    log_in(fresh)  # the right password, from the same address, within the minute
    assert any("wait a minute" in e.value for e in fresh.error) and not fresh.tabs
    monkeypatch.setattr(ui.identity, "_address", lambda: "198.51.100.2")  # another address is not held up
    log_in(fresh)
    assert fresh.tabs
    ui.identity._wrongs.clear()
