"""Training as background jobs shared by every session of one process.

A job is identified by its cache key (dataset + spec + training settings + seed): a
second request for the same key follows the running job instead of training again.
At most `max_jobs` train at once; the rest wait in a first-come queue. A follower that
stops leaves the job; the job itself stops only when nobody follows it any more.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mnistlab.train import Progress, TrainResult, cache_key, train

if TYPE_CHECKING:
    from mnistlab.data import Dataset
    from mnistlab.spec import ModelSpec

logger = logging.getLogger(__name__)
QUEUED, RUNNING, DONE, STOPPED, FAILED = "queued", "running", "done", "stopped", "failed"


def default_max_jobs() -> int:
    """MNISTLAB_MAX_JOBS, or one training per two cores: TensorFlow uses both cores of a pair."""
    value = os.environ.get("MNISTLAB_MAX_JOBS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, (os.cpu_count() or 2) // 2)


@dataclass(eq=False)
class Job:
    key: str
    spec: ModelSpec
    dataset: Dataset
    state: str = QUEUED
    progress: Progress | None = None
    result: TrainResult | None = None
    error: str = ""
    followers: set[str] = field(default_factory=set)
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    finished_event: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    @property
    def history(self) -> dict[str, list[float]]:
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
    """One per process. Thread-safe; every public method returns quickly."""

    def __init__(self, max_jobs: int | None = None, cache_dir: str | os.PathLike | None = None,
                 keep_finished: int = 64, on_finish: Any = None, trainer: Any = train):
        self.max_jobs = max_jobs or default_max_jobs()
        self.cache_dir = cache_dir
        self.keep_finished = keep_finished
        self.on_finish = on_finish  # called with each job that ends (done or stopped), in its thread
        self.trainer = trainer  # train(); replaceable so the queue can be tested without TensorFlow
        self.trainings_executed = 0  # cache hits do not count
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: list[Job] = []
        self._running: set[str] = set()

    def submit(self, spec: ModelSpec, dataset: Dataset, follower: str) -> Job:
        """Follow the job for (dataset, spec): the running one, a finished one, or a new one."""
        key = cache_key(spec, dataset)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state in (QUEUED, RUNNING, DONE):
                job.followers.add(follower)
                self._jobs.move_to_end(key)
                return job
            job = Job(key, spec, dataset, followers={follower})
            self._jobs[key] = job
            self._queue.append(job)
            self._start_waiting()
            self._forget_old()
            return job

    def get(self, key: str) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def position(self, job: Job) -> int:
        """1 for the next job to start; 0 when it is not waiting."""
        with self._lock:
            return self._queue.index(job) + 1 if job in self._queue else 0

    def stop(self, job: Job, follower: str) -> bool:
        """`follower` leaves the job. Returns True when that stops the job for everyone."""
        with self._lock:
            job.followers.discard(follower)
            if job.followers or not job.active:
                return False
            job.stop_event.set()
            if job in self._queue:
                self._queue.remove(job)
                self._jobs.pop(job.key, None)
                self._end(job, STOPPED)
            return True

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"running": len(self._running), "queued": len(self._queue), "known": len(self._jobs)}

    # --- inside the lock ---------------------------------------------------------

    def _start_waiting(self) -> None:
        while self._queue and len(self._running) < self.max_jobs:
            job = self._queue.pop(0)
            job.state, job.started = RUNNING, time.time()
            self._running.add(job.key)
            threading.Thread(target=self._run, args=(job,), name=f"train-{job.key[:8]}", daemon=True).start()

    def _forget_old(self) -> None:
        finished = [key for key, job in self._jobs.items() if not job.active]
        for key in finished[: max(0, len(finished) - self.keep_finished)]:
            del self._jobs[key]

    def _end(self, job: Job, state: str) -> None:
        job.state, job.finished = state, time.time()
        job.finished_event.set()

    # --- in the job's thread -------------------------------------------------------

    def _run(self, job: Job) -> None:
        def report(progress: Progress) -> None:
            job.progress = progress

        try:
            result = self.trainer(job.spec, job.dataset, on_epoch=report, on_batch=report,
                           should_stop=job.stop_event.is_set, cache_dir=self.cache_dir)
        except Exception as exc:  # a bug or a resource error: the job says so, the app goes on
            result, error = None, f"Training failed: {type(exc).__name__}: {exc}"
        else:
            error = ""
        with self._lock:
            self._running.discard(job.key)
            job.result, job.error = result, error
            if result is not None and not result.cached:
                self.trainings_executed += 1
            if result is None:
                state = FAILED
            elif result.complete or result.cached:
                state = DONE
            else:
                state = STOPPED
            if state != DONE:  # a stopped or failed job must not be handed to a new request
                self._jobs.pop(job.key, None)
            self._end(job, state)
            self._start_waiting()
        if self.on_finish is not None and result is not None:
            try:
                self.on_finish(job)
            except Exception:  # recording is a side effect: the student still gets the model
                logger.exception("Recording the run of job %s failed", job.key)
