"""What the student did that the lessons' checks read, recorded in one place: `record("page_opened",
page="dataset")` from the pages. Kept in the session, and in the store under the nickname when the
session has one, so a reload keeps it."""

from __future__ import annotations

import streamlit as st

from mnistlab.errors import MnistlabError
from mnistlab.lessons.checks import Event, Progress, TrainedRun, event, progress_of, trained_event
from ui.identity import nickname
from ui.resources import shared_store

EVENTS_KEY = "lesson_events"  # this session's events, in order
STORED_KEY = "lesson_events_stored"  # (nickname, event) pairs already in the store


def _session_events() -> list[Event]:
    return st.session_state.setdefault(EVENTS_KEY, [])


def record(kind: str, **details: object) -> None:
    """Note that the student did `kind` (once per session; into the store too when they have a nickname)."""
    recorded = event(kind, **details)
    events = _session_events()
    if recorded in events:
        return
    events.append(recorded)
    _store_events()


def _store_events() -> None:
    """The session's events not yet stored under its nickname (those from before it had one too)."""
    owner = nickname()
    if not owner:
        return
    from mnistlab.store.progress import add_event

    stored = st.session_state.setdefault(STORED_KEY, set())
    for recorded in _session_events():
        if (owner, recorded) in stored:
            continue
        try:
            add_event(shared_store().engine, owner, recorded)
        except MnistlabError:
            return  # the session keeps them; a database that is down must not break the page being used
        stored.add((owner, recorded))


def record_training(job) -> None:
    """The session's training finished (a `mnistlab.engine.jobs.Job` with its result)."""
    result = job.result
    _record_event(trained_event(job.spec.to_dict(), result.epochs_done, result.history, job.key))


def _record_event(recorded: Event) -> None:
    record(recorded.kind, **dict(recorded.details))


def record_page(page: object) -> None:
    """The page this run shows (app.py, after st.navigation): "home" for the default page."""
    record("page_opened", page=(getattr(page, "url_path", "") or "home"))


def session_progress() -> Progress:
    """This session's events (and its nickname's), and its finished trainings as the store has them."""
    _store_events()
    events = list(_session_events())
    owner = nickname()
    store = shared_store()
    try:
        if owner:
            from mnistlab.store.progress import events_of

            events = events_of(store.engine, owner) + events
        keys = {e.get("key") for e in events if e.kind == "trained"}
        runs = [TrainedRun.from_spec(run.spec_dict, run.epochs_done, run.history, run.test_accuracy, run.cache_key)
                for run in store.list()
                if not run.problem and ((owner and run.owner == owner) or run.cache_key in keys)]
    except MnistlabError:
        runs = []
    return progress_of(events, runs)
