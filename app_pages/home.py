"""Home: what mnistlab is, the data in numbers, a 10×10 sample grid, where to go next."""

import streamlit as st

from mnistlab.i18n import N_, _, tr
from mnistlab.insight.charts import class_labels, sample_grid
from ui.guards import current_dataset
from ui.session import dataset_name
from ui.sidebar import dataset_title

PER_CLASS = 10
PAGES = [  # (page, label, icon, what it is for), said with tr() where shown; the icons are app.py's
    ("app_pages/dataset.py", N_("Dataset"), ":material/grid_view:",
     N_("Look at the images as numbers: classes, pixels, averages, and how they are prepared for a network.")),
    ("app_pages/train.py", N_("Train"), ":material/model_training:",
     N_("Build a model in the sidebar (or start from a tutorial preset) and watch it learn, epoch by epoch.")),
    ("app_pages/evaluate.py", N_("Evaluate"), ":material/search:",
     N_("See which test images your model gets wrong, and what it confuses them with.")),
    ("app_pages/draw.py", N_("Draw"), ":material/draw:",
     N_("Draw a digit with the mouse and see what your model thinks it is.")),
]


def page_links() -> None:
    st.header(_("Where to go next"))
    for page, label, icon, purpose in PAGES:
        link, text = st.columns([1, 5], vertical_alignment="center")
        link.page_link(page, label=tr(label), icon=icon)
        text.write(tr(purpose))


def main() -> None:
    st.title(":material/pin: mnistlab")
    st.write(_(
        "mnistlab is a hands-on lab for learning deep learning with Keras on MNIST, the classic "
        "collection of small handwritten digits. You look at the images as the computer sees them "
        "(grids of numbers), build a neural network layer by layer in the sidebar — or start from one "
        "of the well-known Keras tutorials — train it and watch its loss and accuracy change, find the "
        "digits it gets wrong, and finally draw your own digits for it to read. Nothing to install "
        "and no code to write, but every model can be exported as a plain Keras script."
    ))

    dataset = current_dataset()
    if dataset is None:
        page_links()
        st.stop()

    st.header(_("{dataset} in numbers", dataset=dataset_title(dataset_name())))
    cols = st.columns(4)
    cols[0].metric(_("Training images"), f"{len(dataset.y_train):,}", border=True)
    cols[1].metric(_("Test images"), f"{len(dataset.y_test):,}", border=True)
    cols[2].metric(_("Classes"), len(dataset.class_names), border=True)
    cols[3].metric(_("Image size"), "28×28", help=_("784 pixels, each a gray level from 0 to 255"), border=True)
    st.caption(_("A model learns from the training images only; the test images are kept apart to measure, "
                 "at the end, how well it does on digits it has never seen."))
    st.markdown(_("**Data source:** {source}", source=str(dataset.source)))
    if dataset.is_sample:
        st.info(
            _("This is the offline **5,000-digit sample** of MNIST (real digits, 500 of each), so the app "
              "works without internet. For the full 60,000 + 10,000 digits: run the app once while "
              "online (it downloads MNIST into `~/.keras/datasets`), or run "
              "`python -m mnistlab train …` on a machine that is online, or upload an `mnist.npz` "
              "on the Dataset page."),
            icon=":material/info:",
        )

    st.header(_("Ten examples of each class"))
    names = dataset.class_names
    if names[:3] == ("0", "1", "2"):
        caption = _("The first {n} training images of each class — one row per digit, 0 at the top to 9 at the "
                    "bottom.", n=PER_CLASS)
    else:
        caption = _("The first {n} training images of each class — one row per class, top to bottom: {names}.",
                    n=PER_CLASS, names=_(", ").join(class_labels(names)))
    st.image(sample_grid(dataset.x_train, dataset.y_train, PER_CLASS), caption=caption)

    page_links()


main()
