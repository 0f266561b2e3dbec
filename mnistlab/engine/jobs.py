"""Trainings as Dask tasks, shared by every session of an app server (and across servers).

A job is identified by its cache key (dataset + spec + training settings + seed), which
is also its Dask key: a second request for the same key — from this server or another
one on the same scheduler — follows the running task instead of training again. The
trainings run in worker processes (see `mnistlab.engine.cluster`); this process only follows
them: progress arrives as events, Stop is a `distributed.Event`, the model comes back
as `.keras` bytes and is loaded only when a page needs it.

A follower is a session that asked for the job and still looks at it (`heartbeat`); one
that stopped looking (a closed tab, a reload) expires, so Stop works for those left.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mnistlab.data.dataset import DATASET_NAMES
from mnistlab.engine.cluster import RECYCLE_AFTER, RECYCLE_AT, Engine, default_max_jobs, start_engine
from mnistlab.engine.train import Progress, TrainResult, cache_key, default_cache_dir, reason
from mnistlab.engine.worker import TOPIC, run_training, stop_event_name
from mnistlab.i18n import L_, Message
from mnistlab.model.budget import check_server_limits

if TYPE_CHECKING:
    from mnistlab.data.dataset import Dataset
    from mnistlab.model.spec import ModelSpec

ENGINE_RETRY_S = 30.0  # a failed engine start is tried again after this long (a fresh registry)

__all__ = ["CANCELLED", "DONE", "FAILED", "QUEUED", "RUNNING", "STOPPED", "Job", "JobRegistry",
           "default_max_jobs"]

logger = logging.getLogger(__name__)
QUEUED, RUNNING, DONE, STOPPED, FAILED, CANCELLED = "queued", "running", "done", "stopped", "failed", "cancelled"
FOLLOWER_TTL = 30.0  # seconds a follower counts without a heartbeat (pages poll every 1–5 s)


@dataclass(eq=False)
class Job:
    key: str
    spec: ModelSpec
    dataset: Dataset = field(repr=False)
    dask_key: str = ""
    owner: str = ""  # the nickname of the session that asked first; its run carries it
    state: str = QUEUED
    progress: Progress | None = None
    result: TrainResult | None = None
    error: Message | str = ""  # why it failed or was cancelled, said in the reader's language: `str(job.error)`
    stopping: bool = False
    run_id: int | None = None
    followers: dict[str, float] = field(default_factory=dict)  # session → last heartbeat (monotonic)
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    finished_event: threading.Event = field(default_factory=threading.Event)
    future: Any = None

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def history(self) -> dict[str, Any]:
        if self.result is not None:
            return self.result.history
        return self.progress.history if self.progress is not None else {}

    @property
    def model_key(self) -> str:
        """Names the weights, for caches of what is computed from them. A complete run's weights
        are those of every run with its key; a stopped or diverged run's are its own."""
        if self.result is not None and not self.result.complete and not self.result.cached:
            return f"{self.key}-partial-{self.result.epochs_done}-{id(self):x}"
        return self.key

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished_event.wait(timeout)


