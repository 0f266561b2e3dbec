"""TensorFlow's "retracing" warning, kept for the functions it is right about.

mnistlab compiles a few functions per model, once each (Keras's train and test steps at every
`fit`, the predictor, the Inside page's functions), with a fixed input signature so that new images
never retrace. TensorFlow's detector counts together every function made from the same code, so a
class going through a few models in one process looks to it like one function retraced in a loop,
and it prints a warning on the server's terminal (issue 18 item 9). This filter drops the warning
for those per-model functions only; any other function's warning still shows.
"""

from __future__ import annotations

import logging

PER_MODEL = ("TensorFlowTrainer._make_function.", "_predictor.<locals>.", "_Inspector.__init__.<locals>.")


class _PerModelTraces(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "tf.function retracing" not in message or not any(name in message for name in PER_MODEL)


_FILTER = _PerModelTraces()


def quiet_per_model_traces() -> None:
    """Install the filter on TensorFlow's logger (a logger holds a filter once: call it freely)."""
    logging.getLogger("tensorflow").addFilter(_FILTER)
