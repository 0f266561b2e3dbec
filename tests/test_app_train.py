"""The sidebar builder and the Train page, driven through AppTest as a student would."""

import time
from pathlib import Path

import pytest
from apptest import open_app
from streamlit.testing.v1 import AppTest

from mnistlab.model.spec import LIMITS

ROOT = Path(__file__).resolve().parent.parent


def open_train_page() -> AppTest:
    return open_app("app_pages/train.py")


def quick_settings(at: AppTest, epochs: int = 1, train_size: int = 500, **extra) -> None:
    at.number_input(key="opt_epochs").set_value(epochs)
    at.number_input(key="opt_train_size").set_value(train_size)
    for key, value in extra.items():
        at.number_input(key=key).set_value(value)
    at.run()


def train_until_done(at: AppTest, timeout: float = 120) -> None:
    at.button(key="train_start").click().run()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if at.button(key="train_stop").disabled:  # nothing running any more
            break
        time.sleep(0.5)
        at.run()
    at.run()
    assert not at.exception


def summary_layers(at: AppTest) -> list[str]:
    return list(at.sidebar.table[0].value["Layer"])


def test_builder_starts_from_a_preset_and_adds_a_layer():
    at = open_train_page()
    assert summary_layers(at)[-1] == "Output"
    assert "669,706" in at.sidebar.metric[0].value
    at.sidebar.selectbox(key="builder_new_kind").set_value("dense")
    at.sidebar.button(key="builder_add").click().run()
    assert summary_layers(at)[-2] == "Dense 128 relu"
    assert at.sidebar.metric[0].value == f"{669_706 + 512 * 128 + 128 - 5130 + 128 * 10 + 10:,}"


def test_an_impossible_model_is_explained_and_cannot_train():
    at = open_train_page()
    at.sidebar.selectbox(key="builder_new_kind").set_value("conv2d")
    at.sidebar.button(key="builder_add").click().run()
    errors = [e.value for e in at.sidebar.error]
    assert any("Conv2D needs images" in e for e in errors)
    assert at.button(key="train_start").disabled
    assert not at.exception


def test_zero_units_is_held_at_the_cores_lower_limit_not_a_traceback():
    at = open_train_page()
    uid_key = next(w.key for w in at.sidebar.number_input if w.key.endswith("_units"))
    at.sidebar.number_input(key=uid_key).set_value(0).run()
    units = at.sidebar.number_input(key=uid_key).value
    assert at.sidebar.number_input(key=uid_key).min == LIMITS["units"][0] == 1  # the widget's min is the core's
    assert units >= 1 and at.session_state["spec"].layers[1].units == units  # 0 never reaches the model
    assert not at.exception


def test_loading_a_cnn_preset_shows_its_shapes():
    at = open_train_page()
    at.sidebar.selectbox(key="builder_preset").set_value("cnn_lenet_tanh")
    at.sidebar.button(key="builder_load").click().run()
    table = at.sidebar.table[0].value
    assert list(table["Shape"])[:5] == ["26×26×6", "13×13×6", "12×12×16", "6×6×16", "576"]
    assert "150,742" in at.sidebar.metric[0].value


def test_short_training_gives_curves_a_test_accuracy_and_a_model():
    at = open_train_page()
    quick_settings(at)
    train_until_done(at)
    assert at.success, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert "Test accuracy" in labels
    accuracy = float(next(m.value for m in at.metric if m.label == "Test accuracy").rstrip("%")) / 100
    assert 0.3 < accuracy <= 1.0
    assert at.session_state["active_model"].model.output_shape == (None, 10)


def test_the_same_training_in_a_second_session_is_not_repeated():
    from ui.resources import registry

    first = open_train_page()
    quick_settings(first, train_size=600)
    train_until_done(first)
    executed = registry().trainings_executed
    second = open_train_page()
    quick_settings(second, train_size=600)
    train_until_done(second)
    assert registry().trainings_executed == executed
    assert second.session_state["active_model"].key == first.session_state["active_model"].key


def test_a_learning_rate_that_blows_up_is_explained():
    at = open_train_page()
    at.sidebar.selectbox(key="opt_optimizer").set_value("sgd").run()
    for key in [w.key for w in at.sidebar.selectbox if w.key and w.key.endswith("_activation")]:
        at.sidebar.selectbox(key=key).set_value("linear")
    quick_settings(at, epochs=3, train_size=500, opt_learning_rate=10.0, opt_batch_size=16)
    train_until_done(at)
    assert any("Learning rate too high?" in e.value for e in at.error)
    assert not at.exception


