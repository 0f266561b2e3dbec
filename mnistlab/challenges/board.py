"""Challenges in the run store, and their leaderboards.

A challenge is a row (code, name, rules, end, revealed) in the class's database, so every app server
sees the same one. No run is tagged: a run counts for a challenge when it has an owner, finished with a
model, trained on the rules' dataset, was stored between the challenge's start and its end, and its spec
passes the rules. Each owner's best public score counts (Kaggle's way); the private board shows the
private score of that same run, which is the lesson: the best on the public half is not always the best
on the half nobody tuned for. A run is scored the first time a board needs it, then kept.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from mnistlab.challenges.rules import ChallengeError, Rules
from mnistlab.challenges.scoring import ScoringSet, on_drawings, on_test_set, score
from mnistlab.errors import MnistlabError, SpecError
from mnistlab.i18n import L_, N_, Message
from mnistlab.model.spec import ModelSpec
from mnistlab.store.classroom import clean_code, new_code
from mnistlab.store.runs import Store, spec_parameters
from mnistlab.store.schema import CHALLENGE_SCORES, CHALLENGES, DRAWINGS, RUNS, database

PARTS = ("public", "private")
NAME_MAX_CHARS = 200
MAX_CHALLENGES = 1_000  # a class makes a few a term


@dataclass(frozen=True)
class Challenge:
    code: str
    name: str
    created: float
    rules: Rules  # its `ends_at` is the challenge's end as it stands (the teacher may end it early)
    revealed: bool

    @property
    def ends_at(self) -> float | None:
        return self.rules.ends_at

    def is_open(self, now: float | None = None) -> bool:
        return self.ends_at is None or (time.time() if now is None else now) < self.ends_at


@dataclass(frozen=True)
class Entry:
    """One row of a leaderboard: an owner's best public run, with its score on the board's half."""

    rank: int
    owner: str
    score: float
    params: int | None
    epochs: int
    when: float  # when the run was stored
    run_id: int
    public_rank: int  # the same run's rank on the public board (the private board's rank change)


@dataclass(frozen=True)
class Leaderboard:
    """The rows, best first; `pending` runs are still to be scored; `problem` says why none can be."""

    part: str
    rows: tuple[Entry, ...]
    pending: int = 0
    problem: Message | None = None

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> Entry:
        return self.rows[index]


_stores: dict[str, Store] = {}


def as_store(store: str | sa.Engine | Store) -> Store:
    """A Store from what tools pass: a URL (opened once per process), an engine, or a Store."""
    if isinstance(store, Store):
        return store
    if isinstance(store, sa.Engine):
        return Store(store)
    if store not in _stores:
        _stores[store] = Store(store)
    return _stores[store]


def _challenge(row: Any) -> Challenge:
    rules = replace(Rules.from_json(row.rules_json), ends_at=row.ends_at)
    return Challenge(row.code, row.name, row.created, rules, bool(row.revealed))


def create_challenge(store: str | sa.Engine | Store, name: str, rules: Rules) -> str:
    """Make a challenge; its code (what `?challenge=CODE` carries)."""
    engine = as_store(store).engine
    name = " ".join(str(name).split())
    if not 0 < len(name) <= NAME_MAX_CHARS:
        raise ChallengeError("challenge_name", N_("A challenge needs a name of 1 to {most} characters."),
                             most=NAME_MAX_CHARS)
    now = time.time()
    if rules.ends_at is not None and rules.ends_at <= now:
        raise ChallengeError("challenge_ended", N_("A challenge must end in the future."))
    if rules.scoring == "drawings":
        on_drawings("", _drawings_before(engine, now))  # ChallengeError when the class has too few
    with database(L_("save the challenge {name!r}", name=name)), engine.begin() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(CHALLENGES)).scalar_one()
        if count >= MAX_CHALLENGES:
            raise ChallengeError("too_many_challenges", N_("The class has {limit:,} challenges already; no more "
                                                           "can be made."), limit=MAX_CHALLENGES)
        for _attempt in range(20):
            code = new_code()
            if connection.execute(sa.select(CHALLENGES.c.id).where(CHALLENGES.c.code == code)).first() is None:
                connection.execute(sa.insert(CHALLENGES).values(code=code, created=now, name=name,
                                                                rules_json=rules.to_json(), ends_at=rules.ends_at,
                                                                revealed=False))
                return code
    raise ChallengeError("no_challenge_code", N_("No free challenge code was found; try again."))


def get_challenge(store: str | sa.Engine | Store, code: object) -> Challenge | None:
    """The challenge with that code (as typed or linked), None when there is none."""
    code = clean_code(code)
    if not code:
        return None
    with database(L_("read the challenge {code}", code=code)), as_store(store).engine.connect() as connection:
        row = connection.execute(sa.select(CHALLENGES).where(CHALLENGES.c.code == code)).first()
    return _challenge(row) if row is not None else None


def list_challenges(store: str | sa.Engine | Store) -> list[Challenge]:
    """Every challenge of the class, newest first."""
    query = sa.select(CHALLENGES).order_by(CHALLENGES.c.created.desc(), CHALLENGES.c.id.desc())
    with database(L_("list the challenges")), as_store(store).engine.connect() as connection:
        return [_challenge(row) for row in connection.execute(query)]


def _update(store: str | sa.Engine | Store, code: str, **values: Any) -> None:
    with database(L_("change the challenge {code}", code=code)), as_store(store).engine.begin() as connection:
        done = connection.execute(sa.update(CHALLENGES).where(CHALLENGES.c.code == clean_code(code)).values(**values))
    if not done.rowcount:
        raise ChallengeError("challenge_missing", N_("There is no challenge {name}."), name=code)


def end_challenge(store: str | sa.Engine | Store, code: str, at: float | None = None) -> None:
    """End it now (or at `at`): runs stored later do not count."""
    _update(store, code, ends_at=time.time() if at is None else at)


def reveal(store: str | sa.Engine | Store, code: str, revealed: bool = True) -> None:
    """Show (or hide again) the private leaderboard to everyone."""
    _update(store, code, revealed=revealed)


def _drawings_before(engine: sa.Engine, moment: float) -> list[Any]:
    from mnistlab.store.drawings import list_drawings

    return [drawing for drawing in list_drawings(engine) if drawing.created <= moment]


def _counting_runs(engine: sa.Engine, challenge: Challenge) -> list[Any]:
    """The stored runs that count for the challenge (without their models)."""
    rules = challenge.rules
    query = sa.select(RUNS.c.id, RUNS.c.created, RUNS.c.owner, RUNS.c.spec_json, RUNS.c.epochs_done,
                      RUNS.c.test_accuracy).where(
        RUNS.c.owner != "", RUNS.c.status == "done", RUNS.c.model.is_not(None), RUNS.c.dataset == rules.dataset,
        RUNS.c.created >= challenge.created)
    if rules.ends_at is not None:
        query = query.where(RUNS.c.created <= rules.ends_at)
    with database(L_("list the runs")), engine.connect() as connection:
        rows = connection.execute(query).all()
    counting = []
    for row in rows:
        try:
            spec = ModelSpec.from_json(row.spec_json)
        except (SpecError, TypeError):
            continue
        if rules.allows(spec):
            counting.append(row)
    return counting


def _scoring_set(store: Store, challenge: Challenge, dataset: Any = None) -> ScoringSet:
    if challenge.rules.scoring == "drawings":
        return on_drawings(challenge.code, _drawings_before(store.engine, challenge.created))
    if dataset is None or dataset.name != challenge.rules.dataset:
        from mnistlab.data.load import load_dataset

        dataset = load_dataset(challenge.rules.dataset)
    return on_test_set(challenge.code, dataset)


def _score_runs(store: Store, challenge: Challenge, runs: list[Any], dataset: Any) -> Message | None:
    """Score `runs` and keep their scores; the reason none can be scored, if so."""
    if not runs:
        return None
    try:
        scoring = _scoring_set(store, challenge, dataset)
    except MnistlabError as exc:  # too few drawings; a dataset that cannot be loaded
        return exc.message
    for run in runs:
        try:
            public, private = score(store.load_model(run.id), scoring)
        except MnistlabError:
            public = private = None  # a model that cannot be read never counts
        row = {"challenge": challenge.code, "run_id": run.id, "public": public, "private": private,
               "scored": time.time()}
        with database(L_("save a challenge score")):
            try:
                with store.engine.begin() as connection:
                    connection.execute(sa.insert(CHALLENGE_SCORES).values(**row))
            except sa.exc.IntegrityError:
                pass  # another server of the class scored it at the same moment: the same numbers
    return None


def leaderboard(store: str | sa.Engine | Store, code: str, part: str = "public", *, teacher: bool = False,
                score_at_most: int | None = None, dataset: Any = None) -> Leaderboard:
    """The challenge's board on one half. Scores the runs not scored yet first, at most `score_at_most`
    of them (the others are `pending`, for the next call). `dataset`: the loaded one, saves loading it
    again. The private board only once revealed, or for the teacher."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    store = as_store(store)
    challenge = get_challenge(store, code)
    if challenge is None:
        raise ChallengeError("challenge_missing", N_("There is no challenge {name}."), name=str(code))
    if part == "private" and not (challenge.revealed or teacher):
        raise ChallengeError("not_revealed", N_("The private leaderboard is shown once the teacher reveals it."))
    runs = _counting_runs(store.engine, challenge)
    scores = _scores(store.engine, challenge.code)
    waiting = sorted((run for run in runs if run.id not in scores), key=lambda run: -(run.test_accuracy or 0.0))
    batch = waiting if score_at_most is None else waiting[:score_at_most]
    problem = _score_runs(store, challenge, batch, dataset)
    if batch and problem is None:
        scores = _scores(store.engine, challenge.code)
    best: dict[str, Any] = {}
    for run in sorted(runs, key=lambda run: (run.created, run.id)):  # a tie goes to the earlier run
        public = scores.get(run.id, (None, None))[0]
        if public is not None and (run.owner not in best or public > scores[best[run.owner].id][0]):
            best[run.owner] = run
    public_order = sorted(best.values(), key=lambda run: (-scores[run.id][0], run.created, run.id))
    public_rank = {run.id: rank for rank, run in enumerate(public_order, start=1)}
    order = public_order
    if part == "private":
        order = sorted(best.values(), key=lambda run: (-(scores[run.id][1] or 0.0), run.created, run.id))
    rows = tuple(
        Entry(rank, run.owner, scores[run.id][0 if part == "public" else 1] or 0.0,
              spec_parameters(_spec_dict(run.spec_json)), run.epochs_done, run.created, run.id, public_rank[run.id])
        for rank, run in enumerate(order, start=1))
    pending = sum(run.id not in scores for run in runs)
    return Leaderboard(part, rows, pending, problem)


def _scores(engine: sa.Engine, code: str) -> dict[int, tuple[float | None, float | None]]:
    query = sa.select(CHALLENGE_SCORES).where(CHALLENGE_SCORES.c.challenge == code)
    with database(L_("read the challenge's scores")), engine.connect() as connection:
        return {row.run_id: (row.public, row.private) for row in connection.execute(query)}


def _spec_dict(text: str) -> dict[str, Any]:
    return json.loads(text)


def drawings_count(store: str | sa.Engine | Store) -> int:
    """How many labelled drawings the class has (a drawings challenge needs enough)."""
    with database(L_("list the drawings")), as_store(store).engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(DRAWINGS)).scalar_one()
