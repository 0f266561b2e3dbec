"""The Experiments page lists stored runs, overlays their curves, loads and deletes them."""

import json
import uuid
from pathlib import Path

import pytest
from apptest import open_app
from streamlit.testing.v1 import AppTest

from mnistlab import ModelSpec, build_model
from mnistlab.model.io import model_to_bytes
from mnistlab.model.spec import dense, flatten

ROOT = Path(__file__).resolve().parent.parent
SPEC = ModelSpec((flatten(), dense(8)), epochs=2)


def store():
    from ui.resources import shared_store

    return shared_store()


def add(name, model_bytes=None, history=None, owner=""):
    return store().add(owner=owner,
        name=name, dataset="mnist", source="test", spec_json=SPEC.replace(name=name).to_json(),
        history=history or {"loss": [1.0, 0.6], "accuracy": [0.6, 0.8], "val_loss": [1.1, 0.7],
                            "val_accuracy": [0.55, 0.75]},
        seconds=2.0, epochs_done=2, status="done", cache_key=name, model_bytes=model_bytes, test_accuracy=0.8,
    )


def open_page():
    return open_app("app_pages/experiments.py")


def table(at):
    [frame] = at.dataframe
    return frame


def select(at, *run_ids):
    """AppTest cannot click dataframe rows; it sets the selection state the browser would send."""
    positions = list(table(at).value["Run"])
    at.session_state[table(at).key] = {"selection": {"rows": [positions.index(i) for i in run_ids], "columns": []}}
    at.run()


def shown_runs(at) -> list[int]:
    return sorted(int(h.value.split(":")[0].removeprefix("Run ")) for h in at.subheader if h.value.startswith("Run "))


def test_runs_are_listed_overlaid_loaded_and_deleted():
    name = f"exp_{uuid.uuid4().hex[:6]}"
    first = add(name, model_to_bytes(build_model(SPEC)))
    second = add(name + "_b", owner="ann")
    at = open_page()
    at.text_input(key="nick").input("ann").run()
    rows = table(at).value
    assert {first, second} <= set(rows["Run"])
    assert list(rows.loc[rows["Run"] == first, "Model"]) == [name]
    select(at, first, second)
    assert not at.exception
    charts = [c for c in at.get("plotly_chart")]
    assert len(charts) == 2
    at.button(key=f"use_{first}").click().run()
    assert str(at.session_state["active_model"].label).startswith(f"run {first}: ")
    at.checkbox(key=f"confirm_{second}").check().run()
    at.button(key=f"delete_{second}").click().run()
    assert second not in set(table(at).value["Run"])
    assert shown_runs(at) == [first]  # the run still selected is the same one
    assert not at.exception


def test_a_damaged_row_shows_a_note_and_the_page_still_works():
    import sqlalchemy as sa

    from mnistlab.store.runs import RUNS

    broken = add(f"broken_{uuid.uuid4().hex[:6]}", model_bytes=b"junk")
    with store().engine.begin() as connection:
        connection.execute(sa.update(RUNS).where(RUNS.c.id == broken).values(history_json="not json"))
    at = open_page()
    rows = table(at).value
    assert "damaged" in list(rows.loc[rows["Run"] == broken, "Note"])[0]
    select(at, broken)
    at.button(key=f"use_{broken}").click().run()
    assert any("cannot be loaded" in e.value for e in at.error)
    assert not at.exception


def test_runs_go_to_the_database_named_in_the_app_secrets(tmp_path):
    from streamlit.testing.v1 import AppTest

    from ui.resources import shared_store

    shared_store.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.secrets["connections"] = {"runs": {"url": f"sqlite:///{tmp_path / 'class.sqlite'}"}}
        at.run()
        at.switch_page("app_pages/experiments.py")
        at.run()
        assert not at.exception
        assert any("No runs yet" in i.value for i in at.info)  # a new, empty class database
        assert str(shared_store().engine.url).endswith("class.sqlite")
    finally:
        shared_store.clear()


