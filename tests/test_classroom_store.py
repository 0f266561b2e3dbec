"""The class's settings and short links in the run store (schema version 4), on SQLite and PostgreSQL,
and the upgrade of a version-3 database that keeps its runs."""

import pytest
import sqlalchemy as sa

from mnistlab.store.classroom import (
    CODE_ALPHABET,
    MAX_LINKS,
    class_setting,
    clean_code,
    follow_link,
    set_class_setting,
    short_link,
)
from mnistlab.store.runs import Store
from mnistlab.store.schema import SCHEMA_VERSION, StoreError


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    return Store(request.getfixturevalue("pg_url"))


def test_a_class_setting_is_read_back_by_another_server(store):
    assert class_setting(store.engine, "locked", default=[]) == []
    set_class_setting(store.engine, "locked", ["optimizer", "epochs"])
    other = Store(store.engine.url.render_as_string(hide_password=False))  # another app server of the class
    assert class_setting(other.engine, "locked") == ["optimizer", "epochs"]
    set_class_setting(other.engine, "locked", ["epochs"])
    assert class_setting(store.engine, "locked") == ["epochs"]
    set_class_setting(store.engine, "locked", None)
    assert class_setting(store.engine, "locked", default="none") == "none"
    with pytest.raises(StoreError, match="too long"):
        set_class_setting(store.engine, "locked", "x" * 5000)


def test_a_short_link_is_one_code_per_target(store):
    spec = '{"name": "mine", "layers": []}'
    code = short_link(store.engine, "spec", spec)
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    assert short_link(store.engine, "spec", spec) == code
    assert short_link(store.engine, "lesson", "003") != code
    assert follow_link(store.engine, code) == ("spec", spec)
    assert follow_link(store.engine, code.lower()[:3] + "-" + code.lower()[3:]) == ("spec", spec)  # as typed
    assert follow_link(store.engine, "ZZZZZZ") is None
    for crafted in ("", "'; DROP TABLE mnistlab_links; --", "A" * 500, None, 7, "O0I1"):
        assert follow_link(store.engine, crafted) is None
    with pytest.raises(ValueError):
        short_link(store.engine, "script", "x")
    with pytest.raises(StoreError, match="too much"):
        short_link(store.engine, "spec", "x" * 30_000)


def test_clean_code():
    assert clean_code(" k7pq-2m ") == "K7PQ2M"
    assert clean_code("K7PQ2M0") == ""  # 0 is never in a code
    assert clean_code(["K7PQ2M"]) == ""


def test_links_are_bounded(tmp_path, monkeypatch):
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    monkeypatch.setattr("mnistlab.store.classroom.MAX_LINKS", 3)
    for number in range(3):
        short_link(store.engine, "lesson", str(number))
    with pytest.raises(StoreError, match="3 short links"):
        short_link(store.engine, "lesson", "another")
    assert MAX_LINKS >= 1000


def _as_version_3(engine: sa.Engine) -> None:
    """Make a fresh database look like one mnistlab's schema version 3 made: no version-4 tables or column."""
    with engine.begin() as connection:
        for table in ("mnistlab_challenges", "mnistlab_challenge_scores", "mnistlab_class_settings", "mnistlab_links"):
            connection.execute(sa.text(f"DROP TABLE {table}"))
        connection.execute(sa.text("ALTER TABLE mnistlab_runs DROP COLUMN precision"))
        connection.execute(sa.text("UPDATE mnistlab_meta SET value = '3' WHERE key = 'schema_version'"))
        connection.execute(sa.text(
            "INSERT INTO mnistlab_runs (created, name, dataset, source, spec_json, history_json, seconds, "
            "epochs_done, status, cache_key, owner) "
            "VALUES (1, 'old', 'mnist', 's', '{}', '{}', 1, 1, 'done', 'k', 'ann')"))


def test_a_version_3_database_is_upgraded_keeping_its_runs(store):
    url = store.engine.url.render_as_string(hide_password=False)
    _as_version_3(store.engine)
    store.engine.dispose()
    upgraded = Store(url)
    [run] = upgraded.list()
    assert (run.name, run.owner, run.precision) == ("old", "ann", "")
    with upgraded.engine.connect() as connection:
        version = connection.execute(sa.text("SELECT value FROM mnistlab_meta WHERE key = 'schema_version'"))
        assert int(version.scalar()) == SCHEMA_VERSION == 4
    new = upgraded.add(name="new", dataset="mnist", source="s", spec_json="{}", history={}, seconds=1.0,
                       epochs_done=1, status="done", cache_key="k2", model_bytes=None, precision="mixed_bfloat16")
    assert upgraded.get(new).precision == "mixed_bfloat16"
    set_class_setting(upgraded.engine, "require_nickname", True)
    assert class_setting(Store(url).engine, "require_nickname") is True
