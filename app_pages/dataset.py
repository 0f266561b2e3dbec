"""Dataset: the images as numbers — class counts, a gallery, one image pixel by pixel,
class averages, pixel values, the preprocessing a network needs, and uploading your own."""

import numpy as np
import pandas as pd
import streamlit as st

from mnistlab.data.dataset import Dataset, one_hot, to_inputs
from mnistlab.data.sources import dataset_from_idx_files, dataset_from_npz_bytes
from mnistlab.data.stats import class_counts, mean_images
from mnistlab.errors import DataError
from mnistlab.i18n import N_, _, tr
from mnistlab.insight import charts
from mnistlab.insight.charts import class_labels
from ui.guards import current_dataset
from ui.session import DATASET_KEY, UPLOADED_KEY, dataset_name
from ui.sidebar import dataset_title
from ui.uploader import file_uploader

PER_PAGE = 40
ALL = -1
MAX_UPLOAD_MB = 64  # matches server.maxUploadSize in .streamlit/config.toml
UPLOAD_DONE_KEY = "upload_signature"  # which upload is already loaded, so a rerun does not parse it again
MIDDLE_ROW, MIDDLE_COLUMNS = 14, range(7, 21)  # a window of the vector mid-image, so not all zeros


def class_label(dataset: Dataset, c: int) -> str:
    return _("All classes") if c == ALL else tr(dataset.class_names[c])


def overview(dataset: Dataset) -> None:
    st.markdown(_("**Data source:** {source}", source=str(dataset.source)))
    st.code("\n".join(f"{key:8} {getattr(dataset, key).shape}  {getattr(dataset, key).dtype}"
                      for key in ("x_train", "y_train", "x_test", "y_test")), language=None)
    st.caption(_("The arrays after loading: `x` holds the images (count, 28 rows, 28 columns), "
                 "`y` the label of each image, a class number 0–9."))

    st.header(_("How many of each class"))
    train, test = class_counts(dataset.y_train), class_counts(dataset.y_test)
    chart, table = st.columns([3, 1])
    chart.plotly_chart(charts.class_counts_chart(train, test, dataset.class_names), key="class_counts_chart")
    table.dataframe(pd.DataFrame({_("class"): class_labels(dataset.class_names), _("training"): train,
                                  _("test"): test}), hide_index=True, key="class_counts_table")
    st.caption(_("What you see: for each class, how many images the training set and the test set hold "
                 "(blue bars: training, orange bars: test; the table gives the same numbers)."))
    if train.min() >= 0.8 * train.max():
        st.caption(_("Roughly balanced classes mean plain accuracy is a fair score: a model cannot do well "
                     "by always guessing the most common class."))
    else:
        st.caption(_("These classes are unbalanced, so accuracy alone can flatter a model that favours the "
                     "common ones: check the per-class recall on the Evaluate page."))


