"""The run store on a real PostgreSQL server (Debian's `postgresql` package, started in a temp folder).

The server and a fresh database per test are conftest's `postgres_server` and `pg_url` fixtures.
"""

import multiprocessing
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from mnistlab.store.runs import Store, StoreError
from mnistlab.store.schema import SCHEMA_VERSION, V1_RUN_COLUMNS

V1_SCHEMA = """
CREATE TABLE mnistlab_runs (
    id SERIAL NOT NULL, created FLOAT NOT NULL, name VARCHAR(200) NOT NULL, dataset VARCHAR(200) NOT NULL,
    source TEXT NOT NULL, spec_json TEXT NOT NULL, history_json TEXT NOT NULL, test_accuracy FLOAT,
    test_loss FLOAT, seconds FLOAT NOT NULL, epochs_done INTEGER NOT NULL, status VARCHAR(20) NOT NULL,
    cache_key VARCHAR(64) NOT NULL, model BYTEA, PRIMARY KEY (id)
)"""


def add_run(store, name="r", owner="", model_bytes=None):
    return store.add(name=name, dataset="mnist", source="s", spec_json='{"layers": []}', history={"loss": [0.5]},
                     seconds=1.0, epochs_done=1, status="done", cache_key="k", model_bytes=model_bytes,
                     test_accuracy=0.75, owner=owner)


def test_round_trip(pg_url):
    store = Store(pg_url)
    assert store.engine.dialect.name == "postgresql"
    blob = np.random.default_rng(0).integers(0, 256, 3_000_000, dtype=np.uint8).tobytes()
    first = add_run(store, "first", owner="ann", model_bytes=blob)
    second = add_run(store, "second")
    again = Store(pg_url)
    assert [(r.id, r.name, r.owner, r.test_accuracy, r.has_model) for r in again.list()] == [
        (second, "second", "", 0.75, False), (first, "first", "ann", 0.75, True)]
    assert again.model_bytes(first) == blob
    with pytest.raises(StoreError, match="belongs to ann"):
        again.delete(first, by="bob")
    again.delete(first, by="ann")
    assert add_run(again, "third") > second  # a sequence never gives a deleted id again

    image = np.arange(784, dtype=np.uint32).reshape(28, 28).astype(np.uint8)
    drawing = again.add_drawing(image, 4, owner="ann", session="s")
    [kept] = again.drawings()
    assert (kept.id, kept.label, kept.owner) == (drawing, 4, "ann") and np.array_equal(kept.image, image)
    again.delete_drawing(drawing, by="", session="s")
    assert again.drawings() == []


def test_the_schema_is_created_and_versioned(pg_url):
    Store(pg_url)
    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        assert {"mnistlab_meta", "mnistlab_runs", "mnistlab_drawings"} <= set(sa.inspect(connection).get_table_names())
        version = connection.execute(sa.text("SELECT value FROM mnistlab_meta WHERE key = 'schema_version'"))
        assert int(version.scalar()) == SCHEMA_VERSION
    engine.dispose()


def test_a_version_1_database_is_upgraded(pg_url):
    engine = sa.create_engine(pg_url)
    with engine.begin() as connection:  # the table the first release made, with one run
        connection.execute(sa.text(V1_SCHEMA))
        connection.execute(sa.text(
            f"INSERT INTO mnistlab_runs ({', '.join(V1_RUN_COLUMNS[1:])}) "
            "VALUES (1, 'old', 'mnist', 's', '{}', '{}', 0.5, 0.5, 1, 1, 'done', 'k', NULL)"))
    engine.dispose()
    store = Store(pg_url)
    [run] = store.list()
    assert (run.name, run.owner) == ("old", "")
    assert add_run(store, "new", owner="ann") == run.id + 1


def _write_runs(url: str, worker: int, go, count: int) -> None:
    go.wait(60)
    store = Store(url)  # both processes create the schema of the same new database at once
    for i in range(count):
        add_run(store, f"w{worker}-{i}", owner=f"student{worker}")


def test_two_processes_writing_at_once_lose_nothing(pg_url):
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    workers = [context.Process(target=_write_runs, args=(pg_url, worker, go, 50)) for worker in (1, 2)]
    for process in workers:
        process.start()
    go.set()
    for process in workers:
        process.join(180)
    assert [process.exitcode for process in workers] == [0, 0]
    runs = Store(pg_url).list()
    assert sorted(r.name for r in runs) == sorted(f"w{w}-{i}" for w in (1, 2) for i in range(50))
    assert len({r.id for r in runs}) == 100


def test_the_store_url_comes_from_the_environment_or_the_app_secrets(pg_url, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui.resources import shared_store

    monkeypatch.setenv("MNISTLAB_RUNS_URL", pg_url)
    from_env = Store()
    assert (from_env.engine.dialect.name, from_env.problem) == ("postgresql", "")
    add_run(from_env, "from the environment")

    monkeypatch.delenv("MNISTLAB_RUNS_URL")
    shared_store.clear()
    try:
        at = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=120)
        at.secrets["connections"] = {"runs": {"url": pg_url}}
        at.run()
        at.switch_page("app_pages/experiments.py")
        at.run()
        assert not at.exception and not at.warning
        assert list(at.dataframe[0].value["Model"]) == ["from the environment"]
    finally:
        shared_store.clear()
