"""Errors a user can cause. Each carries a code and parameters, and says itself in the reader's
language: `str(error)` translates its English template (marked for the catalogs) when shown."""

from __future__ import annotations

from mnistlab.i18n import Message


class MnistlabError(ValueError):
    """Base class: something the user gave us is not usable.

    `raise SpecError("epochs_range", N_("Epochs must be between {low} and {high}."), low=1, high=200)`:
    `code` names the problem for programs and tests, `params` hold its numbers, and the template
    is the catalog's msgid.
    """

    def __init__(self, code: str, message: str, **params):
        self.code = code
        self.message = Message(message, **params)
        super().__init__(self.message.english())

    @property
    def params(self) -> dict:
        return self.message.params

    def __str__(self) -> str:
        return str(self.message)

    def __reduce__(self):  # errors cross process boundaries (Dask workers): keep code and params
        return (_rebuild, (type(self), self.code, self.message.template, self.message.params))


def _rebuild(cls, code, template, params):
    return cls(code, template, **params)


class DataError(MnistlabError):
    """A data file or source cannot be read as MNIST-style data."""


class SpecError(MnistlabError):
    """A model spec describes a model that cannot be built."""


class ModelFileError(MnistlabError):
    """A model file cannot be used by mnistlab."""


class DrawingError(MnistlabError):
    """A drawing cannot be read, or it or its label cannot be kept."""
