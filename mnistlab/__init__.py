"""mnistlab: learn deep learning on MNIST with Keras — the Streamlit-free core.

The public names load their module on first use (PEP 562), so `import mnistlab` is
instant and nothing imports TensorFlow until a function that needs it is called.
"""

from importlib import import_module
from typing import TYPE_CHECKING

_WHERE = {
    "build_model": "build",
    "to_mnist": "canvas",
    "to_keras_script": "codegen",
    "Dataset": "data",
    "load_dataset": "data",
    "DataError": "errors",
    "MnistlabError": "errors",
    "ModelFileError": "errors",
    "SpecError": "errors",
    "Evaluation": "evaluate",
    "evaluate": "evaluate",
    "predict_digit": "evaluate",
    "PRESETS": "presets",
    "Preset": "presets",
    "LayerSpec": "spec",
    "ModelSpec": "spec",
    "layer_table": "spec",
    "output_shapes": "spec",
    "param_count": "spec",
    "Progress": "train",
    "TrainResult": "train",
    "train": "train",
}
__all__ = [
    "DataError",
    "Dataset",
    "Evaluation",
    "LayerSpec",
    "MnistlabError",
    "ModelFileError",
    "ModelSpec",
    "PRESETS",
    "Preset",
    "Progress",
    "SpecError",
    "TrainResult",
    "build_model",
    "evaluate",
    "layer_table",
    "load_dataset",
    "output_shapes",
    "param_count",
    "predict_digit",
    "to_keras_script",
    "to_mnist",
    "train",
]

if TYPE_CHECKING:
    from mnistlab.build import build_model
    from mnistlab.canvas import to_mnist
    from mnistlab.codegen import to_keras_script
    from mnistlab.data import Dataset, load_dataset
    from mnistlab.errors import DataError, MnistlabError, ModelFileError, SpecError
    from mnistlab.evaluate import Evaluation, evaluate, predict_digit
    from mnistlab.presets import PRESETS, Preset
    from mnistlab.spec import LayerSpec, ModelSpec, layer_table, output_shapes, param_count
    from mnistlab.train import Progress, TrainResult, train


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'mnistlab' has no attribute {name!r}")
    value = getattr(import_module(f"mnistlab.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
