"""The core says its errors, data sources, store problems and chart words in the reader's language:
each test sets the language source to Chinese, as the UI does for a `?lang=zh` session."""

from __future__ import annotations

import io
import pickle
import re
import zipfile

import numpy as np
import pytest

from mnistlab import i18n
from mnistlab.data.dataset import CLASS_NAMES, DIGITS
from mnistlab.data.preprocess import drawing_problem, ink_map
from mnistlab.data.sources import dataset_from_idx_files, dataset_from_npz_bytes, load_npz
from mnistlab.errors import DataError, DrawingError
from mnistlab.insight import charts, charts_inside
from mnistlab.store.runs import Store, StoreError

CJK = re.compile(r"[\u4e00-\u9fff]")
# what may stay in Latin letters on a Chinese chart: Keras names, plotly's hover syntax
LATIN_ALLOWED = {"epoch", "extra", "br", "customdata", "text", "x", "y", "z", "d", "f"}


@pytest.fixture
def zh():
    i18n.set_language_source(lambda: "zh")
    try:
        yield
    finally:
        i18n.set_language_source(None)


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _english_words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)} - LATIN_ALLOWED


def test_a_bad_upload_is_said_in_chinese_with_its_code(zh):
    images = np.zeros((3, 28, 28), np.uint8)
    raw = _npz(x_train=images, y_train=np.array([0, 1, 12]), x_test=images, y_test=np.zeros(3, np.uint8))
    with pytest.raises(DataError) as caught:
        dataset_from_npz_bytes(raw, "mine.npz")
    error = caught.value
    assert error.code == "label_range" and error.params["high"] == "12"
    assert str(error) == "mine.npz：y_train：标签必须在 0–9 之间，实际为 0..12。"
    assert error.args[0] == "mine.npz: y_train: labels must lie in 0–9, found 0..12."
    copy = pickle.loads(pickle.dumps(error))  # as it comes back from a worker
    assert copy.code == "label_range" and str(copy) == str(error)


def test_an_upload_without_a_name_is_called_the_uploaded_npz_in_chinese(zh):
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as archive:
        archive.writestr("x_train.npy", b"")
    with pytest.raises(DataError) as caught:
        load_npz(raw.getvalue())
    assert caught.value.code == "npz_missing"
    assert str(caught.value).startswith("上传的 .npz 缺少数组 y_train, x_test, y_test")


def test_idx_files_missing_are_named_in_chinese(zh):
    with pytest.raises(DataError) as caught:
        dataset_from_idx_files({"train-images-idx3-ubyte": b"x"})
    assert caught.value.code == "idx_missing"
    assert str(caught.value).startswith("上传的 IDX 文件：缺少训练标签, 测试图像, 测试标签的 IDX 文件")


def test_the_data_source_and_its_subset_are_said_in_the_readers_language(zh):
    arrays = {"x_train": np.zeros((20, 28, 28), np.uint8), "y_train": np.arange(20) % 10,
              "x_test": np.zeros((10, 28, 28), np.uint8), "y_test": np.arange(10)}
    dataset = dataset_from_npz_bytes(_npz(**arrays), "mine.npz")
    assert str(dataset.source) == "自定义数据，20 训练 / 10 测试，来自mine.npz"
    assert str(dataset.title) == "自定义数据"
    subset = dataset.subset_train(10, seed=3)
    assert str(subset.source) == "自定义数据，20 训练 / 10 测试，来自mine.npz；10 张的训练子集（随机种子 3）"
    i18n.set_language_source(None)
    assert str(subset.source) == "Custom data, 20 train / 10 test from mine.npz; training subset of 10 (seed 3)"


def test_fashion_class_names_are_marked_for_the_catalog(zh):
    assert [i18n.tr(name) for name in CLASS_NAMES["fashion_mnist"]][:3] == ["T 恤/上衣", "裤子", "套头衫"]


