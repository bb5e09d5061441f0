"""What reading works with: the options, the raw row, the record, and the report of rejected rows.

A format parser (:mod:`~classifier.inputs.formats`) turns a file into
:class:`Row` objects, the raw fields of one row each, found where
:class:`ReadOptions` says; a converter (:mod:`~classifier.inputs.cleaning`,
or a preset's) makes each row a :class:`Record`, or drops it with
:class:`RowRejected` or :class:`RowSkipped`. A record is one labelled (or
unlabelled) news item: a headline, an optional teaser and zero or more labels,
plus where it came from so that errors and rejects can name the file and line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from classifier.errors import TooManyBadRows

__all__ = [
    "BadRow",
    "BadRowLimit",
    "ReadOptions",
    "ReadReport",
    "Record",
    "Row",
    "RowDropped",
    "RowRejected",
    "RowSkipped",
]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Where the fields of a record are in a generic data file.

    Parameters
    ----------
    format
        ``jsonl``, ``csv``, ``tsv``, ``parquet`` or ``folder``; None detects it
        from the file name (see :func:`classifier.inputs.textio.detect_format`).
    headline_field, teaser_field, label_field
        Field (column) names. A None or absent teaser field gives an empty teaser;
        a None label field reads the data as unlabelled.
    label_delimiter
        Splits a text label into several labels, e.g. ``"|"``.
    id_field, date_field
        Optional fields copied into :attr:`Record.id` and :attr:`Record.date`.
    header
        CSV/TSV only: False means there is no header row and the columns are named
        by their 1-based position, ``"1"``, ``"2"``, ...
    """

    format: str | None = None
    headline_field: str = "headline"
    teaser_field: str | None = "teaser"
    label_field: str | None = "label"
    label_delimiter: str | None = None
    id_field: str | None = None
    date_field: str | None = None
    header: bool = True


class Row(NamedTuple):
    """The raw fields of one row, with the file and the 1-based line it starts on."""

    source: str
    line: int
    fields: dict[str, Any]


# Not frozen: a frozen dataclass's __init__ costs three times a plain one's, and `tag` makes one per row.
@dataclass(slots=True)
class Record:
    """One news item as read from a dataset.

    ``fields`` keeps the original fields of the row (for archive tagging, which
    writes them back out); ``source`` and ``line`` locate the row for messages.
    """

    headline: str
    teaser: str = ""
    labels: tuple[str, ...] = ()
    id: str | None = None
    date: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that was rejected, with the file, line and reason."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


class RowDropped(Exception):
    """Raised by a row converter to leave a row out, with the reason; see the two kinds below."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RowRejected(RowDropped):
    """The row is bad data: reported with its file and line, and counted against the limit."""


class RowSkipped(RowDropped):
    """The row is left out on purpose (not an error): only counted, by reason."""


_LIMIT_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


@dataclass(frozen=True, slots=True)
class BadRowLimit:
    """How many rejected rows a run tolerates: an absolute count or a percentage."""

    value: float
    is_fraction: bool

    @classmethod
    def parse(cls, text: str | int | float) -> BadRowLimit:
        """Parse ``"1%"``, ``"0.5%"`` or ``"100"`` (a count of rows)."""
        match = _LIMIT_PATTERN.match(str(text))
        if not match:
            raise ValueError(f"bad-row limit {text!r} is neither a count (100) nor a percentage (1%)")
        number, percent = float(match.group(1)), bool(match.group(2))
        if percent:
            if number > 100:
                raise ValueError(f"bad-row limit {text!r} is over 100%")
            return cls(number / 100.0, True)
        if number != int(number):
            raise ValueError(f"bad-row limit {text!r} must be a whole number of rows")
        return cls(number, False)

    def exceeded(self, bad: int, total: int) -> bool:
        """Whether ``bad`` rejected rows out of ``total`` rows break the limit."""
        if self.is_fraction:
            return total > 0 and bad / total > self.value
        return bad > self.value

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.is_fraction else f"{int(self.value)} rows"


@dataclass
class ReadReport:
    """Counts what readers accepted, rejected and skipped on purpose.

    Rejected rows (``bad``) are data errors: malformed JSON, a missing headline,
    undecodable bytes. Skipped rows are expected by the format: a Reuters
    document outside the requested split, a NYT row whose headline is the
    placeholder ``Unknown``. Only rejected rows count against the limit.

    ``on_reject``, when set, receives every rejected row as it is found (only
    ``keep_examples`` of them are kept here), so that archive tagging can write
    each one to its rejects file.
    """

    limit: BadRowLimit = field(default_factory=lambda: BadRowLimit(0.01, True))
    keep_examples: int = 20
    on_reject: Callable[[BadRow], None] | None = field(default=None, repr=False, compare=False)
    accepted: int = 0
    bad: int = 0
    examples: list[BadRow] = field(default_factory=list)
    bad_reasons: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    def accept(self) -> None:
        """Count one accepted row."""
        self.accepted += 1

    def reject(self, bad_row: BadRow) -> None:
        """Record one rejected row; fail at once when an absolute limit is passed."""
        self.bad += 1
        self.bad_reasons[_reason_kind(bad_row.reason)] += 1
        if self.on_reject is not None:
            self.on_reject(bad_row)
        if len(self.examples) < self.keep_examples:
            self.examples.append(bad_row)
        if not self.limit.is_fraction and self.limit.exceeded(self.bad, self.total):
            raise TooManyBadRows(self.summary())

    def revoke(self, bad_row: BadRow) -> None:
        """Turn a row a reader accepted into a rejected one (a later step, such as a
        strict label map, found it bad)."""
        self.accepted -= 1
        self.reject(bad_row)

    def skip(self, reason: str) -> None:
        """Count one row left out on purpose (not an error)."""
        self.skipped[reason] += 1

    @property
    def total(self) -> int:
        """Rows accepted plus rows rejected."""
        return self.accepted + self.bad

    def check(self) -> None:
        """Raise :class:`TooManyBadRows` if the rejected rows break the limit."""
        if self.limit.exceeded(self.bad, self.total):
            raise TooManyBadRows(self.summary())

    def summary(self) -> str:
        """A human-readable account of the rejected rows, with examples."""
        lines = [f"{self.bad} of {self.total} rows rejected (limit {self.limit})"]
        lines += [f"  {count} x {reason}" for reason, count in self.bad_reasons.most_common()]
        lines += [f"  e.g. {example}" for example in self.examples[:5]]
        return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    """The reason without its details after the first colon, for grouping."""
    return reason.split(":", 1)[0]
