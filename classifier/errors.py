"""Exceptions raised by the headline-tagger core.

Every error a user can cause (bad data, a missing file, a broken model) is one of
these, so that the command line and the HTTP service can turn it into a clear
message instead of a traceback.
"""

__all__ = [
    "DataError",
    "FeedbackStoreError",
    "HeadlineTaggerError",
    "ModelError",
    "OutputError",
    "TooManyBadRows",
]


class HeadlineTaggerError(Exception):
    """Base class of every error the core raises on purpose."""


class DataError(HeadlineTaggerError, ValueError):
    """Input data cannot be read: missing or empty file, unknown format or field."""


class TooManyBadRows(DataError):
    """More rows were rejected than the caller allowed (``--max-bad-rows``)."""


class ModelError(HeadlineTaggerError):
    """A model directory cannot be written or loaded safely."""


class OutputError(HeadlineTaggerError):
    """Results cannot be written: the output exists, its folder is unwritable, or the disk is full."""


class FeedbackStoreError(HeadlineTaggerError):
    """The corrections store cannot be used: missing, locked, read-only, corrupt or too new.

    The message names the store (never with a password) and, for the operator, what the database
    said; ``reason`` says what is wrong in words safe to show anyone: no location, host, user or
    driver text. The service answers clients with it.
    """

    def __init__(self, message: str, *, reason: str = "see the service log") -> None:
        super().__init__(message)
        self.reason = reason
