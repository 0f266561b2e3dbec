"""The Draw page's default model starts training in the background when the app first runs."""

import pytest
from apptest import open_app

from mnistlab.engine.cache import cache_key
from mnistlab.engine.jobs import DONE
from mnistlab.model.presets import draw_default_spec

QUICK = draw_default_spec().replace(epochs=1, train_size=300)


@pytest.fixture
def warmup(monkeypatch):
    from ui import warmup

    monkeypatch.setattr(warmup, "draw_default_spec", lambda: QUICK)  # the real one trains for a minute or more
    warmup._default_job.clear()
    yield warmup
    warmup._default_job.clear()


def submitted_job(spec=QUICK):
    from ui.resources import registry, shared_dataset

    return registry().get(cache_key(spec, shared_dataset("mnist")))


def test_the_first_visit_starts_the_default_model_once(warmup, monkeypatch):
    from ui.resources import registry

    monkeypatch.setenv("MNISTLAB_WARMUP", "1")
    home = open_app()  # the Home page, not Draw
    assert home.title and not home.exception
    job = submitted_job()
    assert job is not None and warmup.FOLLOWER in job.followers and job.spec == QUICK
    assert warmup.start_default_model() is job  # what the Draw page asks for
    assert job.wait(timeout=180) and job.state == DONE
    trained = registry().trainings_executed
    open_app("app_pages/dataset.py")  # another visitor: no second training
    assert warmup.start_default_model() is job and registry().trainings_executed == trained


def test_warmup_can_be_turned_off(warmup, monkeypatch):
    never = QUICK.replace(seed=QUICK.seed + 1)
    monkeypatch.setattr(warmup, "draw_default_spec", lambda: never)
    monkeypatch.setenv("MNISTLAB_WARMUP", "0")
    open_app()
    assert submitted_job(never) is None
