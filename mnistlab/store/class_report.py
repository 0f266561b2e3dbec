"""The class as the teacher reads it on the Class page: each nickname's runs and lesson progress, the
challenges' scores, and the same as CSV files to download.

The CSV files keep English column names (a spreadsheet's or a script's identifiers); a cell that a
spreadsheet would run as a formula (a nickname such as `=HYPERLINK(…)`) is written as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from mnistlab.i18n import L_
from mnistlab.lessons.checks import Event, TrainedRun, progress_of
from mnistlab.lessons.lessons import Lesson
from mnistlab.store.runs import Run
from mnistlab.store.schema import CHALLENGE_SCORES, CHALLENGES, LESSON_PROGRESS, RUNS, database

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel and LibreOffice read as a formula


@dataclass(frozen=True)
class StudentRuns:
    nickname: str  # "" for the runs of sessions without one
    runs: int
    best_accuracy: float | None
    last: float  # when the latest run was made (Unix time)


@dataclass(frozen=True)
class LessonProgressRow:
    nickname: str
    lesson: str  # the lesson's id
    title: str  # said in the reader's language when made
    done: int
    steps: int


def students_runs(runs: Iterable[Run]) -> list[StudentRuns]:
    """One row per nickname, the most recently active first."""
    by_owner: dict[str, list[Run]] = {}
    for run in runs:
        by_owner.setdefault(run.owner, []).append(run)
    rows = []
    for owner, theirs in by_owner.items():
        scores = [r.test_accuracy for r in theirs if r.test_accuracy is not None]
        rows.append(StudentRuns(owner, len(theirs), max(scores) if scores else None, max(r.created for r in theirs)))
    return sorted(rows, key=lambda row: -row.last)


def events_by_owner(engine: sa.Engine) -> dict[str, list[Event]]:
    """Every nickname's recorded lesson events, oldest first; a row that is not an event is skipped."""
    query = sa.select(LESSON_PROGRESS.c.owner, LESSON_PROGRESS.c.event).order_by(LESSON_PROGRESS.c.id)
    with database(L_("read the class's lesson progress")), engine.connect() as connection:
        rows = connection.execute(query).all()
    events: dict[str, list[Event]] = {}
    for owner, text in rows:
        try:
            events.setdefault(owner, []).append(Event.from_json(text))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return events


def class_lesson_progress(events: dict[str, list[Event]], runs: Sequence[Run],
                          lessons: Sequence[Lesson]) -> list[LessonProgressRow]:
    """For each nickname with recorded progress and each lesson: the steps done, as the Lessons page
    counts them (its events, and its stored runs)."""
    rows = []
    for owner in sorted(events):
        keys = {e.get("key") for e in events[owner] if e.kind == "trained"}
        stored = [TrainedRun.from_spec(run.spec_dict, run.epochs_done, run.history, run.test_accuracy, run.cache_key)
                  for run in runs if not run.problem and (run.owner == owner or run.cache_key in keys)]
        progress = progress_of(events[owner], stored)
        for lesson in lessons:
            done = sum(step.done(progress) for step in lesson.steps)
            rows.append(LessonProgressRow(owner, lesson.id, str(lesson.title), done, len(lesson.steps)))
    return rows


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") if timestamp else ""


def runs_csv(runs: Iterable[Run]) -> str:
    """Every run: who, which model, on what, how it went."""
    header = ["run", "created_utc", "nickname", "model", "dataset", "status", "epochs", "seconds", "test_accuracy",
              "test_loss", "precision"]
    return csv_text(header, ([r.id, _when(r.created), r.owner, r.name, r.dataset, r.status, r.epochs_done,
                          round(r.seconds, 2), r.test_accuracy, r.test_loss, r.precision] for r in runs))


def lesson_progress_csv(rows: Iterable[LessonProgressRow]) -> str:
    return csv_text(["nickname", "lesson", "title", "steps_done", "steps"],
                ([r.nickname, r.lesson, r.title, r.done, r.steps] for r in rows))


def leaderboards_csv(engine: sa.Engine) -> str:
    """Every scored run of every challenge, its private score included (the teacher's file), best public
    score first within a challenge."""
    query = (sa.select(CHALLENGES.c.code, CHALLENGES.c.name, CHALLENGE_SCORES.c.run_id, RUNS.c.owner, RUNS.c.name,
                       CHALLENGE_SCORES.c.public, CHALLENGE_SCORES.c.private, CHALLENGE_SCORES.c.scored)
             .select_from(CHALLENGE_SCORES.join(CHALLENGES, CHALLENGES.c.code == CHALLENGE_SCORES.c.challenge)
                          .outerjoin(RUNS, RUNS.c.id == CHALLENGE_SCORES.c.run_id))
             .order_by(CHALLENGES.c.id, CHALLENGE_SCORES.c.public.desc(), CHALLENGE_SCORES.c.run_id))
    with database(L_("read the challenges' scores")), engine.connect() as connection:
        rows = connection.execute(query).all()
    header = ["challenge", "challenge_name", "run", "nickname", "model", "public_score", "private_score", "scored_utc"]
    return csv_text(header, ([code, name, run, owner or "", model or "", public, private, _when(scored)]
                         for code, name, run, owner, model, public, private, scored in rows))
