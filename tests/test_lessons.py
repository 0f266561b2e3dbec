"""Lessons: the files (built-in and a teacher's, good and broken), the named checks on recorded events,
and lesson progress kept per nickname in the store."""

from __future__ import annotations

import pytest

from mnistlab.i18n import current_language
from mnistlab.lessons import CHECKS, LessonFileError, event, load_lessons, progress_of, read_lesson, trained_event
from mnistlab.lessons.checks import TrainedRun
from mnistlab.lessons.lessons import BUILTIN_DIR
from mnistlab.model.presets import PRESETS
from mnistlab.store.progress import add_event, events_of
from mnistlab.store.runs import Store

GOOD = """\
id = "t1"
preset = "mlp_relu_adam"
title = { en = "A teacher's lesson", zh = "老师的课" }

[[steps]]
do = "Open the Dataset page."
page = "dataset"
check = { name = "page_opened", page = "dataset" }
"""


def test_the_five_builtin_lessons_load_with_both_languages_and_their_presets():
    lessons, problems = load_lessons(folder="")
    assert problems == []
    assert [lesson.id for lesson in lessons] == ["000", "001", "002", "003", "004"]
    presets = ["mlp_tanh_sgd", "cnn_deep_adagrad", "cnn_lenet_tanh", "mlp_relu_adam", "mlp_relu_rmsprop"]
    assert [lesson.preset for lesson in lessons] == presets
    for lesson in lessons:
        texts = [lesson.title, lesson.intro] + [t for step in lesson.steps for t in (step.do, step.why)]
        assert all(text.en and text.zh and text.en != text.zh for text in texts), lesson.id
        assert all(step.check in CHECKS for step in lesson.steps)
    assert len(list(BUILTIN_DIR.glob("*.toml"))) == 5


def test_a_teachers_lesson_loads_beside_the_builtin_ones(tmp_path):
    (tmp_path / "t1.toml").write_text(GOOD, encoding="utf-8")
    lessons, problems = load_lessons(tmp_path)
    assert problems == []
    teacher = {lesson.id: lesson for lesson in lessons}["t1"]
    assert str(teacher.title) == ("老师的课" if current_language() == "zh" else "A teacher's lesson")
    assert teacher.steps[0].check == "page_opened" and teacher.steps[0].page == "dataset"
    assert teacher.steps[0].do.zh == "Open the Dataset page."  # one language only: said in both


def test_a_broken_file_says_its_name_and_line_and_the_others_still_load(tmp_path):
    (tmp_path / "t1.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.toml").write_text('id = "b"\ntitle = "x"\n[[steps]]\ndo = "unclosed\n', encoding="utf-8")
    lessons, problems = load_lessons(tmp_path)
    assert "t1" in {lesson.id for lesson in lessons} and "b" not in {lesson.id for lesson in lessons}
    assert len(problems) == 1
    assert "broken.toml" in str(problems[0]) and "line 4" in str(problems[0])


def test_an_unknown_check_name_is_refused_with_its_line(tmp_path):
    path = tmp_path / "t2.toml"
    path.write_text(GOOD.replace('name = "page_opened"', 'name = "page_opend"'), encoding="utf-8")
    with pytest.raises(LessonFileError) as caught:
        read_lesson(path)
    assert "t2.toml, line 8" in str(caught.value) and "page_opend" in str(caught.value)


@pytest.mark.parametrize("change, needle", [
    (('page = "dataset" }', 'pages = "dataset" }'), "pages"),  # a parameter the check does not take
    (('check = { name = "page_opened", page = "dataset" }', 'check = { name = "page_opened" }'), "page"),
    (('page = "dataset"\ncheck', 'page = "datset"\ncheck'), "datset"),
    (('preset = "mlp_relu_adam"', 'preset = "mlp_relu_adamm"'), "mlp_relu_adamm"),
    (('check = { name = "page_opened", page = "dataset" }', 'check = { name = "trained", dropout = "no" }'),
     "dropout"),
])
def test_a_wrong_step_is_refused_with_a_message(tmp_path, change, needle):
    path = tmp_path / "t3.toml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(LessonFileError) as caught:
        read_lesson(path)
    assert "t3.toml" in str(caught.value) and needle in str(caught.value)