def test_a_runs_database_that_cannot_be_reached_is_explained(tmp_path):
    from streamlit.testing.v1 import AppTest

    from ui.resources import shared_store

    shared_store.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.secrets["connections"] = {"runs": {"url": "nosuchdialect://user@host/db"}}
        at.run()
        at.switch_page("app_pages/experiments.py")
        at.run()
        assert not at.exception
        assert any("cannot be used" in w.value and "local SQLite" in w.value for w in at.warning)
    finally:
        shared_store.clear()


def test_an_unusable_store_folder_is_explained_and_runs_still_work(tmp_path, monkeypatch):
    from ui.resources import shared_store

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("MNISTLAB_CACHE_DIR", str(blocker / "cache"))
    shared_store.clear()
    try:
        at = open_page()
        assert any("cannot be used" in w.value for w in at.warning)
        add("after_fallback")
        at.run()
        assert "after_fallback" in set(table(at).value["Model"])
    finally:
        shared_store.clear()


def test_the_selection_follows_the_run_when_another_students_run_arrives():
    mine = add(f"mine_{uuid.uuid4().hex[:6]}")
    at = open_page()
    select(at, mine)
    assert shown_runs(at) == [mine]
    theirs = add(f"theirs_{uuid.uuid4().hex[:6]}")  # newest first: it takes row 0, mine moves down
    at.run()
    assert not at.exception
    assert list(table(at).value["Run"]).index(theirs) < list(table(at).value["Run"]).index(mine)
    assert shown_runs(at) == [mine]
    assert len(at.get("plotly_chart")) == 2


def test_the_table_shows_what_tells_runs_apart():
    spec = SPEC.to_dict() | {"optimizer": "sgd", "learning_rate": 0.05, "batch_size": 32}
    run_id = store().add(name="settings", dataset="mnist", source="test", spec_json=json.dumps(spec),
                         history={}, seconds=3.26, epochs_done=2, status="stopped", cache_key="s", model_bytes=None,
                         test_accuracy=0.7)
    at = open_page()
    rows = table(at).value
    row = rows.loc[rows["Run"] == run_id].iloc[0]
    assert (row["Optimizer"], row["Learning rate"], row["Batch size"], row["Epochs"], row["Augmentation"],
            row["Parameters"], row["Time (s)"], row["Status"]) == ("SGD", 0.05, 32, 2, "off", 6370, 3.3, "stopped")
    assert "Owner" in rows.columns


def test_a_nickname_is_cleaned_and_kept_in_the_address():
    at = open_page()
    at.text_input(key="nick").input("  Ann \t Lee ").run()
    assert at.text_input(key="nick").value == "Ann Lee"
    assert at.query_params["nick"] == "Ann Lee"
    assert any("You are **Ann Lee**" in c.value for c in at.caption)

    reloaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    reloaded.query_params["nick"] = "Ann Lee"  # a reload opens the same address
    reloaded.run()
    assert reloaded.text_input(key="nick").value == "Ann Lee"
    reloaded.text_input(key="nick").input("").run()
    assert "nick" not in reloaded.query_params


def test_a_nickname_the_address_lost_on_a_page_switch_is_written_back():
    """A page link clicked before the browser drew the sidebar (a challenge link's page switch, then Train at once)
    leaves `?nick=` out of the next address; the session still knows the nickname and puts it back, so the box
    shows it and the next click does not send an empty one (found by test_browser_challenge_students)."""
    at = open_page()
    at.text_input(key="nick").input("cyd").run()
    at.query_params.pop("nick")
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert at.text_input(key="nick").value == "cyd"
    assert at.query_params["nick"] == "cyd"
    at.text_input(key="nick").input("").run()  # clearing it still clears it
    assert at.text_input(key="nick").value == "" and "nick" not in at.query_params


