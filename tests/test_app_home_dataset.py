"""The Home and Dataset pages, driven through AppTest as a student would use them.

MNISTLAB_OFFLINE=1 (set in conftest.py) makes MNIST the embedded 5,000-digit sample:
4,000 training images, 400 of each digit.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from apptest import APP, ROOT, open_app
from helpers import idx_bytes, npz_bytes
from streamlit.testing.v1 import AppTest

from mnistlab.data.formats import IDX_FILES
from mnistlab.data.sources import DEBIAN_FASHION_DIR
from ui.session import UPLOADED_KEY


def open_page(page: str | None = None) -> AppTest:
    return open_app(page, timeout=60)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def gallery_captions(at: AppTest) -> list[str]:
    (gallery,) = [image for image in at.get("image") if len(image.captions) > 1]
    return gallery.captions


def tables(at: AppTest) -> dict[str, pd.DataFrame | np.ndarray | list]:
    """The page's tables by what they show: class counts, a window of the example's
    flattened and scaled vector (row 14, columns 7–20: positions 399–412), its one-hot label."""
    frames = [frame.value for frame in at.main.dataframe]
    counts, flat, scaled, one_hot = frames  # in page order
    assert list(flat.columns) == [str(i) for i in range(399, 413)] == list(scaled.columns)
    return {"counts": counts, "flat": flat.iloc[0].to_numpy(), "scaled": scaled.iloc[0].to_numpy(),
            "one_hot": list(one_hot.iloc[0])}


def test_home_shows_the_sample_in_numbers_with_a_grid_and_links():
    at = open_page()
    assert metric(at, "Training images") == "4,000"
    assert metric(at, "Test images") == "1,000"
    assert metric(at, "Classes") == "10"
    assert metric(at, "Image size") == "28×28"
    assert any("5,000-digit sample" in info.value for info in at.info)
    assert any("MNIST sample" in md.value for md in at.markdown)
    assert len(at.main.get("image")) == 1  # the 10×10 grid is one picture
    assert [link.proto.label for link in at.get("page_link")] == ["Dataset", "Train", "Evaluate", "Draw"]


def test_dataset_page_counts_400_per_class_in_training():
    at = open_page("app_pages/dataset.py")
    counts = tables(at)["counts"]
    assert list(counts["training"]) == [400] * 10
    assert list(counts["test"]) == [100] * 10
    assert any("MNIST sample" in md.value for md in at.markdown)
    assert len(gallery_captions(at)) == 40


def test_gallery_filtered_to_one_class_shows_only_that_class_and_pages_through_it(sample):
    at = open_page("app_pages/dataset.py")
    at.selectbox(key="gallery_class").set_value(3).run()
    assert not at.exception
    first_page = gallery_captions(at)
    threes = np.flatnonzero(sample.y_train == 3)
    assert first_page == [f"3 · #{i}" for i in threes[:40]]
    # The example below the gallery starts at the first 3 as well.
    assert at.number_input(key="example_index").value == threes[0]
    assert tables(at)["one_hot"] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]

    at.number_input(key="gallery_page").set_value(2).run()
    assert not at.exception
    second_page = gallery_captions(at)
    assert second_page == [f"3 · #{i}" for i in threes[40:80]]
    assert not set(first_page) & set(second_page)

    at.selectbox(key="gallery_class").set_value(5).run()  # another class starts again at page 1
    assert at.number_input(key="gallery_page").value == 1
    assert gallery_captions(at)[0] == f"5 · #{np.flatnonzero(sample.y_train == 5)[0]}"


def test_choosing_another_image_updates_the_preprocessing(sample):
    at = open_page("app_pages/dataset.py")
    at.number_input(key="example_index").set_value(5).run()
    assert not at.exception
    label = int(sample.y_train[5])
    shown = tables(at)
    assert shown["one_hot"] == [int(c == label) for c in range(10)]
    np.testing.assert_array_equal(shown["flat"], sample.x_train[5][14, 7:21])
    np.testing.assert_allclose(shown["scaled"], sample.x_train[5][14, 7:21] / 255, atol=5e-4)


@pytest.mark.skipif(not DEBIAN_FASHION_DIR.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_choosing_fashion_mnist_shows_the_full_set():
    at = open_page()
    at.sidebar.radio(key="dataset_name").set_value("fashion_mnist").run()
    assert not at.exception
    assert metric(at, "Training images") == "60,000"
    assert metric(at, "Test images") == "10,000"

    at.switch_page("app_pages/dataset.py").run()
    assert not at.exception
    assert list(tables(at)["counts"]["training"]) == [6000] * 10
    at.selectbox(key="gallery_class").set_value(1).run()
    assert all(caption.startswith("Trouser · #") for caption in gallery_captions(at))


def test_a_bad_upload_shows_an_error_and_keeps_everything_else():
    at = open_page("app_pages/dataset.py")
    at.file_uploader(key="upload_files").set_value(("mnist.npz", b"not a zip file", "application/zip")).run()
    assert not at.exception
    assert any("mnist.npz" in error.value for error in at.error)
    assert UPLOADED_KEY not in at.session_state
    assert at.sidebar.radio(key="dataset_name").options == ["MNIST", "Fashion-MNIST"]
    assert list(tables(at)["counts"]["training"]) == [400] * 10  # the page still works


def test_incomplete_idx_upload_names_what_is_missing(sample):
    at = open_page("app_pages/dataset.py")
    at.file_uploader(key="upload_files").set_value(
        [("train-images-idx3-ubyte.gz", idx_bytes(sample.x_train[:20]), "application/gzip")]).run()
    assert not at.exception
    assert any("missing" in error.value and "test images" in error.value for error in at.error)


def test_an_uploaded_npz_becomes_a_choice_in_the_sidebar(sample):
    at = open_page("app_pages/dataset.py")
    at.file_uploader(key="upload_files").set_value(("mine.npz", npz_bytes(sample), "application/zip")).run()
    assert not at.exception
    assert any("Uploaded data" in success.value for success in at.success)
    radio = at.sidebar.radio(key="dataset_name")
    assert radio.options == ["MNIST", "Fashion-MNIST", "Uploaded data"]
    radio.set_value("custom").run()
    assert not at.exception
    assert list(tables(at)["counts"]["training"]) == list(np.bincount(sample.y_train[:200], minlength=10))

    # A bad file afterwards is refused and the good upload stays in use.
    at.file_uploader(key="upload_files").set_value(("broken.npz", b"PK\x03\x04junk", "application/zip")).run()
    assert not at.exception
    assert any("broken.npz" in error.value for error in at.error)
    assert at.sidebar.radio(key="dataset_name").value == "custom"
    assert sum(tables(at)["counts"]["training"]) == 200


def test_the_four_idx_files_can_be_uploaded(sample):
    arrays = {("train", "images"): sample.x_train[:100], ("train", "labels"): sample.y_train[:100],
              ("test", "images"): sample.x_test[:30], ("test", "labels"): sample.y_test[:30]}
    files = [(IDX_FILES[role], idx_bytes(array), "application/gzip") for role, array in arrays.items()]
    at = open_page("app_pages/dataset.py")
    at.file_uploader(key="upload_files").set_value(files).run()
    assert not at.exception
    assert any("100 train / 30 test" in success.value for success in at.success)
    at.sidebar.radio(key="dataset_name").set_value("custom").run()
    at.switch_page("app_pages/home.py").run()
    assert not at.exception
    assert metric(at, "Training images") == "100"
    assert metric(at, "Test images") == "30"


def test_home_and_dataset_pages_never_import_tensorflow():
    code = textwrap.dedent(f"""
        import sys
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({APP!r}, default_timeout=60)
        at.run()
        at.switch_page("app_pages/dataset.py")
        at.run()
        at.selectbox(key="gallery_class").set_value(2).run()
        assert not at.exception, at.exception
        print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "MNISTLAB_OFFLINE": "1"}, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
