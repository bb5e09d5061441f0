"""The shared news datasets, each read in the format it is published in: the preset registry.

A preset knows a dataset's field names and cleans its known quirks, so that
``huffpost:news.jsonl.gz`` needs no further options. :data:`PRESETS` holds one
:class:`Preset` per dataset, with its reader ``(path, report, **options) ->
Iterator[Record]`` and what the rest of the program needs to know about it;
:func:`read_preset` reads a path with one. Like the generic readers, presets stream.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from classifier.errors import DataError
from classifier.inputs.cleaning import collapse_whitespace, record_from_row
from classifier.inputs.readers import convert_rows, iter_rows, read_records
from classifier.inputs.records import ReadOptions, ReadReport, Record, Row, RowRejected, RowSkipped
from classifier.inputs.reuters import REUTERS_BODIES, REUTERS_SPLITS, read_reuters

__all__ = [
    "AGNEWS_CLASSES",
    "PRESETS",
    "Preset",
    "read_agnews",
    "read_arise",
    "read_bbc",
    "read_huffpost",
    "read_inshorts",
    "read_nyt",
    "read_preset",
    "read_starter",
]

AGNEWS_CLASSES = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}

_STARTER = ReadOptions(format="jsonl", headline_field="headline", teaser_field="teaser", label_field="labels")
_HUFFPOST = ReadOptions(
    format="jsonl",
    headline_field="headline",
    teaser_field="short_description",
    label_field="category",
    id_field="link",
    date_field="date",
)
_AGNEWS = ReadOptions(format="csv", header=False, headline_field="2", teaser_field="3", label_field="1")
_NYT_FILES = "Articles*"
_NYT = ReadOptions(
    format="csv",
    headline_field="headline",
    teaser_field="abstract",
    label_field="newDesk",
    id_field="articleID",
    date_field="pubDate",
)


def read_starter(path: str | os.PathLike, report: ReadReport) -> Iterator[Record]:
    """headline-tagger's own JSON lines (the bundled starter corpus): headline, teaser,
    labels (a list of default-taxonomy topics)."""
    return read_records(path, _STARTER, report)


def read_huffpost(path: str | os.PathLike, report: ReadReport) -> Iterator[Record]:
    """HuffPost News Category JSON lines: headline, short_description, category, date, link."""
    return read_records(path, _HUFFPOST, report)


def read_bbc(path: str | os.PathLike, report: ReadReport) -> Iterator[Record]:
    """The BBC News folder: one sub-folder per class, one article per file.

    Line 1 is the headline and the first paragraph the teaser; a file that is not
    UTF-8 (``sport/199.txt`` is Latin-1) is decoded as Latin-1.
    """
    return read_records(path, ReadOptions(format="folder"), report)


# --- AG News --------------------------------------------------------------------------------------

# The crawl turned the "&" of entities into a space (" #39;", " quot;") and line
# breaks into backslashes.
_AGNEWS_ENTITY_RESIDUE = re.compile(r" (#\d+|amp|quot|lt|gt);")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def read_agnews(path: str | os.PathLike, report: ReadReport) -> Iterator[Record]:
    """AG News CSV without a header: ``"class","title","description"``, class 1-4.

    Class indexes become the names of ``classes.txt`` (:data:`AGNEWS_CLASSES`);
    backslashes used as line breaks, entities and their residue (``&lt;b&gt;``,
    `` #39;``, `` quot;``) and the HTML tags they encode are cleaned out of the text.
    """
    return convert_rows(iter_rows(path, _AGNEWS, report), _agnews_record, report)


def _agnews_record(row: Row) -> Record:
    """A record with the class name as label and cleaned text; ``fields`` stay as published."""
    label = AGNEWS_CLASSES.get(row.fields["1"].strip())
    if label is None:
        raise RowRejected(f"unknown class: {row.fields['1']!r} is not one of 1, 2, 3, 4")
    cleaned = {"1": label, "2": _clean_agnews(row.fields["2"]), "3": _clean_agnews(row.fields["3"])}
    return replace(record_from_row(row._replace(fields=cleaned), _AGNEWS), fields=row.fields)


def _clean_agnews(text: str) -> str:
    """Undo the crawl's quirks: backslash line breaks, entities and their residue, HTML tags."""
    text = _AGNEWS_ENTITY_RESIDUE.sub(r"&\1;", text.replace("\\", " "))
    return _HTML_TAG.sub(" ", html.unescape(text))


# --- NYT ------------------------------------------------------------------------------------------


def read_nyt(path: str | os.PathLike, report: ReadReport) -> Iterator[Record]:
    """NYT article metadata CSVs (one file, or a folder of ``Articles*.csv``).

    The label is ``newDesk``; the teaser is ``abstract`` (2017 files only) when it
    is not empty, else ``snippet``. Rows whose headline is the placeholder
    ``Unknown`` are skipped, not rejected.
    """
    return convert_rows(iter_rows(path, _NYT, report, pattern=_NYT_FILES), _nyt_record, report)


def _nyt_record(row: Row) -> Record:
    """A record with the snippet standing in for a missing abstract."""
    if row.fields["headline"].strip() == "Unknown":
        raise RowSkipped("headline is the placeholder 'Unknown'")
    record = record_from_row(row, _NYT)
    if record.teaser:
        return record
    return replace(record, teaser=collapse_whitespace(row.fields.get("snippet") or ""))


# --- Inshorts and ARISE News: scraped section pages, the same story in several of them -----------

_INSHORTS_FILES = "inshort_news_data-*"
_INSHORTS = ReadOptions(
    format="csv", headline_field="news_headline", teaser_field="news_article", label_field="news_category"
)
ARISE_SPLITS = ("train", "test")
_ARISE = ReadOptions(format="csv", headline_field="Title", teaser_field="Excerpt", label_field="Category")


def read_inshorts(path: str | os.PathLike, report: ReadReport) -> Iterator[Record]:
    """Inshorts CSVs (one file, or a folder of ``inshort_news_data-*.csv``): headline, ~60-word summary.

    The scrape repeats a story in later files (10,557 rows hold 4,612 stories):
    a row equal to an earlier one in headline, summary and category is skipped,
    so a story counts once per category it was filed under.
    """
    rows = iter_rows(path, _INSHORTS, report, pattern=_INSHORTS_FILES)
    return convert_rows(rows, _first_of_each(_INSHORTS), report)


def read_arise(path: str | os.PathLike, report: ReadReport, *, split: str | None = None) -> Iterator[Record]:
    """ARISE News (Nigeria) CSVs ``Title,Excerpt,Category``: the folder's ``train.csv`` and ``test.csv``.

    ``split`` reads one of the two files. Rows repeated exactly (the same title,
    excerpt and section) are skipped, as for Inshorts.
    """
    if split is not None:
        path = os.path.join(path, f"{split}.csv") if os.path.isdir(path) else path
    rows = iter_rows(path, _ARISE, report, pattern="*.csv")
    return convert_rows(rows, _first_of_each(_ARISE), report)


def _first_of_each(options: ReadOptions) -> Callable[[Row], Record]:
    """A row converter that skips a row equal in headline, teaser and label to one it converted before."""
    seen: set[tuple[str, ...]] = set()

    def convert(row: Row) -> Record:
        record = record_from_row(row, options)
        key = (record.headline, record.teaser, *record.labels)
        if key in seen:
            raise RowSkipped("repeats an earlier row (same headline, teaser and label)")
        seen.add(key)
        return record

    return convert


# --- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preset:
    """A published dataset: its reader and the facts about it that other steps rely on.

    Parameters
    ----------
    name
        The name in ``PRESET:PATH`` data arguments and ``--preset``.
    read
        ``(path, report, **options) -> Iterator[Record]``; the options are
        ``split`` and ``body`` when the preset has them.
    format
        The format its files are in: ``jsonl``, ``csv``, ``folder`` (a labelled
        folder) or ``sgml``; the tagging ETA estimates rows from it.
    files
        The glob that picks its files out of a folder of files.
    splits
        The values of the ``split`` option it accepts; none for most presets.
    bodies
        The values of the ``body`` option it accepts; none for most presets.
    in_default_taxonomy
        Its labels already are the default taxonomy's topics, so no label map
        is needed to train the default model on it.
    date_field
        The field of each row's publication date, if it has one (``tag --report``
        shows the topics by month from it).
    """

    name: str
    read: Callable[..., Iterator[Record]]
    format: str
    files: str = "*"
    splits: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    in_default_taxonomy: bool = False
    date_field: str | None = None


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset("huffpost", read_huffpost, "jsonl", date_field=_HUFFPOST.date_field),
        Preset("agnews", read_agnews, "csv"),
        Preset("bbc", read_bbc, "folder"),
        Preset("reuters", read_reuters, "sgml", splits=REUTERS_SPLITS, bodies=REUTERS_BODIES),
        Preset("nyt", read_nyt, "csv", files=_NYT_FILES, date_field=_NYT.date_field),
        Preset("inshorts", read_inshorts, "csv", files=_INSHORTS_FILES),
        Preset("arise", read_arise, "csv", files="*.csv", splits=ARISE_SPLITS),
        Preset("starter", read_starter, "jsonl", in_default_taxonomy=True),
    )
}


def read_preset(
    name: str,
    path: str | os.PathLike,
    report: ReadReport,
    *,
    split: str | None = None,
    body: str = "first-sentence",
) -> Iterator[Record]:
    """Read ``path`` with the preset called ``name``.

    ``split`` and ``body`` go to the presets that have them: ``body`` is ignored
    by the others (they have no body text), while a ``split`` they cannot honour
    is an error rather than a silently unsplit read.

    Raises
    ------
    DataError
        Unknown preset, a split for a preset without splits, or any error of the
        preset's reader.
    """
    preset = PRESETS.get(name)
    if preset is None:
        raise DataError(f"unknown preset {name!r}; the presets are {', '.join(PRESETS)}")
    options: dict[str, str | None] = {}
    if preset.splits:
        options["split"] = split
    elif split is not None:
        with_splits = " and ".join(other.name for other in PRESETS.values() if other.splits)
        raise DataError(f"preset {name!r} has no splits; --split is for {with_splits}")
    if preset.bodies:
        options["body"] = body
    return preset.read(path, report, **options)
