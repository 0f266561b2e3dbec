"""The experiment store: every finished or stopped run, with its model, in one database.

SQLite on disk by default; any SQLAlchemy URL or engine (a class's PostgreSQL, through
Streamlit's `st.connection`) works the same. Models are stored in the database as the
bytes of their `.keras` file, so a run and its model are written in one transaction:
a crash leaves either both or neither. A row that cannot be read is reported on that
row; the others still load.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from mnistlab.errors import MnistlabError
from mnistlab.i18n import L_, N_, Message
from mnistlab.settings import cache_dir
from mnistlab.store.drawings import Drawing, add_drawing, delete_drawing, list_drawings
from mnistlab.store.owners import clean_nickname, may_delete, refused
from mnistlab.store.schema import RUNS, SchemaError, StoreError, database, database_said, prepare

__all__ = ["RUNS", "Drawing", "Run", "Store", "StoreError", "record_run", "store_id"]


@dataclass
class Run:
    """One stored run. `problem` is set, and the rest may be empty, when its row is damaged."""

    id: int
    created: float
    name: str
    dataset: str
    source: str
    status: str
    seconds: float
    epochs_done: int
    test_accuracy: float | None
    test_loss: float | None
    cache_key: str
    spec_dict: dict[str, Any] = field(default_factory=dict)  # the ModelSpec as stored (`ModelSpec.from_dict`)
    history: dict[str, list[float]] = field(default_factory=dict)
    has_model: bool = False
    problem: str | Message = ""  # a damaged row: what the pages show (`str(run.problem)`)
    owner: str = ""  # the nickname of the session that trained it; "" when none was set
    precision: str = ""  # the Keras dtype policy it trained under ("float32", "mixed_bfloat16"); "" if unknown


def default_store_url() -> str:
    folder = cache_dir()
    return os.environ.get("MNISTLAB_RUNS_URL") or f"sqlite:///{folder / 'runs.sqlite'}"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# What can go wrong opening a database: a folder that cannot be made, a bad URL, a missing
# driver, a server that is down, a file that is not a database.
_OPEN_ERRORS = (OSError, ImportError, ValueError, sa.exc.SQLAlchemyError)


def _shown(url: str) -> str | Message:
    """A URL fit to show to students: never its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return L_("(a URL that cannot be read)")


def _open(url: str) -> sa.Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # a server's connection dropped while idle (a database restart) is replaced before use, not failed on
    engine = sa.create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    try:
        prepare(engine)
    except _OPEN_ERRORS:
        engine.dispose()
        raise
    return engine


def _fallback_engine() -> sa.Engine:
    """A temporary SQLite file, or memory when not even the temp folder can be written."""
    try:
        handle, path = tempfile.mkstemp(prefix="mnistlab-runs-", suffix=".sqlite")
        os.close(handle)
        return _open(f"sqlite:///{path}")
    except _OPEN_ERRORS:
        engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool,
                                  connect_args={"check_same_thread": False})
        prepare(engine)
        return engine


