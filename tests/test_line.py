"""The line in time: a waiting training's estimated wait, from the trainings ahead and their measured pace."""

import pytest

from mnistlab.engine.job import DONE, QUEUED, RUNNING, Job
from mnistlab.engine.line import estimate_wait, measured_seconds, typical_seconds, wait_in_line
from mnistlab.engine.result import Progress, TrainResult


def job(state=QUEUED, elapsed=None, fraction=None, started=None, seconds=None, cached=False):
    made = Job("k", None, None, state=state, started=started)
    if elapsed is not None:  # `fraction` of one epoch of 100 batches done after `elapsed` seconds
        made.progress = Progress(1, 1, int(fraction * 100), 100, elapsed)
    if seconds is not None:
        made.result = TrainResult(b"", {}, seconds, 1, cached=cached)
    return made


def test_the_typical_training_is_the_median_of_the_latest():
    assert typical_seconds([]) is None
    assert typical_seconds([30, 40, 500]) == 40
    assert typical_seconds([1000] * 5 + [10] * 20) == 10  # only the latest twenty count


def test_one_trainer_the_running_pace_then_a_typical_training_for_each_ahead():
    running = job(RUNNING, elapsed=10, fraction=0.5)  # 10 s left at its pace
    ahead = [job(), job()]
    assert estimate_wait([running], ahead, [30, 40, 50], trainers=1) == pytest.approx(10 + 40 + 40)
    assert estimate_wait([running], [], [30, 40, 50], trainers=1) == pytest.approx(10)


def test_two_trainers_take_the_line_two_at_a_time():
    running = job(RUNNING, elapsed=10, fraction=0.5)
    assert estimate_wait([running], [], [40], trainers=2) == 0  # a trainer is free
    assert estimate_wait([running], [job()], [40], trainers=2) == pytest.approx(10)
    assert estimate_wait([running], [job(), job()], [40], trainers=2) == pytest.approx(40)


def test_a_training_without_a_pace_is_counted_from_its_start(monkeypatch):
    started = job(RUNNING, started=1000.0)
    assert estimate_wait([started], [], [60], trainers=1, now=1045.0) == pytest.approx(15)
    assert estimate_wait([started], [], [60], trainers=1, now=2000.0) == 0


def test_nothing_measured_the_running_pace_is_the_measure_else_no_estimate():
    running = job(RUNNING, elapsed=10, fraction=0.5)  # 20 s in all
    assert estimate_wait([running], [job()], [], trainers=1) == pytest.approx(10 + 20)
    assert estimate_wait([job(RUNNING)], [job()], [], trainers=1) is None


def test_wait_in_line_reads_a_registrys_jobs():
    done, hit = job(DONE, seconds=30.0), job(DONE, seconds=0.5, cached=True)
    running = job(RUNNING, elapsed=5, fraction=0.5)
    first, second = job(), job()
    jobs = [done, hit, running, first, second]
    assert measured_seconds(jobs) == [30.0]
    assert wait_in_line(second, jobs, [first, second], trainers=1) == pytest.approx(5 + 30)
    assert wait_in_line(first, jobs, [first, second], trainers=1) == pytest.approx(5)
    assert wait_in_line(running, jobs, [first, second], trainers=1) is None
