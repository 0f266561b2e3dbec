"""AppTest: Home and Dataset in Chinese (`?lang=zh`) leave no English in the page's own area, for
MNIST, Fashion-MNIST and an upload; the active model's label is a whole sentence in either language."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from apptest import APP
from english import english_left, english_words
from helpers import idx_bytes, npz_bytes
from streamlit.testing.v1 import AppTest

from mnistlab import i18n
from mnistlab.data.sources import DEBIAN_FASHION_DIR
from mnistlab.model.naming import trained_model_label

HOME, DATASET = "app_pages/home.py", "app_pages/dataset.py"
DEBIAN_NAMES = ("Debian", "dataset-fashion-mnist", str(DEBIAN_FASHION_DIR))  # where Fashion-MNIST comes from: names


@pytest.fixture(autouse=True)
def chinese_outside_the_script():
    """AppTest calls a widget's format_func again in the test, outside the script's run, where the
    session's language is unknown (English): there it must be Chinese too, or a Chinese option is
    not found on the next run. The app's own runs keep their source."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    import ui.lang  # noqa: F401 (installs the session's source)

    previous = i18n._language_source
    i18n.set_language_source(lambda: previous() if get_script_run_ctx(suppress_warning=True) else "zh")
    yield
    i18n.set_language_source(previous)


def open_zh(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def left(at: AppTest, *names: str) -> list[str]:
    """English left in the page's own area (the sidebar has its own test), names (a package, a path) aside."""
    def without_names(text: str) -> str:
        for name in names:
            text = text.replace(name, " ")
        return text

    return [t for t in english_left(SimpleNamespace(_tree=at.main)) if english_words(without_names(t))]


def test_home_in_chinese():
    at = open_zh(HOME)
    assert [m.label for m in at.main.metric] == ["训练图像", "测试图像", "类别数", "图像大小"]
    assert any("5,000 个数字的 MNIST 样本" in info.value for info in at.info)
    assert [link.proto.label for link in at.get("page_link")] == ["数据集", "训练", "评估", "手写识别"]
    # Material icons, as the navigation's: emoji are empty boxes in a browser without an emoji font.
    assert all(link.proto.icon.startswith(":material/") for link in at.get("page_link"))
    assert any(c.value.startswith("模型只从训练集") for c in at.caption)
    assert left(at) == []


def test_dataset_in_chinese_with_a_class_chosen_and_a_linear_histogram():
    at = open_zh(DATASET)
    assert at.title[0].value == "数据集：MNIST"
    counts = at.main.dataframe[0].value
    assert list(counts.columns) == ["类别", "训练集", "测试集"]
    assert sum(c.value.startswith("图中是：") for c in at.caption) == 8  # 5 charts, 3 steps
    assert left(at) == []
    at.selectbox(key="gallery_class").set_value(3).run()
    assert any("类别 3 的" in c.value for c in at.caption)
    at.toggle(key="histogram_log").set_value(False).run()
    assert not at.exception
    assert left(at) == []


@pytest.mark.skipif(not DEBIAN_FASHION_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_in_chinese_on_home_and_dataset():
    at = open_zh(HOME)
    at.sidebar.radio(key="dataset_name").set_value("fashion_mnist").run()
    assert at.main.metric[0].value == "60,000"
    caption = at.get("image")[0].proto.imgs[0].caption
    assert "裤子" in caption, caption  # the class names, in Chinese
    assert left(at, *DEBIAN_NAMES) == []
    at.switch_page(DATASET).run()
    assert not at.exception
    one_hot = at.main.dataframe[-1].value
    assert "Trouser" not in one_hot.columns and len(one_hot.columns) == 10
    at.selectbox(key="gallery_class").set_value(1).run()
    assert left(at, *DEBIAN_NAMES) == []


def test_uploads_said_in_chinese(sample):
    at = open_zh(DATASET)
    at.file_uploader(key="upload_files").set_value(
        [("mine.npz", npz_bytes(sample), "application/zip"),
         ("train-images-idx3-ubyte.gz", idx_bytes(sample.x_train[:20]), "application/gzip")]).run()
    assert [e.value[:7] for e in at.error] == ["请单独上传一个"]
    at.file_uploader(key="upload_files").set_value(("mine.npz", npz_bytes(sample), "application/zip")).run()
    assert any("上传的数据" in s.value for s in at.success), [s.value for s in at.success]
    assert left(at) == []
    at.sidebar.radio(key="dataset_name").set_value("custom").run()
    assert at.title[0].value == "数据集：上传的数据"
    assert left(at) == []


def test_the_trained_models_label_is_one_sentence_in_either_language():
    i18n.set_language_source(lambda: "en")
    one = trained_model_label("mlp_relu_adam", 1, i18n.L_("MNIST sample"))
    four = trained_model_label("mlp_relu_adam_modified", 4, "MNIST")
    assert (str(one), str(four)) == ("MLP, relu, Adam, trained 1 epoch on MNIST sample",
                                     "MLP, relu, Adam (modified), trained 4 epochs on MNIST")
    i18n.set_language_source(lambda: "zh")
    try:
        assert str(four) == "MLP，relu，Adam（已修改），在 MNIST 上训练了 4 轮"
        assert i18n._("Model: **{label}**", label=one).endswith("MLP，relu，Adam，在 MNIST 样本 上训练了 1 轮**")
    finally:
        i18n.set_language_source(None)
