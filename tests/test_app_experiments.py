"""The Experiments page lists stored runs, overlays their curves, loads and deletes them."""

import uuid
from pathlib import Path

from apptest import open_app

from mnistlab import ModelSpec, build_model
from mnistlab.runs import keras_bytes
from mnistlab.spec import dense, flatten

ROOT = Path(__file__).resolve().parent.parent
SPEC = ModelSpec((flatten(), dense(8)), epochs=2)


def store():
    from ui.state import run_store

    return run_store()


def add(name, model_bytes=None, history=None):
    return store().add(
        name=name, dataset="mnist", source="test", spec_json=SPEC.replace(name=name).to_json(),
        history=history or {"loss": [1.0, 0.6], "accuracy": [0.6, 0.8], "val_loss": [1.1, 0.7],
                            "val_accuracy": [0.55, 0.75]},
        seconds=2.0, epochs_done=2, status="done", cache_key=name, model_bytes=model_bytes, test_accuracy=0.8,
    )


def open_page():
    return open_app("app_pages/experiments.py")


def row_of(at, run_id) -> int:
    return list(at.dataframe(key="runs_table").value["Run"]).index(run_id)


def test_runs_are_listed_overlaid_loaded_and_deleted():
    name = f"exp_{uuid.uuid4().hex[:6]}"
    first = add(name, keras_bytes(build_model(SPEC)))
    second = add(name + "_b")
    at = open_page()
    table = at.dataframe(key="runs_table").value
    assert {first, second} <= set(table["Run"])
    assert list(table.loc[table["Run"] == first, "Name"]) == [name]

    # AppTest cannot click dataframe rows; it sets the selection state the browser would send
    at.session_state["runs_table"] = {"selection": {"rows": [row_of(at, first), row_of(at, second)], "columns": []}}
    at.run()
    assert not at.exception
    charts = [c for c in at.get("plotly_chart")]
    assert len(charts) == 2
    at.button(key=f"use_{first}").click().run()
    assert at.session_state["active_model"].label.startswith(f"run {first}")
    at.checkbox(key=f"confirm_{second}").check().run()
    at.button(key=f"delete_{second}").click().run()
    assert second not in set(at.dataframe(key="runs_table").value["Run"])
    assert not at.exception


def test_a_damaged_row_shows_a_note_and_the_page_still_works():
    import sqlalchemy as sa

    from mnistlab.runs import RUNS

    broken = add(f"broken_{uuid.uuid4().hex[:6]}", model_bytes=b"junk")
    with store().engine.begin() as connection:
        connection.execute(sa.update(RUNS).where(RUNS.c.id == broken).values(history_json="not json"))
    at = open_page()
    table = at.dataframe(key="runs_table").value
    assert "damaged" in list(table.loc[table["Run"] == broken, "Note"])[0]
    at.session_state["runs_table"] = {"selection": {"rows": [row_of(at, broken)], "columns": []}}
    at.run()
    at.button(key=f"use_{broken}").click().run()
    assert any("cannot be loaded" in e.value for e in at.error)
    assert not at.exception


def test_runs_go_to_the_database_named_in_the_app_secrets(tmp_path):
    from streamlit.testing.v1 import AppTest

    from ui.state import run_store

    run_store.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.secrets["connections"] = {"runs": {"url": f"sqlite:///{tmp_path / 'class.sqlite'}"}}
        at.run()
        at.switch_page("app_pages/experiments.py")
        at.run()
        assert not at.exception
        assert any("No runs yet" in i.value for i in at.info)  # a new, empty class database
        assert str(run_store().engine.url).endswith("class.sqlite")
    finally:
        run_store.clear()


def test_a_runs_database_that_cannot_be_reached_is_explained(tmp_path):
    from streamlit.testing.v1 import AppTest

    from ui.state import run_store

    run_store.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.secrets["connections"] = {"runs": {"url": "nosuchdialect://user@host/db"}}
        at.run()
        at.switch_page("app_pages/experiments.py")
        at.run()
        assert not at.exception
        assert any("cannot be used" in w.value and "local SQLite" in w.value for w in at.warning)
    finally:
        run_store.clear()


def test_an_unusable_store_folder_is_explained_and_runs_still_work(tmp_path, monkeypatch):
    from ui.state import run_store

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("MNISTLAB_CACHE_DIR", str(blocker / "cache"))
    run_store.clear()
    try:
        at = open_page()
        assert any("cannot be used" in w.value for w in at.warning)
        add("after_fallback")
        at.run()
        assert "after_fallback" in set(at.dataframe(key="runs_table").value["Name"])
    finally:
        run_store.clear()
