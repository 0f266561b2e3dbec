"""What the Class page reads from the core: each nickname's runs and lesson progress, the CSV files, the
drawings' export and clearing, the class's hardest digits."""

import csv
import io
import json
import zipfile

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from mnistlab import ModelSpec, build_model
from mnistlab.lessons import event, load_lessons
from mnistlab.model.io import model_to_bytes
from mnistlab.model.spec import dense, flatten
from mnistlab.store.class_report import (
    class_lesson_progress,
    events_by_owner,
    leaderboards_csv,
    lesson_progress_csv,
    runs_csv,
    students_runs,
)
from mnistlab.store.drawing_export import LABELS_FILE, clear_drawings, drawings_zip
from mnistlab.store.hardest import class_hardest, hardest, recent_runs
from mnistlab.store.progress import add_event
from mnistlab.store.runs import Store, StoreError
from mnistlab.store.schema import CHALLENGE_SCORES, CHALLENGES

SPEC = ModelSpec((flatten(), dense(8)), epochs=2)


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'r.sqlite'}")


def add_run(store, owner="", accuracy=0.8, name="tiny", status="done", dataset="mnist", model=None, key="k"):
    return store.add(name=name, dataset=dataset, source="test", spec_json=SPEC.replace(name=name).to_json(),
                     history={"loss": [1.0, 0.5], "accuracy": [0.5, 0.8]}, seconds=3.14159, epochs_done=2,
                     status=status, cache_key=key, model_bytes=model, test_accuracy=accuracy, owner=owner)


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_each_nicknames_runs_and_the_runs_csv(store):
    first = add_run(store, "ann", 0.7)
    add_run(store, "bob", None)
    add_run(store, "ann", 0.9)
    add_run(store, "=HYPERLINK(\"http://x.example\")", 0.5)
    summary = {row.nickname: row for row in students_runs(store.list())}
    assert (summary["ann"].runs, summary["ann"].best_accuracy) == (2, 0.9)
    assert (summary["bob"].runs, summary["bob"].best_accuracy) == (1, None)
    table = rows(runs_csv(store.list()))
    assert len(table) == 4
    ann = next(r for r in table if r["run"] == str(first))
    assert (ann["nickname"], ann["model"], ann["test_accuracy"], ann["seconds"]) == ("ann", "tiny", "0.7", "3.14")
    assert ann["created_utc"].endswith("+00:00")
    # a nickname a spreadsheet would run as a formula is written as text
    assert any(r["nickname"] == "'=HYPERLINK(\"http://x.example\")" for r in table)
    assert next(r for r in table if r["nickname"] == "bob")["test_accuracy"] == ""


def test_lesson_progress_per_nickname_counts_the_steps_the_lessons_page_counts(store):
    lessons, _problems = load_lessons()
    lesson = next(lesson for lesson in lessons if lesson.id == "000")
    opened = [step for step in lesson.steps if step.check == "page_opened"]
    assert opened, "lesson 000 has a step done by opening a page"
    add_event(store.engine, "ann", event("page_opened", page=dict(opened[0].params)["page"]))
    add_event(store.engine, "bob", event("preset_loaded", preset="nothing_checks_this"))
    with store.engine.begin() as connection:  # a damaged row is skipped
        from mnistlab.store.schema import LESSON_PROGRESS
        connection.execute(sa.insert(LESSON_PROGRESS).values(created=0.0, owner="ann", event="not json"))
    events = events_by_owner(store.engine)
    assert set(events) == {"ann", "bob"} and len(events["ann"]) == 1
    progress = class_lesson_progress(events, store.list(), lessons)
    assert len(progress) == 2 * len(lessons)
    ann = next(r for r in progress if r.nickname == "ann" and r.lesson == "000")
    bob = next(r for r in progress if r.nickname == "bob" and r.lesson == "000")
    assert ann.done >= 1 and bob.done == 0 and ann.steps == len(lesson.steps)
    table = rows(lesson_progress_csv(progress))
    assert {"nickname": "ann", "lesson": "000", "steps_done": str(ann.done), "steps": str(ann.steps)}.items() <= \
        next(r for r in table if r["nickname"] == "ann" and r["lesson"] == "000").items()


def test_a_stored_run_counts_for_its_owners_lessons(store):
    lessons, _problems = load_lessons()
    add_event(store.engine, "ann", event("page_opened", page="home"))
    before = {r.lesson: r.done for r in class_lesson_progress(events_by_owner(store.engine), store.list(), lessons)}
    spec = json.loads(SPEC.replace(name="mlp_relu_adam").to_json())
    store.add(name="mlp_relu_adam", dataset="mnist", source="t", spec_json=json.dumps(spec), history={}, seconds=1,
              epochs_done=4, status="done", cache_key="x", model_bytes=None, test_accuracy=0.99, owner="ann")
    after = {r.lesson: r.done for r in class_lesson_progress(events_by_owner(store.engine), store.list(), lessons)}
    assert sum(after.values()) > sum(before.values())