def _trained(preset: str, epochs: int = 4, history=None, key: str = "k") -> object:
    return trained_event(PRESETS[preset].spec.to_dict(), epochs, history or {}, key)


def _passes(name: str, events, runs=(), **params) -> bool:
    return CHECKS[name].test(progress_of(events, runs), params)


def test_page_opened_needs_that_page():
    assert _passes("page_opened", [event("page_opened", page="dataset")], page="dataset")
    assert not _passes("page_opened", [event("page_opened", page="train")], page="dataset")


def test_trained_matches_the_training_the_step_asks_for():
    adam = _trained("mlp_relu_adam")
    assert _passes("trained", [adam], preset="mlp_relu_adam")
    assert _passes("trained", [adam], optimizer="adam", activation="relu", dropout=True)
    assert not _passes("trained", [adam], preset="mlp_tanh_sgd")
    assert not _passes("trained", [adam], dropout=False)
    assert not _passes("trained", [adam], min_epochs=5)
    assert not _passes("trained", [], preset="mlp_relu_adam")
    modified = trained_event(PRESETS["mlp_relu_adam"].spec.replace(name="mlp_relu_adam_modified").to_dict(), 2, {},
                             "m")
    assert _passes("trained", [modified], preset="mlp_relu_adam")


def test_trained_reads_the_test_accuracy_from_the_stored_run():
    adam = _trained("mlp_relu_adam", key="abc")
    stored = TrainedRun.from_spec(PRESETS["mlp_relu_adam"].spec.to_dict(), 4, {}, accuracy=0.981, key="abc")
    assert not _passes("trained", [adam], min_accuracy=0.98)  # not stored yet: no accuracy known
    assert _passes("trained", [adam], [stored], min_accuracy=0.98)
    assert not _passes("trained", [adam], [stored], min_accuracy=0.99)


def test_trained_knows_a_run_that_overfit():
    rising = {"loss": [1.0, 0.8, 0.6, 0.4, 0.3, 0.2], "val_loss": [1.0, 0.8, 0.9, 1.0, 1.1, 1.2]}
    assert _passes("trained", [_trained("mlp_relu_rmsprop", history=rising)], overfitting=True)
    assert not _passes("trained", [_trained("mlp_relu_rmsprop")], overfitting=True)


def test_a_confusion_cell_counts_off_the_diagonal_unless_told():
    diagonal = event("confusion_cell_opened", true=3, predicted=3)
    assert not _passes("confusion_cell_opened", [diagonal])
    assert _passes("confusion_cell_opened", [diagonal], off_diagonal=False)
    assert _passes("confusion_cell_opened", [diagonal, event("confusion_cell_opened", true=4, predicted=9)])


@pytest.mark.parametrize("name", ["runs_compared", "drawing_labelled", "model_saved", "model_loaded",
                                  "digit_inspected"])
def test_the_checks_that_ask_that_something_happened(name):
    assert _passes(name, [event(name)])
    assert not _passes(name, [event("page_opened", page="home")])


def test_preset_loaded_needs_that_preset():
    assert _passes("preset_loaded", [event("preset_loaded", preset="cnn_lenet_tanh")], preset="cnn_lenet_tanh")
    assert not _passes("preset_loaded", [event("preset_loaded", preset="mlp_relu_adam")], preset="cnn_lenet_tanh")


def test_progress_is_kept_per_nickname_in_the_store():
    store = Store("sqlite://")
    opened = event("page_opened", page="dataset")
    assert add_event(store.engine, "ann", opened)
    assert not add_event(store.engine, "ann", opened)  # once
    assert add_event(store.engine, "bo", _trained("mlp_relu_adam"))
    assert not add_event(store.engine, "", opened)  # no nickname: the session keeps it
    assert events_of(store.engine, "ann") == [opened]
    assert events_of(store.engine, "bo") == [_trained("mlp_relu_adam")]  # round trip, lists and all
    assert events_of(store.engine, "nobody") == []