class JobRegistry:
    """One per app process. Thread-safe; every public method returns quickly.

    `engine` is started in the background on first use unless one is given, so the first
    page that asks for the registry does not wait for worker processes to import TensorFlow.
    """

    def __init__(self, max_jobs: int | None = None, cache_dir: Any = None, keep_finished: int = 16,
                 on_finish: Any = None, store_url: str | None = None, engine: Engine | None = None,
                 scheduler: str = "", follower_ttl: float = FOLLOWER_TTL):
        self.max_jobs = max_jobs or default_max_jobs()
        self.cache_dir = cache_dir
        self.keep_finished = keep_finished
        self.on_finish = on_finish  # called with each job that ends with a model, in a callback thread
        self.store_url = store_url  # the workers store each run there, once; else on_finish does
        self.follower_ttl = follower_ttl
        self.trainings_executed = 0  # trainings this registry saw run (cache hits do not count)
        self._lock = threading.RLock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._held: list[Job] = []  # waiting for a free trainer, first come first served
        self._wake = threading.Condition(self._lock)
        self._recycle: set[str] = set()  # embedded workers due for a fresh process
        self._recycle_busy = False
        self._ready = threading.Event()
        self._engine_error: Message | str = ""
        self._engine_failed_at: float | None = None  # time.monotonic() of a failed start
        self._closed = False
        self.engine: Engine | None = None
        if engine is not None:
            self._attach(engine)
        else:
            threading.Thread(target=self._start_engine, args=(scheduler,), name="mnistlab-engine",
                             daemon=True).start()

    # --- what the pages use ---------------------------------------------------------

    def submit(self, spec: ModelSpec, dataset: Dataset, follower: str, owner: str = "",
               permanent: bool = False) -> Job:
        """Follow the job for (dataset, spec): the running one, a finished one, or a new one.
        A `permanent` follower (the server's own warm-up) never expires, so no Stop ends the job.
        SpecError when the server's limits (memory budget, parameter cap) refuse the spec."""
        check_server_limits(spec)
        key = cache_key(spec, dataset)
        seen = math.inf if permanent else time.monotonic()
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and (job.state == DONE or (job.active and not job.stopping)):
                job.followers[follower] = max(seen, job.followers.get(follower, seen))
                self._jobs.move_to_end(key)
                return job
            # a fresh task; a stopping one keeps its Dask key until it ends, so this one needs its own
            dask_key = key if job is None or not job.active else f"{key}-{uuid.uuid4().hex[:8]}"
            job = Job(key, spec, dataset, dask_key=dask_key, owner=owner, followers={follower: seen})
            if self._engine_error:  # nothing can train it: say so now rather than queue it for ever
                self._end(job, FAILED, error=self._engine_error)
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
        """`follower` leaves the job. Returns True when that stops the job for everyone."""
        with self._lock:
            job.followers.pop(follower, None)
            if self._live_followers(job) or not job.active:
                return False
            job.stopping = True
            if job in self._held:
                self._held.remove(job)
                self._end(job, CANCELLED, error=L_("Cancelled before it started."))
                return True
            future, queued = job.future, job.state == QUEUED
        if queued and future is not None:
            future.cancel()  # the done callback reports it cancelled
        else:
            self._set_stop(job)
        return True

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

    def _start_engine(self, scheduler: str) -> None:
        try:
            engine = start_engine(self.max_jobs, scheduler)
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

    def _dispatch_forever(self) -> None:
        """Hands waiting jobs to Dask as trainers free up. Dask itself would queue them on
        whichever worker it picked first; holding them here keeps the line first-come first-served
        and lets Stop cancel a job nobody has started. A trainer freed by another app server on a
        shared cluster is noticed within a second."""
        while not self._closed and self.engine.client.status not in ("closing", "closed"):
            with self._lock:
                self._wake.wait(timeout=1.0)
                if not self._held or self._recycle_busy:
                    continue
                held = list(self._held)
            try:
                busy, threads = self._cluster_load()
            except Exception:  # noqa: BLE001 — the scheduler is briefly away: try again in a second
                logger.exception("could not read the cluster's load")
                continue
            with self._lock:
                mine = {j.dask_key for j in self._jobs.values() if j.future is not None and j.active}
                free = threads - len(busy | mine)
                for job in held:
                    if job not in self._held:
                        continue  # cancelled meanwhile
                    joins = job.dask_key in busy  # another server started this very job: follow it
                    if joins or free > 0:
                        free -= 0 if joins else 1
                        self._held.remove(job)
                        self._send(job)

    def _cluster_load(self) -> tuple[set[str], int]:
        """Keys the workers are running, and how many trainings the cluster runs at once."""
        client = self.engine.client
        busy = {str(key) for keys in client.processing().values() for key in keys}
        return busy, sum(client.nthreads().values())

    def _send(self, job: Job) -> None:
        dataset = job.dataset
        # a built-in dataset travels by name (the worker loads it once); an upload travels with its task
        source = "sample" if dataset.is_sample else "auto"
        sent = (dataset.name, source, dataset.fingerprint) if self._builtin_matches(dataset) else dataset
        payload = {
            "key": job.key, "dask_key": job.dask_key, "spec_json": job.spec.to_json(), "dataset": sent,
            "cache_dir": str(self.cache_dir or default_cache_dir()), "store_url": self.store_url,
            "owner": job.owner,
        }
        job.future = self.engine.client.submit(run_training, payload, key=job.dask_key, pure=False)
        job.future.add_done_callback(lambda future, job=job: self._on_done(job, future))

    @staticmethod
    def _builtin_matches(dataset: Dataset) -> bool:
        """A built-in dataset is sent by name only if `load_dataset` made it here (never an upload).
        Nothing is loaded to find out: this runs under the registry's lock."""
        from mnistlab.data.load import loaded_by_name

        return dataset.name in DATASET_NAMES and loaded_by_name(dataset)

    def _set_stop(self, job: Job) -> None:
        from distributed import Event

        try:
            Event(stop_event_name(job.dask_key), client=self.engine.client).set()
        except Exception:  # noqa: BLE001 — the scheduler is gone: the job ends with it anyway
            logger.exception("could not stop %s", job.dask_key)

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

        payload, error, state = None, "", DONE  # error: a Message or ""
        try:
            payload = future.result()
        except CancelledError:
            state, error = CANCELLED, L_("Cancelled before it started.")
        except KilledWorker:
            limit = self.engine.memory_limit if self.engine else 0
            state = FAILED
            if limit:
                error = L_("The training's worker process was stopped: this model needed more memory than the server "
                           "gives one training ({limit:.1f} GB). Make it smaller (fewer units or filters, a smaller "
                           "batch) and train again. Everybody else's trainings go on.", limit=limit / 2**30)
            else:
                error = L_("The training's worker process was stopped: this model needed more memory than the server "
                           "gives one training. Make it smaller (fewer units or filters, a smaller batch) and train "
                           "again. Everybody else's trainings go on.")
        except Exception as exc:  # noqa: BLE001 — a bug or a resource error: the job says so, the app goes on
            state, error = FAILED, L_("Training failed: {kind}: {reason}", kind=type(exc).__name__, reason=reason(exc))
        finally:
            future.release()
        result = None
        if payload is not None:
            result = TrainResult(
                payload["model"], payload["history"], payload["seconds"], payload["epochs_done"],
                stopped=payload["stopped"], diverged=payload["diverged"], cached=payload["cached"],
                key=payload["key"], message=payload["message"], notice=payload["notice"],
            )
            state = DONE if result.complete or result.cached else STOPPED
        with self._lock:
            job.result, job.run_id = result, (payload or {}).get("run_id")
            if result is not None and not result.cached:
                self.trainings_executed += 1
            self._note_worker(payload)
            self._end(job, state, error)
            self._wake.notify()
        if self.on_finish is not None and result is not None and not (payload or {}).get("stored"):
            try:
                self.on_finish(job)
            except Exception as exc:  # noqa: BLE001 — recording is a side effect: the student keeps the model
                logger.exception("Recording the run of job %s failed", job.key)
                result.notice = L_("This run could not be saved to the class's experiments ({reason}).",
                                   reason=reason(exc))
        self._maybe_recycle()

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

    def _note_worker(self, payload: dict | None) -> None:
        if not payload or self.engine is None or not self.engine.embedded:
            return
        limit = self.engine.memory_limit
        used = payload.get("worker_rss", 0)
        if payload.get("worker_trainings", 0) >= RECYCLE_AFTER or (limit and used > RECYCLE_AT * limit):
            self._recycle.add(payload["worker"])

    # --- recycling: fresh worker processes, so memory does not creep over a day of classes ---

    def _maybe_recycle(self) -> None:
        with self._lock:
            if not self._recycle or self._recycle_busy or any(job.active for job in self._jobs.values()):
                return
            workers, self._recycle = sorted(self._recycle), set()
            self._recycle_busy = True  # new jobs wait in _held until the fresh workers are up
        threading.Thread(target=self._restart, args=(workers,), name="mnistlab-recycle", daemon=True).start()

    def _restart(self, workers: list[str]) -> None:
        try:
            self.engine.client.restart_workers(workers, timeout=120, raise_for_error=False)
        except Exception:  # noqa: BLE001 — a worker that will not restart is replaced by its nanny anyway
            logger.exception("recycling %s failed", workers)
        with self._lock:
            self._recycle_busy = False
            self._wake.notify()
