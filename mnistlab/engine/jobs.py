"""Trainings as Dask tasks, shared by every session of an app server (and across servers).

(Over 300 lines: the registry's follow/stop/queue rules belong together; the job value, the dispatcher and
the follower marks are in job.py, dispatch.py and follow.py.)

A job is identified by its cache key (dataset + spec + training settings + seed), which
is also its Dask key: a second request for the same key — from this server or another
one on the same scheduler — follows the running task instead of training again. The
trainings run in worker processes (see `mnistlab.engine.cluster`); this process only follows
them: progress arrives as events, the model comes back as `.keras` bytes and is loaded
only when a page needs it.

A follower is a session that asked for the job and still looks at it (`heartbeat`); one
that stopped looking (a closed tab, a reload) expires, so Stop works for those left. Each
server marks the trainings its sessions follow on the scheduler (`mnistlab.engine.follow`):
a training stops when no session on any server follows it. Fair use: a session follows
one job, a nickname holds at most `MAX_JOBS_PER_NICKNAME`, a training runs at most
`MNISTLAB_MAX_TRAINING_S` seconds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mnistlab.engine.cache import cache_key
from mnistlab.engine.cluster import Engine, default_max_jobs, start_engine
from mnistlab.engine.dispatch import Dispatcher
from mnistlab.engine.failures import killed_message
from mnistlab.engine.follow import mark, others_follow
from mnistlab.engine.job import (
    CANCELLED,
    DONE,
    FAILED,
    FOLLOWER_TTL,
    QUEUED,
    RUNNING,
    STOPPED,
    Job,
    max_training_seconds,
)
from mnistlab.engine.line import wait_in_line
from mnistlab.engine.result import Progress, TrainResult, reason
from mnistlab.engine.roster import Roster
from mnistlab.engine.worker import TOPIC
from mnistlab.i18n import L_, Message
from mnistlab.model.budget import check_server_limits
from mnistlab.model.spec import MAX_JOBS_PER_NICKNAME

if TYPE_CHECKING:
    from mnistlab.data.dataset import Dataset
    from mnistlab.model.spec import ModelSpec
    from mnistlab.store.runs import Store

ENGINE_RETRY_S = 30.0  # a failed engine start is tried again after this long (a fresh registry)

__all__ = ["CANCELLED", "DONE", "FAILED", "QUEUED", "RUNNING", "STOPPED", "Job", "JobRegistry",
           "default_max_jobs", "max_training_seconds"]

logger = logging.getLogger(__name__)
class JobRegistry(Dispatcher, Roster):
    """One per app process. Thread-safe; every public method returns quickly.

    `engine` is started in the background on first use unless one is given, so the first
    page that asks for the registry does not wait for worker processes to import TensorFlow.
    """

    def __init__(self, max_jobs: int | None = None, cache_dir: Any = None, keep_finished: int = 16,
                 on_finish: Any = None, store: Store | str | None = None, engine: Engine | None = None,
                 scheduler: str = "", follower_ttl: float = FOLLOWER_TTL, security: Any = None):
        self.max_jobs = max_jobs or default_max_jobs()
        self.cache_dir = cache_dir  # None (the app's way): each worker's own; a folder for tests on one machine
        self.keep_finished = keep_finished
        self.on_finish = on_finish  # called with each job that ends with a model, in a callback thread
        # the store the app lists: each run is recorded there once, by its worker when that reaches it, else here
        self.store = _store(store)
        self._store_name = ""
        self.follower_ttl = follower_ttl
        self.trainings_executed = 0  # trainings this registry saw run (cache hits do not count)
        self._lock = threading.RLock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._held: list[Job] = []  # waiting for a free trainer, first come first served
        self._wake = threading.Condition(self._lock)
        self._ready = threading.Event()
        self._engine_error: Message | str = ""
        self._engine_failed_at: float | None = None  # time.monotonic() of a failed start
        self._closed = False
        self.server = uuid.uuid4().hex  # this registry's name in the scheduler's follower marks
        self._marking = threading.Lock()
        self._scattered: dict[str, Any] = {}  # an uploaded dataset's fingerprint → its data on the cluster
        self.engine: Engine | None = None
        if engine is not None:
            self._attach(engine)
        else:
            threading.Thread(target=self._start_engine, args=(scheduler, security), name="mnistlab-engine",
                             daemon=True).start()

    # --- what the pages use ---------------------------------------------------------

    def submit(self, spec: ModelSpec, dataset: Dataset, follower: str, owner: str = "",
               permanent: bool = False) -> Job:
        """Follow the job for (dataset, spec): the running one, a finished one, or a new one; the
        session leaves the job it followed before. A `permanent` follower (the server's own warm-up)
        never expires, so no Stop ends the job. A nickname's third job at once is refused (FAILED).
        SpecError when the server's limits (memory budget, parameter cap) refuse the spec."""
        check_server_limits(spec)
        key = cache_key(spec, dataset)
        seen = math.inf if permanent else time.monotonic()
        with self._lock:
            job = self._jobs.get(key)
            leaving = [j for j in self._jobs.values() if j is not job and j.active and follower in j.followers]
            if job is not None and (job.state == DONE or (job.active and not job.stopping)):
                job.followers[follower] = max(seen, job.followers.get(follower, seen))
                self._jobs.move_to_end(key)
                remark = job.active and job.future is not None and not job.marked
            else:
                job = self._new_job(key, spec, dataset, follower, owner, seen)
                remark = False
        for old in leaving if job.state != FAILED else []:  # a session follows one job: the one it left
            self.stop(old, follower)  # stops unless others follow it
        if remark:  # this server had left the training (others followed it): it follows again
            self._mark(job, True)
        return job

    def _new_job(self, key: str, spec: ModelSpec, dataset: Dataset, follower: str, owner: str, seen: float) -> Job:
        """A fresh job for `key`, queued, or FAILED with the reason it cannot be. Under the lock."""
        old = self._jobs.get(key)
        # a stopping job keeps its Dask key until it ends, so the fresh one needs its own
        dask_key = key if old is None or not old.active else f"{key}-{uuid.uuid4().hex[:8]}"
        job = Job(key, spec, dataset, dask_key=dask_key, owner=owner, followers={follower: seen})
        if self._engine_error:  # nothing can train it: say so now rather than queue it for ever
            self._end(job, FAILED, error=self._engine_error)
            return job
        held = [j for j in self._jobs.values() if owner and j.owner == owner and j.active and not j.stopping
                and any(name != follower for name in self._live_followers(j))]
        if len(held) >= MAX_JOBS_PER_NICKNAME:
            self._end(job, FAILED, error=L_(
                "{nickname} already has {count} trainings queued or running, the most one nickname may have at "
                "once ({limit}). Stop one of them or wait until one ends, then train again.",
                nickname=owner, count=len(held), limit=MAX_JOBS_PER_NICKNAME))
            return job
        self._jobs[key] = job
        self._held.append(job)
        self._forget_old()
        self._wake.notify()
        return job

    def heartbeat(self, job: Job, follower: str) -> None:
        """The session still looks at the job (called by the pages that poll it)."""
        with self._lock:
            if follower in job.followers:
                job.followers[follower] = max(job.followers[follower], time.monotonic())

    def get(self, key: str) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def position(self, job: Job) -> int:
        """1 for the next job to start; 0 when it is not waiting for a trainer."""
        with self._lock:
            return self._held.index(job) + 1 if job in self._held else 0

    def stop(self, job: Job, follower: str) -> bool:
        """`follower` leaves the job. Returns False while others (on this server or another) still
        follow it, so it goes on for them; True when it stops, and for a job already over (a Stop that
        came as it finished never discards its result)."""
        with self._lock:
            job.followers.pop(follower, None)
            if not job.active:
                return True
            if self._live_followers(job):
                return False
            if job in self._held:
                job.stopping = True
                self._held.remove(job)
                self._end(job, CANCELLED, error=L_("Cancelled before it started."))
                return True
            if job.future is None:  # being handed to Dask right now: the sender sees this and stops it
                job.stopping = True
                return True
            future, queued = job.future, job.state == QUEUED
        return self._leave(job, future, queued)

    def _leave(self, job: Job, future: Any, queued: bool) -> bool:
        """This server's sessions all left a job Dask has: stop it unless another server follows it."""
        self._mark(job, False)
        try:
            if others_follow(self.engine.client, job.dask_key, self.server):
                return False
        except Exception:  # noqa: BLE001 — the scheduler is away: the job ends with it anyway
            logger.exception("could not read who follows %s", job.dask_key)
        with self._lock:
            job.stopping = True
        if queued:
            # cancelling a task that in fact started does not stop it: the cleared mark above does
            future.cancel()
        return True

    def _mark(self, job: Job, following: bool, renew: bool = False) -> None:
        """One mark at a time, so a renewal cannot land after the mark that left the job."""
        with self._marking:
            if renew and not job.marked:
                return
            job.marked = following
            self._send_mark(job, following)

    def _send_mark(self, job: Job, following: bool) -> None:
        try:
            mark(self.engine.client, job.dask_key, self.server, following)
        except Exception:  # noqa: BLE001 — the scheduler is away: the job ends with it anyway
            logger.exception("could not mark %s as followed=%s", job.dask_key, following)

    def forget_finished(self) -> None:
        """Drop the finished jobs kept for identical requests (after the teacher cleared the runs,
        the next identical training goes to the workers and is stored again)."""
        with self._lock:
            for key in [key for key, job in self._jobs.items() if not job.active]:
                del self._jobs[key]

    def counts(self) -> dict[str, int]:
        with self._lock:
            states = [job.state for job in self._jobs.values()]
            return {"running": states.count(RUNNING), "queued": states.count(QUEUED), "known": len(states)}

    def engine_problem(self) -> Message | str:
        """Why nothing can train ("" while all is well), said in the reader's language by `str()`."""
        return self._engine_error

    def engine_retry_due(self, after_s: float = ENGINE_RETRY_S) -> bool:
        """True once a failed engine start is `after_s` old: the app then makes a fresh registry,
        so one failed start (a scheduler down for a moment) does not stop training until a restart."""
        failed = self._engine_failed_at
        return failed is not None and time.monotonic() - failed >= after_s

    def close(self) -> None:
        self._closed = True
        if self.engine is not None:
            self.engine.close()

    # --- the engine -------------------------------------------------------------------

    def _start_engine(self, scheduler: str, security: Any) -> None:
        try:
            engine = start_engine(self.max_jobs, scheduler, security=security)
        except Exception as exc:  # noqa: BLE001 — every page says why nothing trains
            logger.exception("the training engine could not start")
            self._engine_error = L_("The training engine could not start ({kind}: {reason}).",
                                    kind=type(exc).__name__, reason=reason(exc))
            self._engine_failed_at = time.monotonic()
            with self._lock:
                held, self._held = self._held, []
                for job in held:
                    self._end(job, FAILED, error=self._engine_error)
            return
        self._attach(engine)

    def _attach(self, engine: Engine) -> None:
        self.engine = engine
        engine.client.subscribe_topic(TOPIC, self._on_event)
        with self._lock:
            self._ready.set()
        threading.Thread(target=self._dispatch_forever, name="mnistlab-dispatch", daemon=True).start()

    def _live_followers(self, job: Job) -> list[str]:
        now = time.monotonic()
        return [name for name, seen in job.followers.items() if now - seen <= self.follower_ttl]

    # --- events from the workers (the client's event loop) ----------------------------------

    def _on_event(self, event: tuple[float, dict]) -> None:
        _, msg = event
        if not isinstance(msg, dict):
            return
        with self._lock:
            job = next((j for j in self._jobs.values() if j.dask_key == msg.get("key") and j.active), None)
            if job is None:
                return
            if msg.get("kind") == "started":
                job.state, job.started = RUNNING, time.time()
            elif msg.get("kind") == "progress":
                job.state = RUNNING
                job.progress = Progress(msg["epoch"], msg["epochs"], msg["batch"], msg["batches"], msg["elapsed"],
                                        dict(msg.get("logs") or {}), dict(msg.get("history") or {}))

    def _on_done(self, job: Job, future: Any) -> None:
        """In Dask's callback thread, once the task has ended one way or another."""
        from concurrent.futures import CancelledError

        from distributed import KilledWorker

        result, error, state = None, "", DONE  # error: a Message or ""
        try:
            result = future.result()
        except CancelledError:
            state, error = CANCELLED, L_("Cancelled before it started.")
        except KilledWorker as exc:  # its worker died: a memory kill by the nanny, or anything else
            state, error = FAILED, killed_message(self.engine.client, exc, self.engine.memory_limit)
        except Exception as exc:  # noqa: BLE001 — a bug or a resource error: the job says so, the app goes on
            state, error = FAILED, L_("Training failed: {kind}: {reason}", kind=type(exc).__name__, reason=reason(exc))
        finally:
            future.release()
        if result is not None:
            state = DONE if result.complete or result.cached else STOPPED
            result = self._record(job, result)  # before the job ends: a student who sees it done finds the run
        if job.marked:  # before the job ends: a fresh job of the same key marks itself only after
            self._mark(job, False)
        with self._lock:
            job.result, job.run_id = result, result.run_id if result is not None else None
            if result is not None and not result.cached:
                self.trainings_executed += 1
            self._end(job, state, error)
            if not any(j.active and j.dataset.fingerprint == job.dataset.fingerprint for j in self._jobs.values()):
                self._scattered.pop(job.dataset.fingerprint, None)  # its copy on the cluster is released
            self._wake.notify()
        if self.on_finish is not None and result is not None:
            try:
                self.on_finish(job)
            except Exception:  # noqa: BLE001 — a side effect: the student keeps the model
                logger.exception("on_finish failed for job %s", job.key)

    def _record(self, job: Job, result: TrainResult) -> TrainResult:
        """Record the run here unless its worker did, or another server asked first (it records it): once."""
        from mnistlab.store.runs import record_run

        if result.recorded or self.store is None or result.requested_by not in ("", self.server):
            return result
        try:
            return replace(result, recorded=True, run_id=record_run(self.store, job.spec, job.dataset, result,
                                                                      job.owner))
        except Exception as exc:  # noqa: BLE001 — recording is a side effect: the student keeps the model
            logger.exception("Recording the run of job %s failed", job.key)
            failed = L_("This run could not be saved to the class's experiments ({reason}).", reason=reason(exc))
            return replace(result, notice=L_("{first} {second}", first=result.notice, second=failed)
                           if result.notice else failed)

    # --- inside the lock ---------------------------------------------------------------

    def _end(self, job: Job, state: str, error: Message | str = "") -> None:
        job.state, job.error, job.finished = state, error, time.time()
        if state != DONE and self._jobs.get(job.key) is job:
            del self._jobs[job.key]  # a stopped or failed job must not be handed to a new request
        job.finished_event.set()

    def _forget_old(self) -> None:
        finished = [key for key, job in self._jobs.items() if not job.active]
        for key in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._jobs[key]

    # --- the Class page: the class's line, its time, the teacher's Stop -----------------------

    def listing(self) -> list[Job]:
        """The trainings handed to the trainers, then those waiting, in the line's order."""
        with self._lock:
            return [j for j in self._jobs.values() if j.active and j not in self._held] + list(self._held)

    def estimated_wait(self, job: Job) -> float | None:
        """Seconds until a waiting job should start (mnistlab.engine.line); None when it is not waiting."""
        with self._lock:
            jobs, held = list(self._jobs.values()), list(self._held)
        return wait_in_line(job, jobs, held, self.max_jobs)

    def stop_for_all(self, job: Job) -> bool:
        """The teacher's Stop: every session of this server leaves the job (see `stop`)."""
        with self._lock:
            job.followers.clear()
        return self.stop(job, "")


def _store(store: Store | str | None) -> Store | None:
    if store is None or not isinstance(store, str):
        return store
    from mnistlab.store.runs import Store

    return Store(store)
