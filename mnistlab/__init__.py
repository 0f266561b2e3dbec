"""mnistlab: learn deep learning on MNIST with Keras — the Streamlit-free core.

The public names load their module on first use (PEP 562), so `import mnistlab` is
instant and nothing imports TensorFlow until a function that needs it is called.
"""

import os
from importlib import import_module
from typing import TYPE_CHECKING

# TensorFlow's C++ logs go to the server's terminal, never to a student. Set here, before any
# TensorFlow import: every one is lazy, inside a function of this package, so this line runs first.
# 3 keeps fatal ones only: on ordinary use the rest are noise (the CPU features it was built for;
# tf.data's harmless "E0000 … MapDataset … use_unbounded_threadpool", logged as an error when op
# determinism rewrites Keras's input pipeline, see mnistlab/engine/worker.py), and every real
# failure also raises a Python exception. A value the user set wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_WHERE = {
    "build_model": "model.build",
    "to_mnist": "data.preprocess",
    "to_keras_script": "model.script",
    "Dataset": "data.dataset",
    "load_dataset": "data.load",
    "DataError": "errors",
    "MnistlabError": "errors",
    "ModelFileError": "errors",
    "SpecError": "errors",
    "Evaluation": "insight.evaluate",
    "evaluate": "insight.evaluate",
    "predict_digit": "insight.evaluate",
    "PRESETS": "model.presets",
    "Preset": "model.presets",
    "LayerSpec": "model.spec",
    "ModelSpec": "model.spec",
    "layer_table": "model.spec",
    "output_shapes": "model.spec",
    "param_count": "model.spec",
    "Progress": "engine.result",
    "TrainResult": "engine.result",
    "train": "engine.train",
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
    from mnistlab.data.dataset import Dataset
    from mnistlab.data.load import load_dataset
    from mnistlab.data.preprocess import to_mnist
    from mnistlab.engine.result import Progress, TrainResult
    from mnistlab.engine.train import train
    from mnistlab.errors import DataError, MnistlabError, ModelFileError, SpecError
    from mnistlab.insight.evaluate import Evaluation, evaluate, predict_digit
    from mnistlab.model.build import build_model
    from mnistlab.model.presets import PRESETS, Preset
    from mnistlab.model.script import to_keras_script
    from mnistlab.model.spec import LayerSpec, ModelSpec, layer_table, output_shapes, param_count


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'mnistlab' has no attribute {name!r}")
    value = getattr(import_module(f"mnistlab.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
