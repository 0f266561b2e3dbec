"""Handing waiting jobs to Dask: the dispatcher thread of `mnistlab.engine.jobs.JobRegistry` (a mixin)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from mnistlab.data.dataset import DATASET_NAMES
from mnistlab.engine.follow import REFRESH_S
from mnistlab.engine.job import FAILED, Job, max_training_seconds
from mnistlab.engine.result import TrainingTask, reason
from mnistlab.engine.roster import PUBLISH_S
from mnistlab.engine.worker import run_training
from mnistlab.i18n import L_

if TYPE_CHECKING:
    from mnistlab.data.dataset import Dataset

logger = logging.getLogger(__name__)


class Dispatcher:
    """The part of the registry that runs in its dispatcher thread; the registry gives the rest."""

    def _dispatch_forever(self) -> None:
        """Hands waiting jobs to Dask as trainers free up. Dask itself would queue them on
        whichever worker it picked first; holding them here keeps the line first-come first-served
        and lets Stop cancel a job nobody has started. A trainer freed by another app server on a
        shared cluster is noticed within a second. Nothing a job does can end this loop."""
        renewed = shared = time.monotonic()
        while not self._closed and self.engine.client.status not in ("closing", "closed"):
            try:
                if time.monotonic() - renewed >= REFRESH_S:
                    renewed = time.monotonic()
                    self._renew_marks()
                if time.monotonic() - shared >= PUBLISH_S:
                    shared = time.monotonic()
                    self._share_line()  # mnistlab.engine.roster: the class's line across servers
                for job in self._due():
                    self._send(job)
            except Exception:  # noqa: BLE001 — the scheduler is briefly away: try again in a second
                logger.exception("the dispatcher could not hand out jobs")
                time.sleep(1.0)

    def _due(self) -> list[Job]:
        """The waiting jobs that may start now, taken out of the line."""
        with self._lock:
            self._wake.wait(timeout=1.0)
            if not self._held:
                return []
            held = list(self._held)
        busy, threads = self._cluster_load()
        due = []
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
                    due.append(job)
        return due

    def _renew_marks(self) -> None:
        with self._lock:
            followed = [j for j in self._jobs.values() if j.active and j.marked]
        for job in followed:
            self._mark(job, True, renew=True)

    def _cluster_load(self) -> tuple[set[str], int]:
        """Keys the workers are running, and how many trainings the cluster runs at once."""
        client = self.engine.client
        busy = {str(key) for keys in client.processing().values() for key in keys}
        workers = client.scheduler_info(n_workers=-1).get("workers", {}).values()
        # a worker retiring between trainings (paused: mnistlab.engine.lifetime) takes no new one
        return busy, sum(w.get("nthreads", 0) for w in workers if w.get("status", "running") == "running")

    def _send(self, job: Job) -> None:
        """Outside the lock (an upload is pickled here); whatever goes wrong fails this job alone."""
        try:
            task = TrainingTask(
                job.key, job.dask_key, job.spec.to_json(), owner=job.owner, max_seconds=max_training_seconds(),
                server=self.server, store_id=self._store_id(), known=self._store_knows(job.key),
                cache_dir=str(self.cache_dir or ""),
            )
            dataset = self._dataset_ref(job.dataset)  # beside the task: Dask hands a scattered upload over
            self._mark(job, True)  # before the task can look
            future = self.engine.client.submit(run_training, task, dataset, key=job.dask_key, pure=False)
        except Exception as exc:  # noqa: BLE001 — a dataset that cannot be sent, a closed client
            logger.exception("could not hand job %s to the trainers", job.key)
            with self._lock:
                self._end(job, FAILED, error=L_("This training could not be handed to the trainers ({kind}: {reason}).",
                                                kind=type(exc).__name__, reason=reason(exc)))
            self._mark(job, False)
            return
        with self._lock:
            job.future = future
            stopping = job.stopping
        future.add_done_callback(lambda done, job=job: self._on_done(job, done))
        if stopping:  # everyone left while it was being sent
            self._leave(job, future, queued=True)

    def _store_id(self) -> str:
        """The name of the store the app lists ("" for none, or one that cannot be read: the app records)."""
        if self.store is None:
            return ""
        if not self._store_name:
            from mnistlab.store.runs import store_id

            try:
                self._store_name = store_id(self.store)
            except Exception:  # noqa: BLE001 — the database is down: this server records, and says if it fails
                logger.exception("could not read the run store's name")
        return self._store_name

    def _store_knows(self, key: str) -> bool:
        try:
            return self.store is not None and self.store.has_run(key)
        except Exception:  # noqa: BLE001 — the database is down: measure the run, so it can be recorded later
            return False

    def _dataset_ref(self, dataset: Dataset) -> Any:
        """A built-in dataset travels by name (the worker loads it once); an upload is sent to the
        cluster once per content (its fingerprint) and every task of it refers to that copy."""
        if self._builtin_matches(dataset):
            return dataset.name, "sample" if dataset.is_sample else "auto", dataset.fingerprint
        with self._lock:
            ref = self._scattered.get(dataset.fingerprint)
        if ref is None or ref.status != "finished":  # none yet, or lost with a worker that died
            ref = self.engine.client.scatter(dataset, hash=False)
            with self._lock:
                self._scattered[dataset.fingerprint] = ref
        return ref

    @staticmethod
    def _builtin_matches(dataset: Dataset) -> bool:
        """A built-in dataset is sent by name only if `load_dataset` made it here (never an upload).
        Nothing is loaded to find out."""
        from mnistlab.data.load import loaded_by_name

        return dataset.name in DATASET_NAMES and loaded_by_name(dataset)
