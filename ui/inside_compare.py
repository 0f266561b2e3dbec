"""Experiments: two runs side by side — what differs in their specs, curves, per-class results."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mnistlab.data.dataset import DATASET_NAMES, Dataset
from mnistlab.errors import MnistlabError
from mnistlab.i18n import N_, _, n_, tr
from mnistlab.insight.charts import overlay_chart
from mnistlab.insight.charts_inside import accuracy_change_chart, confusion_difference_chart
from mnistlab.insight.compare import Difference, accuracy_change, confusion_difference, spec_differences
from mnistlab.model.naming import model_title, run_dataset_title
from mnistlab.store.runs import Run
from ui.progress import record
from ui.resources import shared_dataset, shared_store

SETTING_TITLES = {  # compare.SETTINGS as the table names them
    "optimizer": N_("optimizer"), "learning_rate": N_("learning rate"), "momentum": N_("momentum"),
    "nesterov": N_("Nesterov"), "decay": N_("learning-rate decay"), "batch_size": N_("batch size"),
    "epochs": N_("epochs"), "validation_split": N_("validation split"), "train_size": N_("training subset"),
    "seed": N_("random seed"),
}


def _what(difference: Difference) -> str:
    if difference.layer is not None:
        return _("layer {number}", number=difference.layer)
    if difference.setting in SETTING_TITLES:
        return tr(SETTING_TITLES[difference.setting])
    return difference.what


@st.cache_resource(max_entries=16, show_spinner=False)
def run_evaluation(run_id: int, cache_key: str, _dataset: Dataset, fingerprint: str):
    """A stored run's model on its test set, once per run (the model is loaded once too)."""
    from mnistlab.insight.evaluate import evaluate

    return evaluate(shared_store().load_model(run_id), _dataset)


def _label(run: Run) -> str:
    return n_("{id}: {name} ({dataset}, {n} epoch)", "{id}: {name} ({dataset}, {n} epochs)", run.epochs_done,
              id=run.id, name=model_title(run.name), dataset=run_dataset_title(run.dataset, run.source))


def _results(run_a: Run, run_b: Run) -> None:
    if run_a.dataset != run_b.dataset:
        st.info(_("Run {a} learned {dataset_a} and run {b} {dataset_b}: their per-class results cannot be compared.",
                  a=run_a.id, dataset_a=run_dataset_title(run_a.dataset, run_a.source), b=run_b.id,
                  dataset_b=run_dataset_title(run_b.dataset, run_b.source)))
        return
    if not (run_a.has_model and run_b.has_model) or run_a.dataset not in DATASET_NAMES:
        st.info(_("Per-class results need both runs' models and their dataset (MNIST or Fashion-MNIST)."))
        return
    try:
        dataset = shared_dataset(run_a.dataset)
        with st.spinner(_("Evaluating both models on the test set…")):
            ev_a = run_evaluation(run_a.id, run_a.cache_key, dataset, dataset.fingerprint)
            ev_b = run_evaluation(run_b.id, run_b.cache_key, dataset, dataset.fingerprint)
    except MnistlabError as exc:
        st.error(str(exc))
        return
    st.markdown(_("Test accuracy: run A **{a:.2%}**, run B **{b:.2%}** ({change:+.2f} points).", a=ev_a.accuracy,
                  b=ev_b.accuracy, change=100 * (ev_b.accuracy - ev_a.accuracy)))
    left, right = st.columns(2)
    left.plotly_chart(accuracy_change_chart(accuracy_change(ev_a, ev_b), ev_a.class_names,
                                            _("Per-class accuracy, B − A")),
                      key="compare_classes", width="stretch", config={"displayModeBar": False})
    right.plotly_chart(confusion_difference_chart(confusion_difference(ev_a, ev_b), ev_a.class_names,
                                                  _("Confusion matrix, B − A")),
                       key="compare_confusion", width="stretch", config={"displayModeBar": False})
    st.caption(_("The bars: how much better (blue) or worse (red) B recognises each class. The matrix: B's counts "
                 "minus A's; blue squares are better for B (more right answers on the diagonal, fewer of a mistake "
                 "elsewhere), red ones worse."))


def compare_two_runs(runs: list[Run]) -> None:
    """Choose two runs → their spec differences, curves overlaid, per-class change, confusion difference."""
    st.subheader(_("Two runs side by side"))
    if len(runs) < 2:
        st.caption(_("With two runs stored, they can be compared here."))
        return
    by_id = {run.id: run for run in runs}
    ids = list(by_id)
    a_col, b_col = st.columns(2)
    a = a_col.selectbox(_("Run A"), ids, index=None, key="compare_a", format_func=lambda i: _label(by_id[i]),
                        placeholder=_("Choose a run"))
    b = b_col.selectbox(_("Run B"), ids, index=None, key="compare_b", format_func=lambda i: _label(by_id[i]),
                        placeholder=_("Choose another run"))
    if a is None or b is None or a == b:
        st.caption(_("Choose two different runs to see how their models and results differ."))
        return
    run_a, run_b = by_id[a], by_id[b]
    record("runs_compared")
    differences = spec_differences(run_a.spec_dict, run_b.spec_dict)
    if differences:
        column_a, column_b = _("A (run {id})", id=a), _("B (run {id})", id=b)
        st.dataframe(pd.DataFrame([{"": _what(d), column_a: d.a, column_b: d.b} for d in differences]),
                     hide_index=True, key="compare_spec", width="content")
        st.caption(_("The table: only the layers and settings in which the two runs differ."))
    else:
        st.caption(_("The same model and settings (the runs may still differ by data or by when they stopped)."))
    histories = {f"A {run_a.id}": run_a.history, f"B {run_b.id}": run_b.history}
    if run_a.history and run_b.history:
        left, right = st.columns(2)
        left.plotly_chart(overlay_chart(histories, "loss"), width="stretch", key="compare_loss")
        right.plotly_chart(overlay_chart(histories, "accuracy"), width="stretch", key="compare_accuracy")
        st.caption(_("The curves: both runs' loss and accuracy after each epoch, one colour a run; solid lines on "
                     "the training data, dashed on the validation data."))
    _results(run_a, run_b)
