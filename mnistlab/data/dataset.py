"""The one shape every dataset ends in: `Dataset`, uint8 arrays, read-only, and how a batch of
it is turned into what a model reads (`to_inputs`, `one_hot`), per batch, never the whole set.

60,000 images cost 47 MB as uint8 instead of 188 MB as float32. Where datasets come from is
`mnistlab.data.sources`; choosing and loading one once per process is `mnistlab.data.load`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mnistlab.data.formats import NPZ_KEYS, checked_arrays, read_only
from mnistlab.data.pixels import to_unit
from mnistlab.errors import DataError
from mnistlab.i18n import L_, N_, Message

DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
DIGITS = tuple(str(d) for d in range(10))
# Fashion-MNIST's class names are marked for the catalogs: show them with `tr(name)`.
FASHION_CLASS_NAMES = (N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"),
                       N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot"))
CLASS_NAMES = {
    "mnist": DIGITS,
    "fashion_mnist": FASHION_CLASS_NAMES,
    "custom": DIGITS,
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test pair of 28×28 uint8 images with labels 0–9, immutable once made.

    `eq=False` keeps identity hashing: comparing 47 MB arrays to hash a cache key would
    defeat the cache; `fingerprint` is the content identity instead.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str | Message  # where it came from, said in the reader's language (`str(dataset.source)`)
    is_sample: bool = False

    def __post_init__(self) -> None:
        # Invariants are checked where a Dataset is made, so no consumer re-checks them.
        if len(self.class_names) != 10:
            raise DataError("class_names_count", N_("{name}: expected 10 class names, got {count}."),
                            name=self.name, count=len(self.class_names))
        for key, value in checked_arrays(self._arrays(), where=self.name).items():
            object.__setattr__(self, key, value)

    @property
    def title(self) -> str | Message:
        """A short name for the data: "MNIST", "Fashion-MNIST", "MNIST sample" or "Custom data"."""
        if self.is_sample:
            return L_("MNIST sample")
        return DATASET_NAMES.get(self.name) or L_("Custom data")

    def _arrays(self) -> dict[str, np.ndarray]:
        return {key: getattr(self, key) for key in NPZ_KEYS}

    @cached_property
    def fingerprint(self) -> str:
        """A content hash (16 hex digits) for cache keys; computed once (cached_property
        writes the instance __dict__ directly, which a frozen dataclass without slots allows)."""
        digest = hashlib.sha256(self.name.encode())
        for array in self._arrays().values():
            digest.update(repr(array.shape).encode())
            digest.update(array.tobytes())
        return digest.hexdigest()[:16]

    def subset_train(self, n: int, seed: int = 0) -> Dataset:
        """A stratified, deterministic training subset of size n for quick classroom runs.

        Each class keeps its share (largest remainders round), so a small subset is not
        accidentally missing a digit. n <= 0 or n >= the training size means all of it.
        """
        total = len(self.y_train)
        if n <= 0 or n >= total:
            return self
        if n < 10:
            raise DataError("subset_too_small",
                            N_("A training subset needs at least 10 images (one per class), got {n}."), n=n)
        counts = np.bincount(self.y_train, minlength=10)
        quota = counts * n / total
        take = np.floor(quota).astype(np.int64)
        take[np.argsort(take - quota, kind="stable")[: n - take.sum()]] += 1
        rng = np.random.default_rng(seed)
        picked = np.sort(np.concatenate([
            rng.choice(np.flatnonzero(self.y_train == c), take[c], replace=False) for c in range(10)
        ]))
        x_train, y_train = (read_only(a[picked], owned=True) for a in (self.x_train, self.y_train))
        return Dataset(self.name, x_train, y_train, self.x_test, self.y_test, self.class_names,
                       L_("{source}; training subset of {n:,} (seed {seed})", source=self.source, n=n, seed=seed),
                       self.is_sample)


def to_inputs(x: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) or one (28, 28) → float32 (N, 28, 28, 1) in [0, 1], the
    tutorials' scaling; done per batch so the whole set never lives as float."""
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[None]
    return to_unit(x)[..., None]


def one_hot(y: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Labels (N,) → float32 (N, num_classes), what categorical cross-entropy expects."""
    y = np.asarray(y, dtype=np.int64)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise DataError("labels_range", N_("Labels must lie in 0..{high}, found {low_found}..{high_found}."),
                        high=num_classes - 1, low_found=int(y.min()), high_found=int(y.max()))
    return np.eye(num_classes, dtype=np.float32)[y]