def test_the_leaderboards_csv_has_every_score_best_first(store):
    mine, theirs = add_run(store, "ann"), add_run(store, "bob")
    with store.engine.begin() as connection:
        connection.execute(sa.insert(CHALLENGES).values(code="ABC234", created=1.0, name="Small and right",
                                                        rules_json="{}", revealed=False))
        for run, public, private in ((mine, 0.91, 0.90), (theirs, 0.95, 0.88)):
            connection.execute(sa.insert(CHALLENGE_SCORES).values(challenge="ABC234", run_id=run, public=public,
                                                                  private=private, scored=2.0))
    table = rows(leaderboards_csv(store.engine))
    assert [(r["nickname"], r["public_score"], r["private_score"]) for r in table] == [
        ("bob", "0.95", "0.88"), ("ann", "0.91", "0.9")]
    assert table[0]["challenge"] == "ABC234" and table[0]["challenge_name"] == "Small and right"


def digit(seed):
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


def test_the_drawings_export_is_pngs_and_their_labels(store):
    images = [digit(1), digit(2)]
    store.add_drawing(images[0], 7, owner="ann")
    store.add_drawing(images[1], 3)
    archive = zipfile.ZipFile(io.BytesIO(drawings_zip(store.drawings())))
    labels = rows(archive.read(LABELS_FILE).decode())
    assert sorted((r["label"], r["nickname"]) for r in labels) == [("3", ""), ("7", "ann")]
    for row in labels:
        image = np.array(Image.open(io.BytesIO(archive.read(row["file"]))))
        expected = images[0] if row["label"] == "7" else images[1]
        assert image.dtype == np.uint8 and np.array_equal(image, expected)
    assert sorted(archive.namelist()) == sorted([LABELS_FILE] + [r["file"] for r in labels])


def test_only_the_teacher_clears_the_drawings(store):
    store.add_drawing(digit(1), 1)
    store.add_drawing(digit(2), 2)
    with pytest.raises(StoreError, match="Only the teacher"):
        clear_drawings(store.engine, teacher=False)
    assert len(store.drawings()) == 2
    assert clear_drawings(store.engine, teacher=True) == 2
    assert store.drawings() == []


def test_hardest_counts_the_models_that_misread_each_drawing(store):
    for seed, label in enumerate((1, 2, 3, 4)):
        store.add_drawing(digit(seed), label)
    drawings = store.drawings()  # newest first: labels 4, 3, 2, 1
    predicted = np.array([[4, 3, 7, 7],   # model A misreads the 2 and the 1 (as 7)
                          [4, 5, 7, 9],   # model B misreads the 3, the 2 and the 1
                          [4, 3, 7, 1]])  # model C misreads the 2
    found = hardest(drawings, predicted)
    assert [(h.drawing.label, h.misread, h.models, h.read_as) for h in found] == [
        (2, 3, 3, 7), (1, 2, 3, 7), (3, 1, 3, 5)]
    assert hardest(drawings, predicted, shown=1)[0].drawing.label == 2
    assert hardest([], np.zeros((0, 0), int)) == []


def test_recent_runs_are_the_latest_complete_mnist_runs_with_a_model(store):
    model = b"not read here"
    old = add_run(store, model=model)
    add_run(store, model=None)  # no model kept
    add_run(store, model=model, status="stopped")
    add_run(store, model=model, dataset="fashion_mnist")
    newer = [add_run(store, model=model) for _ in range(5)]
    assert [r.id for r in recent_runs(store.list())] == newer[::-1]
    assert [r.id for r in recent_runs(store.list(), limit=10)] == newer[::-1] + [old]


def test_the_class_hardest_digits_from_stored_models(store, small_model, sample):
    trained = add_run(store, model=model_to_bytes(small_model.model))
    untrained = build_model(SPEC)
    add_run(store, model=model_to_bytes(untrained))
    add_run(store, model=b"damaged")  # the newest: left out, not an error
    for index in range(30):
        store.add_drawing(sample.x_test[index], int(sample.y_test[index]))
    drawings = store.drawings()
    runs = recent_runs(store.list())
    assert trained in {r.id for r in runs}
    found = class_hardest(store, runs, drawings, shown=30)
    # the reference: Keras's own predict on the same images scaled to [0, 1]
    images = np.stack([d.image for d in drawings])[..., None].astype("float32") / 255
    labels = np.array([d.label for d in drawings])
    wrong = sum((m.predict(images, verbose=0).argmax(1) != labels).astype(int)
                for m in (small_model.model, untrained))
    assert {h.drawing.id: h.misread for h in found} == {d.id: int(w) for d, w in zip(drawings, wrong, strict=True) if w}
    assert all(h.models == 2 for h in found)
