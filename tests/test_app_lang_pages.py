"""Train, Evaluate and Experiments in Chinese (`?lang=zh`): no English sentence left on screen; and the
Train page's overfitting notice, during and after a training, in both languages."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest
from english import english_left
from streamlit.testing.v1 import AppTest

from mnistlab import ModelSpec
from mnistlab.engine.jobs import DONE, RUNNING, Job
from mnistlab.engine.result import Progress
from mnistlab.engine.train import train
from mnistlab.model.io import model_to_bytes
from mnistlab.model.spec import dense, flatten
from ui.session import ActiveModel

ROOT = Path(__file__).resolve().parents[1]
SPEC = ModelSpec((flatten(), dense(32)), epochs=3, train_size=500, name="tiny")
NAMES = {"tiny"}  # the model's name, as its student wrote it

def english_on_page(at: AppTest) -> list[str]:
    """English left anywhere on the page, sidebar included (the language switch's label is bilingual)."""
    return english_left(at, NAMES | {"language"})


OVERFITTING = {"loss": [0.9, 0.5, 0.35, 0.25], "accuracy": [0.7, 0.85, 0.9, 0.93],
               "val_loss": [0.6, 0.45, 0.5, 0.56], "val_accuracy": [0.8, 0.86, 0.85, 0.84]}


@pytest.fixture(scope="module")
def trained(sample):
    """A tiny finished training (about 2 s), outside any cache."""
    return train(SPEC, sample, use_cache=False)


def app(page: str, lang: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if lang:
        at.query_params["lang"] = lang
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    return at


def finished_job(result, sample) -> Job:
    return Job(key=f"test-lang-{uuid.uuid4().hex[:8]}", spec=SPEC, dataset=sample, state=DONE, result=result)


def overfitting_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "Dropout" in w.value]


# ------------------------------------------------------------------------- overfitting noticed

def test_a_finished_training_that_overfits_is_told_with_what_to_try(trained, sample):
    job = finished_job(dataclasses.replace(trained, history=OVERFITTING, epochs_done=4), sample)
    at = app("app_pages/train.py", train_job=job)
    [notice] = overfitting_warnings(at)
    assert "Overfitting" in notice and "epoch 2" in notice
    assert all(words in notice for words in ("Dropout", "fewer epochs", "augmentation", "more training data",
                                             "smaller model"))

    chinese = app("app_pages/train.py", "zh", train_job=job)
    [notice] = overfitting_warnings(chinese)
    assert "过拟合" in notice and "第 2 轮" in notice
    assert english_on_page(chinese) == []


def test_a_training_that_learns_well_gets_no_notice(trained, sample):
    healthy = {"loss": [0.9, 0.5, 0.35], "accuracy": [0.7, 0.85, 0.9],
               "val_loss": [0.6, 0.45, 0.4], "val_accuracy": [0.8, 0.86, 0.88]}
    at = app("app_pages/train.py", train_job=finished_job(dataclasses.replace(trained, history=healthy), sample))
    assert not overfitting_warnings(at)
    assert at.get("plotly_chart"), "the curves are shown"


def test_overfitting_is_told_while_the_training_runs(sample):
    job = Job(key=f"test-lang-live-{uuid.uuid4().hex[:8]}", spec=SPEC, dataset=sample, state=RUNNING,
              progress=Progress(epoch=5, epochs=10, batch=3, batches=8, elapsed=4.0,
                                logs={"loss": 0.2, "accuracy": 0.95}, history=OVERFITTING))
    at = app("app_pages/train.py", train_job=job)
    assert len(overfitting_warnings(at)) == 1
    assert any("Epoch 5 of 10" in p.proto.text for p in at.get("progress"))


# ------------------------------------------------------------------------- every page in Chinese

def test_train_with_a_finished_training_speaks_chinese(trained, sample):
    at = app("app_pages/train.py", "zh", train_job=finished_job(trained, sample))
    assert at.success and at.get("plotly_chart")
    assert english_on_page(at) == []


def test_evaluate_with_a_model_speaks_chinese(trained, sample):
    active = ActiveModel(trained.model, "tiny", "test-lang-evaluate-tiny", sample.name, SPEC)
    at = app("app_pages/evaluate.py", "zh", active_model=active)
    assert at.main.metric and at.dataframe and at.image
    assert english_on_page(at) == []
    # "class" and "count" are also chart axes (core-b's, allowed above): the tables' own headers are Chinese
    headers = [str(column) for frame in at.dataframe for column in frame.value.columns]
    assert "类别" in headers and "次数" in headers and "class" not in headers and "count" not in headers


def test_experiments_with_a_stored_run_speaks_chinese(trained, sample):
    from ui.resources import shared_store

    run_id = shared_store().add(
        owner="", name="tiny", dataset="mnist", source="test", spec_json=SPEC.to_json(), history=OVERFITTING,
        seconds=2.0, epochs_done=4, status="done", cache_key=f"tiny-{uuid.uuid4().hex[:6]}",
        model_bytes=model_to_bytes(trained.model), test_accuracy=0.8)
    at = app("app_pages/experiments.py", "zh")
    [table] = [frame for frame in at.dataframe if "记录" in frame.value.columns]
    at.session_state[table.key] = {"selection": {"rows": [list(table.value["记录"]).index(run_id)], "columns": []}}
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2 and at.button(key=f"use_{run_id}")
    assert english_on_page(at) == []
