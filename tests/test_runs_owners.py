"""Whose run is it: nicknames, who may delete what, the teacher's password; saving a job's run."""

import pytest

from mnistlab.store.owners import NICKNAME_MAX_CHARS, clean_nickname, may_delete, teacher_password_matches
from mnistlab.store.runs import Store, StoreError, record_run


def add_run(store, name="r", owner=""):
    return store.add(name=name, dataset="mnist", source="s", spec_json="{}", history={}, seconds=1.0, epochs_done=1,
                     status="done", cache_key="k", model_bytes=None, owner=owner)


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'r.sqlite'}")


@pytest.mark.parametrize(("given", "clean"), [
    ("  Ann  ", "Ann"), ("Ann\n\tLee", "Ann Lee"), ("a\x00b\u200bc", "a b c"), (None, ""), ("李雷", "李雷"),
    ("x" * 500, "x" * NICKNAME_MAX_CHARS),
])
def test_nicknames_are_cleaned_and_bounded(given, clean):
    assert clean_nickname(given) == clean


def test_a_student_deletes_only_their_own_runs(store):
    ann = add_run(store, owner="ann")
    bob = add_run(store, owner="bob")
    nobody = add_run(store)
    with pytest.raises(StoreError, match="belongs to bob: only bob or the teacher"):
        store.delete(bob, by="ann")
    with pytest.raises(StoreError, match="no owner: only the teacher"):
        store.delete(nobody, by="ann")
    with pytest.raises(StoreError, match="no owner"):
        store.delete(nobody, by="")  # no nickname is nobody's nickname
    store.delete(ann, by=" ann ")
    assert {r.id for r in store.list()} == {bob, nobody}
    with pytest.raises(StoreError, match="not in the store"):
        store.delete(ann, by="ann")


def test_the_teacher_deletes_any_run_and_clears_the_class(store):
    bob = add_run(store, owner="bob")
    nobody = add_run(store)
    store.delete(bob, by="", teacher=True)
    add_run(store, owner="cat")
    with pytest.raises(StoreError, match="Only the teacher"):
        store.clear(teacher=False)
    assert len(store.list()) == 2
    assert store.clear(teacher=True) == 2
    assert store.list() == []
    assert nobody not in {r.id for r in store.list()}


def test_the_teacher_password_is_required_and_compared_whole():
    assert teacher_password_matches("s3cret", "s3cret")
    assert not teacher_password_matches("s3cre", "s3cret")
    assert not teacher_password_matches("", "")  # no password configured: nobody is the teacher
    assert not teacher_password_matches(None, "s3cret")
    assert may_delete("", "anyone", teacher=True) and not may_delete("", "", teacher=False)


def test_a_job_stores_its_owner(store, tiny):
    from mnistlab import ModelSpec, build_model
    from mnistlab.engine.result import TrainResult
    from mnistlab.model.spec import dense, flatten

    spec = ModelSpec((flatten(), dense(4)), epochs=1, name="owned")
    result = TrainResult(build_model(spec), {"loss": [1.0], "precision": "mixed_bfloat16"}, 0.5, 1, key="k")
    run_id = record_run(store, spec, tiny, result, owner="ann")
    assert (store.get(run_id).owner, store.get(run_id).precision) == ("ann", "mixed_bfloat16")


def test_a_failed_save_is_a_store_error_the_student_can_read(store, tiny):
    import sqlalchemy as sa

    from mnistlab import ModelSpec, build_model
    from mnistlab.engine.result import TrainResult
    from mnistlab.model.spec import dense, flatten

    spec = ModelSpec((flatten(), dense(4)), epochs=1, name="lost")
    result = TrainResult(build_model(spec), {"loss": [float("nan")]}, 0.5, 1, diverged=True, key="k")
    with store.engine.begin() as connection:  # as a full disk or a lost server would
        connection.execute(sa.text("DROP TABLE mnistlab_runs"))
    with pytest.raises(StoreError, match="could not save the run 'lost'"):
        record_run(store, spec, tiny, result)
    with pytest.raises(StoreError, match="could not list the runs"):
        store.list()
