"""A model is named for its reader: after "使用这个模型" on Experiments, Evaluate, Inside and Draw name
the run's model by its preset's title and its data's own name, in Chinese, never by code names."""

from __future__ import annotations

import re
import uuid

import pytest
from apptest import APP
from english import english_left, page_texts
from streamlit.testing.v1 import AppTest

from mnistlab import ModelSpec, train
from mnistlab.model.io import model_to_bytes
from mnistlab.model.spec import dense, flatten

SPEC = ModelSpec((flatten(), dense(32)), epochs=1, train_size=500, name="mlp_relu_adam_modified")
# Code names a reader should never meet: a spec's name, a dataset's key ("· mnist"), a source's English
CODE_NAME = re.compile(r"mlp_relu_adam|_modified|(?<![\w.-])mnist(?![\w.-])|MNIST sample")

pytestmark = pytest.mark.usefixtures("fresh_store")


def test_a_loaded_runs_model_is_named_in_chinese_on_every_page(sample, monkeypatch):
    monkeypatch.setenv("MNISTLAB_LANG", "zh")
    from ui.resources import shared_store

    model = train(SPEC, sample, use_cache=False).model
    run_id = shared_store().add(
        owner="", name=SPEC.name, dataset="mnist", source=sample.source.english(), spec_json=SPEC.to_json(),
        history={"loss": [0.9], "accuracy": [0.7]}, seconds=2.0, epochs_done=4, status="done",
        cache_key=f"names-{uuid.uuid4().hex[:6]}", model_bytes=model_to_bytes(model), test_accuracy=0.8)
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "zh"
    at.switch_page("app_pages/experiments.py")
    at.run()
    [table] = [frame for frame in at.dataframe if "记录" in frame.value.columns]
    assert list(table.value.loc[table.value["记录"] == run_id, "模型"]) == ["MLP，relu，Adam（已修改）"]
    at.session_state[table.key] = {"selection": {"rows": [list(table.value["记录"]).index(run_id)], "columns": []}}
    at.run()
    at.button(key=f"use_{run_id}").click().run()
    assert not at.exception
    expected = f"训练记录 {run_id}：MLP，relu，Adam（已修改），在 MNIST 样本 上训练了 4 轮"
    for page in ("app_pages/evaluate.py", "app_pages/inside.py", "app_pages/draw.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, at.exception)
        texts = page_texts(at)
        assert any(expected in text for text in texts), (page, [t for t in texts if "模型" in t][:5])
        assert [t for t in texts if CODE_NAME.search(t)] == [], page
        assert english_left(at, allowed=("language",)) == [], page
