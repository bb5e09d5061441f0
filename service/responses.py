"""The JSON answers of the service, as pydantic-aware ``TypedDict`` models.

The views build their answers by calling these classes, and
:mod:`service.openapi` generates the response schemas of ``/openapi.json``
from them, so a field exists in both or in neither. A ``TypedDict`` call makes
a plain ``dict``, so an answer has the bytes of a dict literal and costs next
to nothing, where validating and dumping a ``BaseModel`` on every request
would show in the service's throughput. What a ``TypedDict`` does not check at
run time, the tests do: every documented answer is validated against its
model, and every model but :class:`Source` refuses a field it does not declare.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12 on

__all__ = [
    "ALL",
    "BatchItemResult",
    "BatchResult",
    "Contribution",
    "Correction",
    "FeedbackPage",
    "FeedbackStored",
    "FieldError",
    "FileResult",
    "FileRow",
    "LabelInfo",
    "LabelScore",
    "Labels",
    "Model",
    "Problem",
    "RejectedRow",
    "Reloaded",
    "ReviewQueue",
    "ReviewRow",
    "Source",
    "Status",
    "TagResult",
    "public_sources",
]

_closed = with_config(ConfigDict(extra="forbid", strict=True))


@_closed
class LabelScore(TypedDict):
    """A topic and its probability, rounded to 6 decimals."""

    label: str
    score: float


@_closed
class Contribution(TypedDict):
    """How much one n-gram added to a topic's decision score, and where the n-gram is."""

    ngram: str
    field: Literal["headline", "teaser", "headline+teaser", "chars"]
    weight: float


@_closed
class _Prediction(TypedDict):
    """The fields of :meth:`classifier.model.topic_model.Prediction.to_dict`."""

    label: Annotated[str | None, Field(description="The top topic; null when the model abstains.")]
    score: float
    labels: list[LabelScore]
    abstained: bool
    explanations: NotRequired[
        Annotated[dict[str, list[Contribution]], Field(description="Only when explain is true.")]
    ]


@_closed
class TagResult(_Prediction):
    """The answer for one headline."""

    model: str


@_closed
class BatchItemResult(_Prediction):
    """The answer for one headline of a batch, with the id it was sent with."""

    id: Any


@_closed
class BatchResult(TypedDict):
    """The answers for a batch, in input order."""

    model: str
    results: list[BatchItemResult]


@_closed
class LabelInfo(TypedDict):
    """One topic of the model: its taxonomy description and IPTC code (null outside it), its threshold."""

    label: str
    description: str | None
    iptc: str | None
    threshold: float


@_closed
class Labels(TypedDict):
    """The model's topics, in the model's order."""

    model: str
    taxonomy: str | None
    labels: list[LabelInfo]


@with_config(ConfigDict(extra="allow", strict=True))
class Source(TypedDict):
    """One training source, named by its file name; the manifest records sources as open mappings."""

    file: str
    preset: NotRequired[str | None]
    label_map: NotRequired[str | None]
    rows: int
    dropped_by_map: NotRequired[int]
    sha256: str


def public_sources(sources: list[dict]) -> list[Source]:
    """A manifest's training sources as the service shows them: server paths stay private, so a
    source is named by its file name only."""
    return [
        Source(
            file=PurePath(str(source.get("path", ""))).name,
            **{key: value for key, value in source.items() if key not in {"path", "source", "file"}},
        )
        for source in sources
    ]


@_closed
class Model(TypedDict):
    """The model's manifest, without server paths."""

    id: str
    created: str
    labels: list[str]
    multilabel: bool
    thresholds: dict[str, float]
    abstain_threshold: float
    metrics: Annotated[dict[str, Any] | None, Field(description="Validation metrics from training.")]
    sources: list[Source]
    versions: dict[str, str]


@_closed
class Status(TypedDict):
    """A probe's answer; /readyz names the model it serves."""

    status: str
    model: NotRequired[str]


@_closed
class Reloaded(TypedDict):
    """The model that serves after a reload, and the one it replaced."""

    model: str
    previous: str | None


@_closed
class FeedbackStored(TypedDict):
    """The ids of the corrections stored, in input order, and the model whose prediction they record."""

    model: str
    ids: list[int]


@_closed
class Correction(TypedDict):
    """One stored correction (see docs/feedback.md); ``superseded_by`` names a newer one of the same text."""

    id: int
    headline: str
    teaser: str
    labels: list[str]
    kind: Literal["accepted", "rejected", "added"]
    model: str | None
    predicted: list[str] | None
    item_id: str | None
    sender: str
    source: Literal["api", "web", "cli", "import"]
    created: str
    superseded_by: int | None


@_closed
class FeedbackPage(TypedDict):
    """Corrections in id order; ``next`` is the ``after`` of the next page, null after the last."""

    corrections: list[Correction]
    next: int | None


@_closed
class ReviewRow(TypedDict):
    """A kept request: the model's answer then, and its uncertainty (higher: less sure)."""

    id: str
    headline: str
    teaser: str
    label: str | None
    score: float
    labels: list[LabelScore]
    model: str
    uncertainty: float
    created: str


@_closed
class ReviewQueue(TypedDict):
    """The most uncertain kept requests, most uncertain first; ``sampling`` says whether any are kept."""

    sampling: bool
    rows: list[ReviewRow]


@_closed
class FieldError(TypedDict):
    """One invalid field of a request."""

    field: str
    item: NotRequired[int]
    detail: str


@_closed
class Problem(TypedDict):
    """RFC 9457 problem details; 413 and 422 name the failing field (and item index)."""

    type: str
    title: str
    status: int
    detail: str
    field: NotRequired[Annotated[str, Field(examples=["items[3].headline"])]]
    item: NotRequired[Annotated[int, Field(ge=0)]]
    errors: NotRequired[list[FieldError]]
    kept: NotRequired[Annotated[str | None, Field(description="409: the model that keeps serving.")]]


@_closed
class FileRow(_Prediction):
    """One tagged row of an uploaded file: where it is in the file and what it says."""

    line: Annotated[int, Field(description="The line the row starts on (1 is the first line).")]
    id: Annotated[str | None, Field(description="The id_field value; null without one.")]
    headline: str
    teaser: str


@_closed
class RejectedRow(TypedDict):
    """A row of an uploaded file that could not be tagged, and why."""

    line: int
    reason: str


@_closed
class FileResult(TypedDict):
    """An uploaded file's rows, tagged, in file order."""

    model: str
    file: Annotated[str, Field(description="The uploaded file's name, as the rows' messages give it.")]
    rows: int
    rejected_rows: Annotated[int, Field(description="Rows rejected (within the limit of 1%).")]
    rejected: Annotated[list[RejectedRow], Field(description="The first 20 rejected rows.")]
    results: list[FileRow]


# Every answer with a JSON body; /openapi.json has a component for each (and for what they contain).
ALL = (
    TagResult,
    BatchResult,
    FileResult,
    Labels,
    Model,
    Status,
    Reloaded,
    FeedbackStored,
    FeedbackPage,
    ReviewQueue,
    Problem,
)
