"""The typed values the app and its workers send each other (both sides import them).

`TrainingTask` is what the app asks a worker for (never where the app keeps its files or its database);
`Progress` is what the callbacks receive; `TrainResult` is the run the worker sends back, its model
travelling as the bytes of its `.keras` file and loaded on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mnistlab.errors import MnistlabError
from mnistlab.i18n import Message
from mnistlab.model.io import model_from_bytes, model_to_bytes

if TYPE_CHECKING:
    import keras

HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class TrainingTask:
    """One training as a worker receives it (the dataset travels beside it: a name, or a scattered upload).
    Nothing here names a folder or a database of the app's machine: the worker uses its own."""

    key: str  # the cache key
    dask_key: str
    spec_json: str
    owner: str = ""  # the nickname the run carries
    max_seconds: float = 0.0  # 0: no limit
    server: str = ""  # the app server that asks: it records the run unless the worker does
    store_id: str = ""  # the name of the store the app lists (`mnistlab.store.runs.store_id`), not its address
    known: bool = False  # that store has a complete run of this key already
    cache_dir: str = ""  # "" (the app's way): the worker's own; tests and benchmarks on one machine may set one


@dataclass(frozen=True)
class Progress:
    """Where a training run is; passed to the on_epoch and on_batch callbacks."""

    epoch: int  # 1-based
    epochs: int
    batch: int  # 1-based within the epoch; equals `batches` in an epoch report
    batches: int
    elapsed: float  # seconds since training started
    logs: dict[str, float] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        return min(1.0, ((self.epoch - 1) + self.batch / max(self.batches, 1)) / self.epochs)

    @property
    def eta(self) -> float | None:
        """Seconds left at the pace so far, once there is a pace to go by."""
        done = self.fraction
        return self.elapsed * (1 - done) / done if done > 0 else None


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What a training gives back, as the worker sends it to the app: one frozen value, pickled whole.
    The model may arrive as the bytes of its `.keras` file (from a worker process): it is then loaded on
    first use, so an app process that only shows curves never imports TensorFlow. A changed copy is
    `dataclasses.replace(result, ...)`."""

    model_or_bytes: Any  # a keras.Model, or the bytes of its .keras file
    history: dict[str, Any]
    seconds: float
    epochs_done: int  # complete epochs; a stopped run's partial epoch is history["partial_epoch"]
    stopped: bool = False  # the user stopped it; the model is the partly trained one
    diverged: bool = False  # the loss became NaN or infinite
    cached: bool = False
    key: str = ""
    # Said in the reader's language when shown: a Message (made here or in a worker process), or "" for none;
    # `str(result.message)` is the text.
    message: Message | str = ""
    notice: Message | str = ""  # something the student should know that is not about the model (cache, store)
    test_accuracy: float | None = None  # on the dataset's test set, measured where it trained (None: not yet)
    test_loss: float | None = None
    # Where the run was recorded (`mnistlab.store.runs.record_run`): `recorded` once the worker took care of it
    # (in its own store, which is the app's), `run_id` its id there (None if it was stored before, or failed).
    recorded: bool = False
    run_id: int | None = None
    requested_by: str = ""  # the app server whose request started the training: it records the run otherwise

    @property
    def complete(self) -> bool:
        return not (self.stopped or self.diverged)

    @property
    def status(self) -> str:
        """What the run store calls it: done, stopped or diverged."""
        return "diverged" if self.diverged else "stopped" if self.stopped else "done"

    @property
    def model(self) -> keras.Model:
        with _LOADING:
            if isinstance(self.model_or_bytes, (bytes, bytearray)):  # loaded once: a cache, not a change
                object.__setattr__(self, "model_or_bytes", model_from_bytes(bytes(self.model_or_bytes)))
        return self.model_or_bytes

    def model_bytes(self) -> bytes:
        if isinstance(self.model_or_bytes, (bytes, bytearray)):
            return bytes(self.model_or_bytes)
        return model_to_bytes(self.model_or_bytes)


_LOADING = threading.Lock()


def reason(exc: BaseException) -> Message | str:
    """What an exception says, as a message parameter: a user error keeps its code and parameters
    (said in the reader's language later), anything else is its text."""
    return exc.message if isinstance(exc, MnistlabError) else str(exc)
