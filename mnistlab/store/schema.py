"""The experiment store's tables, its schema version, and the upgrade of older databases.

The database says which schema it has (`mnistlab_meta`), so a newer mnistlab can upgrade it
in place and an older one refuses a database it does not understand instead of damaging it.
Ids are never reused (SQLite AUTOINCREMENT; a sequence elsewhere): caches keyed by a run's id
cannot serve a deleted run's numbers for a new run.

Versions: 1 — runs only, no owner, ids reusable on SQLite (mnistlab ≤ the first release);
2 — runs carry their owner's nickname, labelled drawings, ids never reused;
3 — lesson progress (what each nickname did that the lessons' checks read). From 2, the new table is
    simply created;
4 — class challenges and their scores, the class's settings (set on the Class page), short links, and
    each run's numeric precision. From 2 or 3, the new tables are created and the new run column added.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_, Message

SCHEMA_VERSION = 4
NICKNAME_MAX_CHARS = 40  # one source: the sidebar's text input and the owner columns read it
SESSION_MAX_CHARS = 64
CODE_MAX_CHARS = 16  # a challenge's or a short link's code

metadata = sa.MetaData()
META = sa.Table(
    "mnistlab_meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
RUNS = sa.Table(
    "mnistlab_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("dataset", sa.String(200), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("history_json", sa.Text, nullable=False),
    sa.Column("test_accuracy", sa.Float),
    sa.Column("test_loss", sa.Float),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("epochs_done", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("cache_key", sa.String(64), nullable=False),
    sa.Column("model", sa.LargeBinary),
    sa.Column("owner", sa.String(NICKNAME_MAX_CHARS), nullable=False, server_default=""),
    sa.Column("precision", sa.String(20)),  # the Keras dtype policy it trained under; None before version 4
    sqlite_autoincrement=True,
)
DRAWINGS = sa.Table(
    "mnistlab_drawings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("label", sa.SmallInteger, nullable=False),
    sa.Column("owner", sa.String(NICKNAME_MAX_CHARS), nullable=False, server_default=""),
    sa.Column("session", sa.String(SESSION_MAX_CHARS), nullable=False, server_default=""),
    sa.Column("image", sa.LargeBinary, nullable=False),
    sqlite_autoincrement=True,
)
LESSON_PROGRESS = sa.Table(
    "mnistlab_lesson_progress",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("owner", sa.String(NICKNAME_MAX_CHARS), nullable=False, index=True),
    sa.Column("event", sa.String(2000), nullable=False),  # a mnistlab.lessons.Event as JSON
    sa.UniqueConstraint("owner", "event"),
    sqlite_autoincrement=True,
)
CHALLENGES = sa.Table(
    "mnistlab_challenges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(CODE_MAX_CHARS), nullable=False, unique=True),  # what the link carries
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("rules_json", sa.Text, nullable=False),  # a mnistlab.challenges Rules as JSON
    sa.Column("ends_at", sa.Float),  # a Unix time; None: open until the teacher ends it
    sa.Column("revealed", sa.Boolean, nullable=False, server_default=sa.false()),  # the private part shown
    sqlite_autoincrement=True,
)
CHALLENGE_SCORES = sa.Table(  # a run's score on a challenge's scoring set, kept once computed
    "mnistlab_challenge_scores",
    metadata,
    sa.Column("challenge", sa.String(CODE_MAX_CHARS), primary_key=True),
    sa.Column("run_id", sa.Integer, primary_key=True),
    sa.Column("public", sa.Float),  # None: the run could not be scored (its model unreadable)
    sa.Column("private", sa.Float),
    sa.Column("scored", sa.Float, nullable=False),
)
CLASS_SETTINGS = sa.Table(  # what the teacher set for the whole class (every app server reads it)
    "mnistlab_class_settings",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON
    sa.Column("updated", sa.Float, nullable=False),
)
LINKS = sa.Table(  # short links a teacher writes on the board: a code for a lesson, a challenge or a model
    "mnistlab_links",
    metadata,
    sa.Column("code", sa.String(CODE_MAX_CHARS), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
)
V1_RUN_COLUMNS = [c.name for c in RUNS.columns if c.name not in ("owner", "precision")]


class StoreError(MnistlabError):
    """The experiment store cannot do what was asked."""


class SchemaError(StoreError):
    """The database was made by a newer mnistlab, or cannot be upgraded."""


def database_said(exc: BaseException) -> str:
    """The first line of what the database said, with the error's kind ("OperationalError: disk full")."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