class Store:
    """The class's store: its runs (with their models) and labelled drawings, in one database.
    With no URL: `default_store_url()`, and when that cannot be used, a temporary database with
    `problem` saying so — never an error."""

    def __init__(self, url_or_engine: str | sa.Engine | None = None):
        self.problem: str | Message = ""  # what the pages show when the store is not where it should be
        if isinstance(url_or_engine, sa.Engine):
            self.engine = url_or_engine
            prepare(self.engine)
        elif url_or_engine:
            try:
                self.engine = _open(url_or_engine)
            except SchemaError:
                raise
            except _OPEN_ERRORS as exc:
                shown = _shown(url_or_engine)
                raise StoreError("store_unusable", N_("The runs database {url} cannot be used ({reason})."),
                                 url=shown, reason=database_said(exc)) from None
        else:
            url = default_store_url()
            try:
                self.engine = _open(url)
            except _OPEN_ERRORS as exc:
                self.engine = _fallback_engine()
                if self.engine.url.database:
                    self.problem = L_("The experiment store at {url} cannot be used ({reason}), so runs are kept in "
                                      "a temporary file on this server and are lost when it restarts. Set "
                                      "MNISTLAB_CACHE_DIR or MNISTLAB_RUNS_URL to a place that can be written.",
                                      url=_shown(url), reason=database_said(exc))
                else:
                    self.problem = L_("The experiment store at {url} cannot be used ({reason}), so runs are kept in "
                                      "memory on this server and are lost when it restarts. Set "
                                      "MNISTLAB_CACHE_DIR or MNISTLAB_RUNS_URL to a place that can be written.",
                                      url=_shown(url), reason=database_said(exc))

    def add(self, *, name: str, dataset: str, source: str, spec_json: str, history: dict[str, list[float]],
            seconds: float, epochs_done: int, status: str, cache_key: str, model_bytes: bytes | None,
            test_accuracy: float | None = None, test_loss: float | None = None, owner: str = "",
            precision: str | None = None) -> int:
        row = {
            "owner": clean_nickname(owner), "precision": precision,
            "created": time.time(), "name": name, "dataset": dataset, "source": source, "spec_json": spec_json,
            "history_json": json.dumps(history), "test_accuracy": _finite(test_accuracy),
            "test_loss": _finite(test_loss), "seconds": seconds, "epochs_done": epochs_done, "status": status,
            "cache_key": cache_key, "model": model_bytes,
        }
        with database(L_("save the run {name!r}", name=name)), self.engine.begin() as connection:
            return int(connection.execute(sa.insert(RUNS).values(**row)).inserted_primary_key[0])

    def has_run(self, cache_key: str) -> bool:
        """A complete run of this cache key is stored."""
        query = sa.select(RUNS.c.id).where(RUNS.c.cache_key == cache_key, RUNS.c.status == "done").limit(1)
        with database(L_("list the runs")), self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def list(self) -> list[Run]:
        """Every run, newest first, without their models."""
        columns = [c for c in RUNS.columns if c.name != "model"]
        has_model = (RUNS.c.model.is_not(None)).label("has_model")
        query = sa.select(*columns, has_model).order_by(RUNS.c.created.desc(), RUNS.c.id.desc())
        with database(L_("list the runs")), self.engine.connect() as connection:
            return [self._run(row._mapping) for row in connection.execute(query)]

    def get(self, run_id: int) -> Run:
        runs = [run for run in self.list() if run.id == run_id]
        if not runs:
            raise StoreError("run_missing", N_("Run {id} is not in the store (deleted?)."), id=run_id)
        return runs[0]

    def model_bytes(self, run_id: int) -> bytes:
        with database(L_("read the model of run {id}", id=run_id)), self.engine.connect() as connection:
            value = connection.execute(sa.select(RUNS.c.model).where(RUNS.c.id == run_id)).scalar_one_or_none()
        if not value:
            raise StoreError("run_without_model", N_("Run {id} has no stored model."), id=run_id)
        return bytes(value)

    def load_model(self, run_id: int):
        """The run's Keras model, whatever its size (the app made it; uploads have a limit);
        a damaged one is a StoreError naming the run."""
        from mnistlab.model.files import load_model_bytes

        try:
            return load_model_bytes(self.model_bytes(run_id), f"run {run_id}", trusted=True)
        except MnistlabError as exc:
            raise StoreError("run_model_unloadable", N_("The model of run {id} cannot be loaded: {problem}"),
                             id=run_id, problem=exc.message) from None

    def delete(self, run_id: int, *, by: str, teacher: bool = False) -> None:
        """Delete a run: the teacher any, a student (`by` their nickname) only their own."""
        with database(L_("delete run {id}", id=run_id)), self.engine.begin() as connection:
            found = connection.execute(sa.select(RUNS.c.owner).where(RUNS.c.id == run_id)).first()
            if found is None:
                raise StoreError("run_missing", N_("Run {id} is not in the store (deleted already?)."), id=run_id)
            if not may_delete(found.owner or "", by, teacher):
                raise refused(L_("Run {id}", id=run_id), found.owner or "")
            connection.execute(sa.delete(RUNS).where(RUNS.c.id == run_id))

    def clear(self, *, teacher: bool) -> int:
        """Delete every run of the class (the teacher only); returns how many."""
        if not teacher:
            raise StoreError("teacher_only", N_("Only the teacher can clear the class's runs."))
        with database(L_("clear the runs")), self.engine.begin() as connection:
            return connection.execute(sa.delete(RUNS)).rowcount

    # Labelled drawings: the class's own handwriting, in the same database (see mnistlab.store.drawings)
    def add_drawing(self, image: np.ndarray, label: int, owner: str = "", session: str = "") -> int:
        return add_drawing(self.engine, image, label, owner=owner, session=session)

    def drawings(self) -> list[Drawing]:
        return list_drawings(self.engine)

    def delete_drawing(self, drawing_id: int, by: str, session: str, teacher: bool = False) -> None:
        delete_drawing(self.engine, drawing_id, by=by, session=session, teacher=teacher)

    @staticmethod
    def _run(row: Any) -> Run:
        run = Run(
            id=row["id"], created=row["created"] or 0.0, name=row["name"] or "?", dataset=row["dataset"] or "?",
            source=row["source"] or "", status=row["status"] or "?", seconds=row["seconds"] or 0.0,
            epochs_done=row["epochs_done"] or 0, test_accuracy=row["test_accuracy"], test_loss=row["test_loss"],
            cache_key=row["cache_key"] or "", has_model=bool(row["has_model"]), owner=row["owner"] or "",
            precision=row["precision"] or "",
        )
        try:
            run.spec_dict = json.loads(row["spec_json"])
            run.history = json.loads(row["history_json"])
            if not isinstance(run.spec_dict, dict) or not isinstance(run.history, dict):
                raise ValueError("not an object")
        except (TypeError, ValueError) as exc:
            run.problem = L_("This row is damaged ({error}); its curves and settings cannot be shown.", error=str(exc))
        return run


