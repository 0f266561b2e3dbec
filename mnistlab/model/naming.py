"""How a model and its data are named for a reader: the preset's title and the dataset's own name,
never a code name (`mlp_relu_adam_modified`, `mnist`). Each returns a `Message`, said in the reader's
language when shown (`str()`), so a label made once reads right after a language switch."""

from __future__ import annotations

from mnistlab.data.dataset import DATASET_NAMES
from mnistlab.i18n import L_, Ln_, Message
from mnistlab.model.presets import PRESETS

MODIFIED_SUFFIX = "_modified"  # the builder's name for a preset the student changed (ui/builder.py)
SAMPLE_SOURCE_PREFIX = "MNIST sample"  # how a stored run's `source` (its English) starts for the offline sample


def model_title(name: str) -> str | Message:
    """A spec's `name` as the reader says it: "MLP, relu, Adam", "MLP, relu, Adam (modified)",
    "your own model"; a name that is no preset's (a file, an old run) as it is."""
    preset = PRESETS.get(name)
    if preset is not None:
        return Message(preset.short or preset.title)  # marked with N_ in presets.py
    base = name.removesuffix(MODIFIED_SUFFIX)
    if base != name and base in PRESETS:
        return L_("{model} (modified)", model=model_title(base))
    if name in ("", "custom"):
        return L_("your own model")
    return name


def dataset_title(name: str, is_sample: bool = False) -> str | Message:
    """A dataset's own name: "MNIST", "Fashion-MNIST", "MNIST sample" (the offline one) or "Uploaded data"."""
    if is_sample:
        return L_("MNIST sample")
    return DATASET_NAMES.get(name) or L_("Uploaded data")


def run_dataset_title(dataset: str, source: str) -> str | Message:
    """A stored run's dataset: the run keeps the data's name and the English of where it came from."""
    return dataset_title(dataset, is_sample=dataset == "mnist" and source.startswith(SAMPLE_SOURCE_PREFIX))


def trained_model_label(name: str, epochs: int, dataset: str | Message) -> Message:
    """"MLP, relu, Adam (modified), trained 4 epochs on MNIST": what a trained model is called
    wherever it is named (Evaluate, Inside, Draw, the sidebar)."""
    return Ln_("{model}, trained {n} epoch on {dataset}", "{model}, trained {n} epochs on {dataset}", epochs,
               model=model_title(name), dataset=dataset)


def run_model_label(run_id: int, name: str, epochs: int, dataset: str | Message) -> Message:
    """A stored run's model: "run 3: MLP, relu, Adam, trained 4 epochs on MNIST"."""
    return L_("run {id}: {label}", id=run_id, label=trained_model_label(name, epochs, dataset))