@pytest.mark.parametrize("kind", ["maxpool2d"])
def test_pooling_after_flatten_is_refused(kind):
    at = open_train_page()
    at.sidebar.selectbox(key="builder_new_kind").set_value(kind)
    at.sidebar.button(key="builder_add").click().run()
    assert any("already flat" in e.value for e in at.sidebar.error)


def test_stop_keeps_the_partly_trained_model():
    at = open_train_page()
    quick_settings(at, epochs=50, train_size=2000, opt_batch_size=16)
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    deadline = time.monotonic() + 60
    while (job.progress is None or job.progress.batch < 5) and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    at.button(key="train_stop").click().run()
    assert job.state == "stopped" and job.result.epochs_done < 50
    assert any("partly trained model is kept" in w.value for w in at.warning)
    assert at.session_state["active_model"].key == job.model_key != job.key  # a partial model is not the finished one
    assert not at.exception


def test_a_shared_link_loads_its_model_and_a_bad_one_says_why():
    from mnistlab import PRESETS

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["spec"] = PRESETS["cnn_lenet_tanh"].spec.to_json()
    at.run()
    assert "150,742" in at.sidebar.metric[0].value

    bad = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    bad.query_params["spec"] = '{"layers": [{"kind": "warp"}]}'
    bad.run()
    assert any("shared link" in e.value and "warp" in e.value for e in bad.sidebar.error)
    assert "669,706" in bad.sidebar.metric[0].value  # the default model, nothing lost
    assert not bad.exception


def test_too_few_weight_updates_are_pointed_out_before_training():
    at = open_train_page()
    quick_settings(at, epochs=1, train_size=500)
    assert any("only 4 weight updates" in w.value for w in at.warning)
    quick_settings(at, epochs=30, train_size=500)
    assert not any("weight updates" in w.value for w in at.warning)


def test_the_quick_run_tip_sets_the_sidebar_fields_and_its_training_is_not_warned_after():
    at = open_train_page()
    [tip] = [i.value for i in at.info if "Quick run" in i.value]
    assert "Training settings" in tip and "sidebar" in tip
    quick = at.button(key="train_quick")
    assert quick.label.startswith("Quick run: 3,000 images")
    quick.click().run()
    assert at.number_input(key="opt_train_size").value == 3000
    epochs = at.number_input(key="opt_epochs").value
    assert quick.label.endswith(f"{epochs} epochs") and at.button(key="train_quick").disabled
    assert not any("weight updates" in w.value for w in at.warning)  # the quick run makes enough of them

    quick_settings(at, epochs=1, train_size=500)  # too few updates: warned before training…
    assert any("only 4 weight updates" in w.value for w in at.warning)
    train_until_done(at)
    assert at.success  # …but not beside the finished result
    assert not any("weight updates" in w.value for w in at.warning)


def wait_until_running(job, timeout=60):
    deadline = time.monotonic() + timeout
    while job.progress is None and time.monotonic() < deadline:
        time.sleep(0.1)


def test_two_sessions_share_a_running_job_and_a_third_waits_in_line():
    from ui.resources import registry

    alice, bob, carol = open_train_page(), open_train_page(), open_train_page()
    for at in (alice, bob):
        quick_settings(at, epochs=40, train_size=2000, opt_batch_size=16, opt_seed=4242)
    quick_settings(carol, epochs=40, train_size=2000, opt_batch_size=16, opt_seed=4243)
    executed = registry().trainings_executed
    alice.button(key="train_start").click().run()
    job = alice.session_state["train_job"]
    wait_until_running(job)
    bob.button(key="train_start").click().run()
    assert bob.session_state["train_job"] is job  # the same live job, not a second training
    carol.button(key="train_start").click().run()
    assert registry().max_jobs == 1  # conftest: one trainer, so carol waits
    assert any("number 1 in the queue" in i.value for i in carol.info)
    carol.button(key="train_stop").click().run()  # still waiting: cancelled, never trained
    assert carol.session_state["train_job"].state == "cancelled"
    assert any("Cancelled before it started" in i.value for i in carol.info)

    alice.button(key="train_stop").click().run()  # bob still follows: it keeps going
    assert job.active and any("keeps going" in i.value for i in alice.info)
    bob.button(key="train_stop").click().run()  # the last follower leaves: it stops
    assert job.state == "stopped"
    assert registry().trainings_executed - executed == 1  # alice and bob's, once
    assert not (alice.exception or bob.exception or carol.exception)
