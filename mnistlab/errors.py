"""Errors a user can cause. Each carries a message fit to show as it is."""


class MnistlabError(ValueError):
    """Base class: something the user gave us is not usable."""


class DataError(MnistlabError):
    """A data file or source cannot be read as MNIST-style data."""


class SpecError(MnistlabError):
    """A model spec describes a model that cannot be built."""


class ModelFileError(MnistlabError):
    """A model file cannot be used by mnistlab."""