def test_training_curves_built_under_chinese_have_chinese_words(zh):
    history = {"loss": [0.9, 0.5, 0.4], "val_loss": [0.8, 0.6, 0.7],
               "partial_epoch": {"epoch": 4, "batches": 3, "of": 10, "loss": 0.35}}
    figure = charts.history_chart(history, "loss")
    texts = [figure.layout.title.text, figure.layout.xaxis.title.text, charts.y_title(figure),
             *(trace.name for trace in figure.data)]
    assert texts[:3] == ["损失", "轮（epoch）", "交叉熵 · 越低越好"]  # the y axis says what the numbers are
    assert texts[3:5] == ["训练集", "验证集"]
    for text in texts:
        assert CJK.search(text) and not _english_words(text), text


@pytest.mark.parametrize("build", [
    lambda: charts.class_counts_chart([5] * 10, [2] * 10, CLASS_NAMES["fashion_mnist"]),
    lambda: charts.confusion_chart(np.eye(10, dtype=int) * 3, DIGITS),
    lambda: charts.intensity_histogram(np.zeros((3, 28, 28), np.uint8)),
    lambda: charts.overlay_chart({"mlp_relu_adam": {"accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]}},
                                 "accuracy"),
    lambda: charts.probability_bars([0.1] * 10, DIGITS),
    lambda: charts_inside.units_chart(np.arange(8.0)),
    lambda: charts_inside.maps_chart(np.zeros((4, 5, 5)), "filter"),
    lambda: charts_inside.embedding_chart(np.zeros((4, 2)), np.array([0, 1, 2, 3]), np.array([0, 1, 3, 3]),
                                          DIGITS, "t-SNE"),
    lambda: charts_inside.confusion_difference_chart(np.eye(10, dtype=int), DIGITS, "B − A"),
])
def test_every_chart_speaks_chinese(zh, build):
    figure = build().to_plotly_json()
    layout = figure["layout"]
    texts = [(layout.get("title") or {}).get("text")]
    texts += [((layout.get("xaxis") or {}).get("title") or {}).get("text"), charts.y_title(figure)]
    for trace in figure["data"]:
        texts += [trace.get("name"), trace.get("hovertemplate")]
        texts += [t for t in (trace.get("text") or []) if isinstance(t, str)]
        texts.append((((trace.get("marker") or {}).get("colorbar") or {}).get("title") or {}).get("text"))
    texts = [t for t in texts if t and t not in ("mlp_relu_adam", "t-SNE", "B − A")]
    assert any(CJK.search(t) for t in texts)
    english = {t: _english_words(t.replace("mlp_relu_adam", "")) for t in texts}
    assert not {t: w for t, w in english.items() if w}


def test_drawing_problems_and_unreadable_drawings_are_said_in_chinese(zh):
    dot = np.zeros((100, 100), np.uint8)
    dot[48:53, 48:53] = 255
    assert drawing_problem(dot) == "这只是一个点，还不是数字：请把数字画大一些，占满画板的大部分。"
    with pytest.raises(DrawingError) as caught:
        ink_map(np.zeros((4, 4, 7)))
    assert caught.value.code == "drawing_not_image" and isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("手写图像必须是灰度")


def test_store_refusals_and_problems_are_said_in_chinese(zh, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    with pytest.raises(StoreError) as caught:
        store.delete(7, by="ann")
    assert caught.value.code == "run_missing" and str(caught.value) == "训练记录 7 不在存储中（已经删除了？）。"
    bobs = store.add(name="m", dataset="mnist", source="s", spec_json="{}", history={}, seconds=1.0, epochs_done=1,
                     status="done", cache_key="k", model_bytes=None, owner="bob")
    with pytest.raises(StoreError) as caught:
        store.delete(bobs, by="ann")
    assert caught.value.code == "not_owner"
    assert str(caught.value) == f"训练记录 {bobs}属于 bob：只有 bob 或老师可以删除。"
    with pytest.raises(StoreError) as caught:
        store.clear(teacher=False)
    assert caught.value.code == "teacher_only" and str(caught.value) == "只有老师可以清空全班的训练记录。"
