"""The job registry: one training per identical request, a queue, and stop semantics."""

import threading
import types

import pytest

from mnistlab import ModelSpec
from mnistlab.jobs import DONE, FAILED, QUEUED, RUNNING, STOPPED, JobRegistry
from mnistlab.spec import dense, flatten
from mnistlab.train import TrainResult

DATA = types.SimpleNamespace(fingerprint="data-1", name="mnist", source="test data")


def spec(seed=0):
    return ModelSpec((flatten(), dense(8)), epochs=1, seed=seed)


class FakeTrainer:
    """Trains nothing: each call waits until released or stopped, and is counted."""

    def __init__(self):
        self.calls = []
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def __call__(self, spec, dataset, on_epoch=None, on_batch=None, should_stop=None, cache_dir=None):
        self.calls.append(spec.seed)
        self.started.release()
        while not self.release.wait(0.01):
            if should_stop():
                return TrainResult("partial", {"loss": [1.0]}, 0.1, 1, stopped=True)
        return TrainResult("model", {"loss": [0.5]}, 0.1, 1)


@pytest.fixture
def trainer():
    fake = FakeTrainer()
    yield fake
    fake.release.set()


def test_identical_requests_share_one_training(trainer):
    registry = JobRegistry(max_jobs=1, trainer=trainer)
    jobs = [registry.submit(spec(), DATA, f"student{i}") for i in range(5)]
    assert all(job is jobs[0] for job in jobs)
    trainer.release.set()
    assert jobs[0].wait(5) and jobs[0].state == DONE
    assert trainer.calls == [0] and registry.trainings_executed == 1
    late = registry.submit(spec(), DATA, "latecomer")
    assert late is jobs[0] and late.result.model == "model"


def test_the_limit_queues_the_rest_in_order(trainer):
    registry = JobRegistry(max_jobs=1, trainer=trainer)
    first, second, third = (registry.submit(spec(seed), DATA, f"s{seed}") for seed in (1, 2, 3))
    assert trainer.started.acquire(timeout=5)
    assert (first.state, second.state, third.state) == (RUNNING, QUEUED, QUEUED)
    assert (registry.position(first), registry.position(second), registry.position(third)) == (0, 1, 2)
    trainer.release.set()
    assert third.wait(5)
    assert trainer.calls == [1, 2, 3]


def test_two_at_once_when_allowed(trainer):
    registry = JobRegistry(max_jobs=2, trainer=trainer)
    jobs = [registry.submit(spec(seed), DATA, "s") for seed in (1, 2, 3)]
    assert trainer.started.acquire(timeout=5) and trainer.started.acquire(timeout=5)
    assert [job.state for job in jobs] == [RUNNING, RUNNING, QUEUED]
    assert registry.counts() == {"running": 2, "queued": 1, "known": 3}


def test_stop_with_two_followers_stops_only_when_both_left(trainer):
    registry = JobRegistry(max_jobs=1, trainer=trainer)
    job = registry.submit(spec(), DATA, "alice")
    registry.submit(spec(), DATA, "bob")
    assert trainer.started.acquire(timeout=5)
    assert registry.stop(job, "alice") is False
    assert job.state == RUNNING and not job.stop_event.is_set()
    assert registry.stop(job, "bob") is True
    assert job.wait(5) and job.state == STOPPED and job.result.stopped
    # a stopped job is not handed to the next request: that one trains afresh
    again = registry.submit(spec(), DATA, "carol")
    assert again is not job
    trainer.release.set()
    assert again.wait(5) and again.state == DONE
    # same key, different weights: caches of evaluations and downloads must tell them apart
    assert again.key == job.key and again.model_key == job.key != job.model_key


def test_stopping_a_queued_job_removes_it_from_the_queue(trainer):
    registry = JobRegistry(max_jobs=1, trainer=trainer)
    registry.submit(spec(1), DATA, "a")
    waiting = registry.submit(spec(2), DATA, "b")
    assert registry.stop(waiting, "b") is True
    assert waiting.state == STOPPED and registry.position(waiting) == 0
    trainer.release.set()
    assert trainer.started.acquire(timeout=5)
    assert trainer.calls == [1]


def test_a_failing_training_is_reported_not_raised():
    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    registry = JobRegistry(max_jobs=1, trainer=broken)
    job = registry.submit(spec(), DATA, "a")
    assert job.wait(5) and job.state == FAILED and "out of memory" in job.error


def test_on_finish_sees_every_finished_job(trainer):
    finished = []
    registry = JobRegistry(max_jobs=1, trainer=trainer, on_finish=finished.append)
    job = registry.submit(spec(), DATA, "a")
    trainer.release.set()
    job.wait(5)
    for _ in range(100):
        if finished:
            break
        threading.Event().wait(0.01)
    assert finished == [job]
