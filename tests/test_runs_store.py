"""The run store survives where it is put: unusable folders, deleted ids, older databases."""

import sqlite3

import pytest
import sqlalchemy as sa

from mnistlab.store.runs import Store, StoreError
from mnistlab.store.schema import SCHEMA_VERSION, V1_RUN_COLUMNS, SchemaError

V1_SCHEMA = """
CREATE TABLE mnistlab_runs (
    id INTEGER NOT NULL, created FLOAT NOT NULL, name VARCHAR(200) NOT NULL, dataset VARCHAR(200) NOT NULL,
    source TEXT NOT NULL, spec_json TEXT NOT NULL, history_json TEXT NOT NULL, test_accuracy FLOAT,
    test_loss FLOAT, seconds FLOAT NOT NULL, epochs_done INTEGER NOT NULL, status VARCHAR(20) NOT NULL,
    cache_key VARCHAR(64) NOT NULL, model BLOB, PRIMARY KEY (id)
)"""


def add_run(store, name="tiny", **changes):
    values = dict(name=name, dataset="mnist", source="MNIST sample", spec_json='{"layers": []}',
                  history={"loss": [1.0]}, seconds=1.5, epochs_done=1, status="done", cache_key="abc",
                  model_bytes=None, test_accuracy=0.8)
    values.update(changes)
    return store.add(**values)


@pytest.mark.parametrize("variable", ["MNISTLAB_CACHE_DIR", "MNISTLAB_RUNS_URL"])
def test_an_unusable_default_location_falls_back_and_says_so(tmp_path, monkeypatch, variable):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    if variable == "MNISTLAB_CACHE_DIR":
        monkeypatch.setenv(variable, str(blocker / "cache"))  # cannot be created, even by root
    else:
        monkeypatch.setenv(variable, f"sqlite:///{blocker}")  # a file that is not a database
    store = Store()
    problem = str(store.problem)
    assert "cannot be used" in problem and "lost when it restarts" in problem
    run_id = add_run(store)
    assert [r.id for r in store.list()] == [run_id]
    assert blocker.read_text() == "not a folder"


def test_a_named_database_that_cannot_be_used_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot be used"):
        Store("nosuchdialect://user@host/db")


def test_messages_about_a_database_never_show_its_password(monkeypatch):
    url = "postgresql+psycopg://teacher:hunter2@127.0.0.1:1/mnistlab?connect_timeout=2"
    with pytest.raises(StoreError) as refused:
        Store(url)
    monkeypatch.setenv("MNISTLAB_RUNS_URL", url)
    fallback = Store()
    for message in (str(refused.value), str(fallback.problem)):
        assert "hunter2" not in message and "teacher:***@127.0.0.1" in message


def test_ids_of_deleted_runs_are_never_reused(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    store = Store(url)
    add_run(store, "first")
    newest = add_run(store, "second")
    store.engine.dispose()
    with sa.create_engine(url).begin() as connection:  # any deletion, whoever makes it
        connection.execute(sa.text("DELETE FROM mnistlab_runs WHERE id = :id"), {"id": newest})
    assert add_run(Store(url), "third") > newest


def _old_database(path):
    with sqlite3.connect(path) as connection:
        connection.execute(V1_SCHEMA)
        for run_id in (1, 2):
            connection.execute(
                f"INSERT INTO mnistlab_runs ({', '.join(V1_RUN_COLUMNS)}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, 1.0e9 + run_id, f"old{run_id}", "mnist", "MNIST sample", '{"layers": []}',
                 '{"loss": [0.5]}', 0.9, 0.3, 2.0, 3, "done", "k", b"PK-model"),
            )
    connection.close()


def test_a_version_1_database_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_database(path)
    store = Store(f"sqlite:///{path}")
    runs = store.list()
    assert [(r.id, r.name, r.test_accuracy, r.history, r.has_model) for r in runs] == [
        (2, "old2", 0.9, {"loss": [0.5]}, True), (1, "old1", 0.9, {"loss": [0.5]}, True)]
    assert store.model_bytes(1) == b"PK-model"
    with store.engine.connect() as connection:
        version = connection.execute(sa.text("SELECT value FROM mnistlab_meta WHERE key = 'schema_version'"))
        assert int(version.scalar()) == SCHEMA_VERSION
        columns = {c["name"] for c in sa.inspect(connection).get_columns("mnistlab_runs")}
    assert "owner" in columns
    store.delete(2, by="", teacher=True)  # old runs have no owner
    assert add_run(store, "new") == 3  # the upgraded table no longer reuses ids
    assert {r.name for r in Store(f"sqlite:///{path}").list()} == {"old1", "new"}  # opening again changes nothing


def test_a_database_from_a_newer_mnistlab_is_refused_untouched(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    store = Store(url)
    add_run(store)
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE mnistlab_meta SET value = '99' WHERE key = 'schema_version'"))
    with pytest.raises(SchemaError, match="newer mnistlab"):
        Store(url)
    assert len(store.list()) == 1


def test_a_stored_model_larger_than_the_upload_limit_still_loads(tmp_path, monkeypatch):
    from mnistlab import ModelSpec, build_model
    from mnistlab.errors import ModelFileError
    from mnistlab.model import files as modelfile
    from mnistlab.model.io import model_to_bytes
    from mnistlab.model.spec import dense, flatten

    data = model_to_bytes(build_model(ModelSpec((flatten(), dense(8)))))
    monkeypatch.setattr(modelfile, "MAX_MODEL_BYTES", len(data) - 1)  # as a 65 MB run's model would be
    with pytest.raises(ModelFileError, match="too big"):
        modelfile.load_model_bytes(data, "upload.keras")
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    run_id = add_run(store, model_bytes=data)
    assert store.load_model(run_id).output_shape == (None, 10)
