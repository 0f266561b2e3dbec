"""mnistlab: learn deep learning on MNIST with Keras — the Streamlit-free core.

Nothing here imports TensorFlow until a function that needs it is called.
"""

from mnistlab.build import build_model
from mnistlab.canvas import to_mnist
from mnistlab.codegen import to_keras_script
from mnistlab.data import Dataset, load_dataset
from mnistlab.errors import DataError, MnistlabError, ModelFileError, SpecError
from mnistlab.evaluate import Evaluation, evaluate, predict_digit
from mnistlab.presets import PRESETS, Preset
from mnistlab.spec import LayerSpec, ModelSpec, layer_table, output_shapes, param_count
from mnistlab.train import Progress, TrainResult, train

__all__ = [
    "PRESETS",
    "DataError",
    "Dataset",
    "Evaluation",
    "LayerSpec",
    "MnistlabError",
    "ModelFileError",
    "ModelSpec",
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