def test_a_student_can_delete_only_their_own_runs():
    mine = add(f"mine_{uuid.uuid4().hex[:6]}", owner="ann")
    theirs = add(f"theirs_{uuid.uuid4().hex[:6]}", owner="bob")
    nobodys = add(f"nobody_{uuid.uuid4().hex[:6]}")
    at = open_page()
    at.text_input(key="nick").input("ann").run()
    select(at, mine, theirs, nobodys)
    assert [b.key for b in at.button if b.key and b.key.startswith("delete_")] == [f"delete_{mine}"]
    assert any("belongs to bob" in c.value for c in at.caption)
    assert any("no owner: only the teacher" in c.value for c in at.caption)
    at.checkbox(key=f"confirm_{mine}").check().run()
    at.button(key=f"delete_{mine}").click().run()
    assert not at.exception
    assert set(table(at).value["Run"]) >= {theirs, nobodys} and mine not in set(table(at).value["Run"])


def test_without_a_teacher_password_there_is_no_teacher_mode(monkeypatch):
    monkeypatch.delenv("MNISTLAB_TEACHER_PASSWORD", raising=False)
    add("any")
    at = open_page()
    assert any("no teacher mode" in c.value for c in at.caption)
    assert not [t for t in at.text_input if t.key == "teacher_password"]


def _fresh_store_app(tmp_path, monkeypatch):
    from ui.resources import shared_store

    monkeypatch.setenv("MNISTLAB_CACHE_DIR", str(tmp_path / "class"))
    shared_store.clear()
    return shared_store


@pytest.mark.parametrize("where", ["env", "secrets"])
def test_the_teacher_deletes_any_run_and_clears_the_class(tmp_path, monkeypatch, where):
    shared_store = _fresh_store_app(tmp_path, monkeypatch)
    try:
        theirs = add("theirs", owner="bob")
        add("nobodys")
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        if where == "env":
            monkeypatch.setenv("MNISTLAB_TEACHER_PASSWORD", "s3cret")
        else:
            monkeypatch.delenv("MNISTLAB_TEACHER_PASSWORD", raising=False)
            at.secrets["teacher"] = {"password": "s3cret"}
        at.run()
        at.switch_page("app_pages/experiments.py")
        at.run()
        at.text_input(key="teacher_password").input("wrong")  # typed into the form, then submitted
        next(b for b in at.button if b.label == "Log in").click().run()
        assert any("not the teacher password" in e.value for e in at.error)
        at.text_input(key="teacher_password").input("s3cret")
        next(b for b in at.button if b.label == "Log in").click().run()
        assert any("Teacher mode" in s.value for s in at.success)
        select(at, theirs)
        at.checkbox(key=f"confirm_{theirs}").check().run()
        at.button(key=f"delete_{theirs}").click().run()
        assert list(table(at).value["Model"]) == ["nobodys"]
        assert at.button(key="clear_runs").disabled
        at.checkbox(key="confirm_clear").check().run()
        at.button(key="clear_runs").click().run()
        assert not at.exception
        assert any("No runs yet" in i.value for i in at.info)
    finally:
        shared_store.clear()


def test_a_store_that_fails_is_told_not_a_traceback(tmp_path, monkeypatch):
    import sqlalchemy as sa

    shared_store = _fresh_store_app(tmp_path, monkeypatch)
    try:
        with store().engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE mnistlab_runs"))
        at = open_page()
        assert any("could not list the runs" in e.value for e in at.error)
    finally:
        shared_store.clear()


def test_a_nickname_is_shown_as_text_not_markdown():
    add(f"link_{uuid.uuid4().hex[:6]}", owner="[click](http://x.example)")
    at = open_page()
    select(at, int(table(at).value["Run"].iloc[0]))
    [refused] = [c.value for c in at.caption if "belongs to" in c.value]
    assert "\\[click\\]\\(http\\:" in refused