def spec_parameters(spec_dict: dict[str, Any]) -> int | None:
    """The parameter count of a stored spec's model (its layers decide it), None if unreadable."""
    from mnistlab.model.spec import ModelSpec, param_count

    try:
        return param_count(ModelSpec.from_dict({"layers": spec_dict.get("layers", [])}))
    except (MnistlabError, TypeError, AttributeError):
        return None


def _english(text: str | Message) -> str:
    """What the database keeps of a message: its English (readable by anyone querying it)."""
    return text.english() if isinstance(text, Message) else str(text)


def record_run(store: Store, spec, dataset, result, owner: str = "") -> int | None:
    """The one place a run is recorded: a finished or stopped `TrainResult` of `spec` on `dataset`, with its
    test scores (measured here only when the result has none). A result served from the training cache is
    stored only when the store lacks its run (its first insert failed, or the teacher cleared the runs);
    then None. A database failure is a StoreError whose message the student should read: the run is not saved."""
    if result.cached and store.has_run(result.key):
        return None
    accuracy, loss = result.test_accuracy, result.test_loss
    if accuracy is None and not result.diverged:
        from mnistlab.insight.evaluate import evaluate

        scores = evaluate(result.model, dataset)
        accuracy, loss = scores.accuracy, scores.loss
    return store.add(
        name=spec.name, dataset=dataset.name, source=_english(dataset.source), spec_json=spec.to_json(),
        history=result.history, seconds=result.seconds, epochs_done=result.epochs_done, status=result.status,
        cache_key=result.key, model_bytes=result.model_bytes(), test_accuracy=accuracy, test_loss=loss, owner=owner,
        precision=_precision(result.history),
    )


def _precision(history: dict) -> str | None:
    """The Keras dtype policy a training recorded in its history (mnistlab.engine.precision), if any."""
    value = history.get("precision") if isinstance(history, dict) else None
    return value if isinstance(value, str) and len(value) <= 20 else None


def store_id(store: Store) -> str:
    """The store's own name, kept in the database (never its URL or password): two processes that reach the
    same database read the same id, so a worker knows whether its store is the one the app lists."""
    import uuid

    from mnistlab.store.schema import META

    query = sa.select(META.c.value).where(META.c.key == "store_id")
    with database(L_("read the store's name")):
        with store.engine.connect() as connection:
            found = connection.execute(query).scalar()
        if found is None:
            try:
                with store.engine.begin() as connection:
                    connection.execute(sa.insert(META).values(key="store_id", value=uuid.uuid4().hex))
            except sa.exc.IntegrityError:  # another process named it first: theirs it is
                pass
            with store.engine.connect() as connection:
                found = connection.execute(query).scalar()
    return str(found)