def gallery(dataset: Dataset) -> np.ndarray:
    """Training images of one class (or all), 40 a page; returns the filtered indices."""
    st.header(_("Gallery"))
    left, right = st.columns(2)
    chosen = left.selectbox(_("Class"), [ALL, *range(10)], format_func=lambda c: class_label(dataset, c),
                            key="gallery_class")
    indices = np.arange(len(dataset.y_train)) if chosen == ALL else np.flatnonzero(dataset.y_train == chosen)
    n_pages = max(1, -(-len(indices) // PER_PAGE))
    context = (dataset.source, len(dataset.y_train), chosen)
    if st.session_state.get("gallery_context") != context:  # another class or dataset: back to page 1
        st.session_state["gallery_context"] = context
        st.session_state["gallery_page"] = 1
    page = right.number_input(_("Page (of {pages:,})", pages=n_pages), min_value=1, max_value=n_pages, step=1,
                              key="gallery_page")
    shown = indices[(page - 1) * PER_PAGE:page * PER_PAGE]
    if len(shown) == 0:
        st.info(_("There are no training images of class {name}.", name=class_label(dataset, chosen)))
        return indices
    st.image([np.kron(dataset.x_train[i], np.ones((3, 3), np.uint8)) for i in shown], width=84,
             caption=[f"{tr(dataset.class_names[dataset.y_train[i]])} · #{i}" for i in shown])
    if chosen == ALL:
        st.caption(_("What you see: {n:,} training images, {per_page} a page, each with its label and its "
                     "index: #n is the image's index in `x_train`.", n=len(indices), per_page=PER_PAGE))
    else:
        st.caption(_("What you see: the {n:,} training images of class {name}, {per_page} a page; #n is the "
                     "image's index in `x_train`. See how differently the same class can be written.",
                     n=len(indices), name=class_label(dataset, chosen), per_page=PER_PAGE))
    return indices


def one_image(dataset: Dataset, indices: np.ndarray) -> int:
    """The chosen image beside its pixel values; returns its index."""
    st.header(_("One image, as the computer sees it"))
    # A new class filter (or dataset) starts at the first image of the filtered set.
    context = (dataset.source, len(dataset.y_train), st.session_state.get("gallery_class", ALL))
    if st.session_state.get("example_context") != context or "example_index" not in st.session_state:
        st.session_state["example_context"] = context
        st.session_state["example_index"] = int(indices[0]) if len(indices) else 0
    index = st.number_input(_("Image index in `x_train` (0–{last:,})", last=len(dataset.y_train) - 1), min_value=0,
                            max_value=len(dataset.y_train) - 1, step=1, key="example_index")
    image, label = dataset.x_train[index], int(dataset.y_train[index])
    name = tr(dataset.class_names[label])
    # Picture and text side by side, the matrix full width below: in a column beside the
    # picture its 784 numbers overlap on a 1024-px projector screen.
    picture, text = st.columns([1, 3], vertical_alignment="center")
    picture.image(np.kron(image, np.ones((7, 7), np.uint8)), caption=f"#{index}: {name}", width=196)
    grid = _("A computer sees it as a grid of 28×28 = 784 numbers, one per pixel, each a gray level: **0 is the "
             "black background, 255 the brightest ink**, and the values in between are shades of gray.")
    if name == str(label):
        text.write(_("Image #{index:,} has label **{label}**. {grid}", index=index, label=label, grid=grid))
    else:
        text.write(_("Image #{index:,} has label **{label}** ({name}). {grid}", index=index, label=label, name=name,
                     grid=grid))
    text.caption(_("The picture draws 0 black and 255 white, as MNIST is usually shown. The matrix below "
                   "turns that around (255 black) so that its numbers stay readable."))
    st.html(charts.pixel_matrix_html(image))
    st.caption(_("What you see: the same image as its 28 rows × 28 columns of numbers — exactly what the "
                 "network receives. Point at a square to read its row, column and value."))
    return index


def averages(dataset: Dataset) -> None:
    st.header(_("The average image of each class"))
    st.plotly_chart(charts.mean_images_chart(mean_images(dataset.x_train, dataset.y_train),
                                             dataset.class_names), key="mean_images_chart")
    st.caption(_("What you see: each panel averages every training image of that class, pixel by pixel: "
                 "bright where most images have ink. A network has to learn more than these blurry templates: "
                 "the same class comes in many shapes, slants and thicknesses."))

    st.header(_("Pixel values"))
    log_y = st.toggle(_("Logarithmic count axis"), value=True, key="histogram_log",
                      help=_("Without it the bar at 0 dwarfs everything else."))
    st.plotly_chart(charts.intensity_histogram(dataset.x_train, log_y=log_y), key="intensity_histogram")
    st.caption(_("What you see: how often each gray level 0–255 occurs among the pixels of the training "
                 "images. Most pixels are 0, the background: the tall bar on the left. In MNIST most of the ink "
                 "is at or near 255, with gray only along the edges of the strokes; Fashion-MNIST's "
                 "clothes use every shade."))


def preprocessing(dataset: Dataset, index: int) -> None:
    st.header(_("Preprocessing image #{index:,} for a network", index=index))
    image, label = dataset.x_train[index], int(dataset.y_train[index])
    positions = [MIDDLE_ROW * 28 + column for column in MIDDLE_COLUMNS]
    columns = [str(i) for i in positions]
    vector = image.reshape(784)  # what Flatten (or x.reshape(-1, 784)) does
    scaled = to_inputs(image).reshape(784)  # the app's own per-batch conversion

    st.subheader(_("1. Flatten: 28×28 → 784 numbers"))
    st.write(_("A Dense layer takes one flat list of numbers, so the 28 rows are laid end to end: row 0 "
               "becomes positions 0–27, row 1 positions 28–55, and so on, giving a vector of shape "
               "`{shape}`. Here are positions {first}–{last} — the middle of row {row}, columns "
               "{column_from}–{column_to}:", shape=vector.shape, first=positions[0], last=positions[-1],
               row=MIDDLE_ROW, column_from=MIDDLE_COLUMNS[0], column_to=MIDDLE_COLUMNS[-1]))
    st.dataframe(pd.DataFrame([vector[positions]], columns=columns), hide_index=True, key="prep_flat")
    st.caption(_("What you see: 14 of the 784 numbers; the column headers are positions in the flat vector."))

    st.subheader(_("2. Scale to [0, 1]: divide by 255"))
    st.write(_("Networks learn best from small numbers of similar size: with raw values up to 255 the "
               "first layer's sums start huge and training is slow or unstable. Dividing by 255 keeps "
               "every pixel between 0 and 1 (the same positions {first}–{last}):",
               first=positions[0], last=positions[-1]))
    st.dataframe(pd.DataFrame([scaled[positions]], columns=columns), hide_index=True, key="prep_scaled",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in columns})
    st.caption(_("What you see: the same 14 pixels after scaling to [0, 1]: 0 stays 0, 255 becomes 1, "
                 "and a gray 128 becomes about 0.5. The picture is unchanged; only the scale of its numbers is."))

    st.subheader(_("3. One-hot label: {label} → 10 numbers", label=label))
    st.write(_("One-hot encoding writes a label as 10 numbers, one per class: 1 for the right class, 0 for all "
               "others. The network answers with 10 probabilities, one per class (its softmax output), so the "
               "correct answer is written the same way, and the loss (cross-entropy, `categorical_crossentropy`) "
               "compares the two. It also stops the network from reading labels as amounts (class 8 is not "
               "\"twice\" class 4)."))
    st.dataframe(pd.DataFrame(one_hot(np.array([label])).astype(int), columns=class_labels(dataset.class_names)),
                 hide_index=True, key="prep_one_hot")
    st.caption(_("What you see: the label {label} of image #{index:,} as a one-hot row — the column headers "
                 "are the classes, and the single 1 is under {name}.", label=label, index=index,
                 name=tr(dataset.class_names[label])))
    st.code(  # the comments follow the reader's language, as in the exported script
        'x_train = x_train.reshape(-1, 784).astype("float32") / 255  # ' + _("flatten and scale") + "\n"
        "y_train = keras.utils.to_categorical(y_train, 10)  # " + _("one-hot labels"),
        language="python",
    )


def read_upload(files: list) -> Dataset:
    """One .npz or the four IDX files (gzipped or not) as a Dataset; DataError otherwise."""
    total = sum(f.size for f in files)
    if total > MAX_UPLOAD_MB * 1_000_000:
        raise DataError("upload_too_large", N_("The upload is {size:.0f} MB; the limit is {limit} MB in all."),
                        size=total / 1e6, limit=MAX_UPLOAD_MB)
    npz = [f for f in files if f.name.lower().endswith(".npz")]
    if npz and len(files) > 1:
        raise DataError("upload_npz_mixed", N_("Upload one .npz file on its own, or the four IDX files — not "
                                               "{files} together. Remove the ones you do not need with the × "
                                               "beside each file."), files=", ".join(f.name for f in files))
    if npz:
        return dataset_from_npz_bytes(npz[0].getvalue(), npz[0].name)
    return dataset_from_idx_files({f.name: f.getvalue() for f in files})


def upload() -> None:
    st.header(_("Use your own data"))
    st.write(_("Upload an `mnist.npz` in the Keras layout (`x_train`, `y_train`, `x_test`, `y_test`) or the "
               "four IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, "
               "`t10k-labels-idx1-ubyte`, gzipped or not), at most {limit} MB in all. Images must be "
               "28×28 gray levels and labels 0–9.", limit=MAX_UPLOAD_MB))
    files = file_uploader(_("Dataset files"), accept_multiple_files=True, key="upload_files")
    if not files:
        return
    signature = tuple(sorted((f.name, f.size, f.file_id) for f in files))
    if st.session_state.get(UPLOAD_DONE_KEY) != signature:
        try:
            dataset = read_upload(files)
        except DataError as error:
            st.error(str(error))  # the previous upload, if any, stays
            return
        st.session_state[UPLOADED_KEY] = dataset
        st.session_state[UPLOAD_DONE_KEY] = signature
        st.rerun()  # so the sidebar offers "Uploaded data"
    uploaded = st.session_state.get(UPLOADED_KEY)
    if uploaded is None:
        return
    if st.session_state.get(DATASET_KEY) == "custom":
        st.success(_("Showing your upload: {source}.", source=str(uploaded.source)))
    else:
        st.success(_("Loaded {source}. Choose **{uploaded}** under {dataset} in the sidebar to use it on every "
                     "page.", source=str(uploaded.source), uploaded=dataset_title("custom"), dataset=_("Dataset")))


def main() -> None:
    st.title(_("The dataset: {name}", name=dataset_title(dataset_name())))
    dataset = current_dataset()
    if dataset is None:
        upload()
        st.stop()
    overview(dataset)
    indices = gallery(dataset)
    index = one_image(dataset, indices)
    averages(dataset)
    preprocessing(dataset, index)
    upload()


main()