@contextmanager
def database(action: Message) -> Iterator[None]:
    """A database failure (full disk, read-only file, server gone) as a StoreError saying what failed:
    `action` is what was being done, e.g. `L_("list the runs")`."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError("store_failed", N_("The experiment store could not {action} ({reason})."), action=action,
                         reason=database_said(exc)) from None


def schema_version(connection: sa.Connection) -> int:
    """0 for an empty database, 1 for the first release's (no meta table), else what it says."""
    tables = set(sa.inspect(connection).get_table_names())
    if META.name in tables:
        value = connection.execute(sa.select(META.c.value).where(META.c.key == "schema_version")).scalar()
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SchemaError("schema_unreadable", N_("The store's schema version is unreadable ({value})."),
                              value=repr(value)) from None
    return 1 if RUNS.name in tables else 0


def prepare(engine: sa.Engine, attempts: int = 3) -> int:
    """Create or upgrade the tables; returns the version found. Safe when several processes open
    the same new database at once: they take a lock where the database has one, and retry."""
    for attempt in range(attempts):
        try:
            with engine.connect() as connection:
                _lock(connection)
                found = schema_version(connection)
                if found > SCHEMA_VERSION:
                    raise SchemaError(
                        "schema_newer", N_("This runs database has schema version {found}, made by a newer "
                                           "mnistlab; this one knows up to version {known}. Upgrade mnistlab, or "
                                           "use another database."), found=found, known=SCHEMA_VERSION
                    )
                if found == 1:
                    _upgrade_1_to_2(connection)
                if 1 <= found < 4:
                    _add_missing_columns(connection, RUNS)
                metadata.create_all(connection)
                if found != SCHEMA_VERSION:
                    connection.execute(sa.delete(META).where(META.c.key == "schema_version"))
                    connection.execute(sa.insert(META).values(key="schema_version", value=str(SCHEMA_VERSION)))
                connection.commit()
                return found
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _lock(connection: sa.Connection) -> None:
    """Hold the database's write lock for the whole check-and-create transaction."""
    if connection.dialect.name == "sqlite":
        # pysqlite starts transactions only before DML; an explicit BEGIN makes the DDL below atomic
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(7354282)"))


def _upgrade_1_to_2(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        # SQLite cannot add AUTOINCREMENT to a table: rebuild it, keeping every row and id
        columns = ", ".join(V1_RUN_COLUMNS)
        connection.exec_driver_sql(f"ALTER TABLE {RUNS.name} RENAME TO {RUNS.name}_v1")
        RUNS.create(connection)
        connection.exec_driver_sql(f"INSERT INTO {RUNS.name} ({columns}) SELECT {columns} FROM {RUNS.name}_v1")
        connection.exec_driver_sql(f"DROP TABLE {RUNS.name}_v1")
    # elsewhere a sequence already never reuses ids: adding the missing columns (below) is enough


def _add_missing_columns(connection: sa.Connection, table: sa.Table) -> None:
    """Add the columns a newer schema gave `table` (each nullable or with a server default)."""
    present = {column["name"] for column in sa.inspect(connection).get_columns(table.name)}
    for column in table.columns:
        if column.name not in present:
            compiled = sa.schema.CreateColumn(column).compile(dialect=connection.dialect)
            connection.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {compiled}"))
