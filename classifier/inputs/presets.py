"""Readers for the shared news datasets, each in the format it is published in.

A preset knows a dataset's field names and cleans its known quirks, so that
``huffpost:news.jsonl.gz`` needs no further options. Each preset is a function
``(path, report) -> Iterator[Record]`` in :data:`PRESETS`; :func:`read_preset`
picks one by name. Like the generic readers, presets stream.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

from classifier.errors import DataError
from classifier.inputs.readers import (
    ReadOptions,
    Row,
    RowRejected,
    RowSkipped,
    checked_rows,
    collapse_whitespace,
    convert_rows,
    iter_rows,
    read_records,
    record_from_row,
)
from classifier.inputs.records import BadRow, ReadReport, Record
from classifier.inputs.textio import open_text, strip_compression

__all__ = [
    "AGNEWS_CLASSES",
    "PRESETS",
    "REUTERS_BODIES",
    "REUTERS_SPLITS",
    "first_sentence",
    "read_agnews",
    "read_bbc",
    "read_huffpost",
    "read_nyt",
    "read_preset",
    "read_reuters",
    "read_starter",
]

AGNEWS_CLASSES = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}
REUTERS_SPLITS = ("train", "test")
REUTERS_BODIES = ("first-sentence", "full")

_HUFFPOST = ReadOptions(
    format="jsonl",
    headline_field="headline",
    teaser_field="short_description",
    label_field="category",
    id_field="link",
    date_field="date",
)
_AGNEWS = ReadOptions(format="csv", header=False, headline_field="2", teaser_field="3", label_field="1")
_NYT = ReadOptions(
    format="csv",
    headline_field="headline",
    teaser_field="abstract",
    label_field="newDesk",
    id_field="articleID",
    date_field="pubDate",
)


_STARTER = ReadOptions(format="jsonl", headline_field="headline", teaser_field="teaser", label_field="labels")


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
    return convert_rows(iter_rows(path, _NYT, report, pattern="Articles*"), _nyt_record, report)


def _nyt_record(row: Row) -> Record:
    """A record with the snippet standing in for a missing abstract."""
    if row.fields["headline"].strip() == "Unknown":
        raise RowSkipped("headline is the placeholder 'Unknown'")
    record = record_from_row(row, _NYT)
    if record.teaser:
        return record
    return replace(record, teaser=collapse_whitespace(row.fields.get("snippet") or ""))


# --- Reuters-21578 --------------------------------------------------------------------------------

_REUTERS_ATTRIBUTE = re.compile(r'([A-Z]+)="([^"]*)"')
_REUTERS_TEXT_TYPE = re.compile(r'<TEXT\s+TYPE="(\w+)"')
_REUTERS_ELEMENTS = {
    name.lower(): re.compile(rf"<{name}>(.*?)</{name}>", re.DOTALL)
    for name in ("DATE", "TOPICS", "TITLE", "DATELINE", "BODY")
}
_REUTERS_TOPIC = re.compile(r"<D>(.*?)</D>")
# References to control characters (&#2; starts a text, &#3; ends it, ...), and the
# "^M" that stands for a carriage return in a few documents.
_REUTERS_CONTROL = re.compile(r"&#(?:[0-9]|[12][0-9]|3[01]|127);|\^M")
_REUTERS_TRAILER = re.compile(r"\n[ \t]*reuters?[ \t.]*\s*$", re.IGNORECASE)
_REUTERS_PARAGRAPH = re.compile(r"\n(?:[ \t]+|[ \t]*\n)")


def read_reuters(
    path: str | os.PathLike,
    report: ReadReport,
    *,
    split: str | None = None,
    body: str = "first-sentence",
) -> Iterator[Record]:
    """Reuters-21578 SGML: a folder of ``reut2-*.sgm`` files (maybe compressed) or one file.

    Parameters
    ----------
    path
        The folder or one file. Files are decoded as Latin-1 (``reut2-017.sgm`` has
        one 0xFC byte) and parsed one ``<REUTERS>`` block at a time.
    report
        Counts the documents; documents outside ``split`` and documents without a
        ``<TITLE>`` (type UNPROC) are skipped, not rejected.
    split
        None for every document, ``"train"`` or ``"test"`` for the ModApte split
        (``LEWISSPLIT`` of that name and ``TOPICS="YES"``).
    body
        The teaser: ``"first-sentence"`` of the body or the ``"full"`` body.

    Returns
    -------
    Iterator[Record]
        Labels are the ``<D>`` items of ``<TOPICS>``, which may be none: such a
        document is a valid negative for multi-label training, so it is yielded.
    """
    if split is not None and split not in REUTERS_SPLITS:
        raise DataError(f"unknown Reuters split {split!r}; choose {' or '.join(REUTERS_SPLITS)}")
    if body not in REUTERS_BODIES:
        raise DataError(f"unknown Reuters body {body!r}; choose {' or '.join(REUTERS_BODIES)}")
    files = _reuters_files(Path(path))
    rows = (row for file in files for row in checked_rows(_reuters_items(str(file)), report, str(file)))
    return convert_rows(rows, partial(_reuters_record, split=split, body=body), report)


def _reuters_files(path: Path) -> list[Path]:
    """The SGML files to read: ``path`` itself, or the ``.sgm`` files in it in name order."""
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if not path.is_dir():
        return [path]
    files = sorted(
        file
        for file in path.iterdir()
        if file.is_file() and strip_compression(file.name)[0].lower().endswith(".sgm")
    )
    if not files:
        raise DataError(f"{path} has no Reuters-21578 .sgm files")
    return files


def _reuters_items(source: str) -> Iterator[Row | BadRow]:
    """One row per ``<REUTERS>`` ... ``</REUTERS>`` block, the line of its start tag as line."""
    with open_text(source, encoding="latin-1") as stream:
        block: list[str] | None = None
        start = 0
        for number, line in enumerate(stream, 1):
            if line.startswith("<REUTERS"):
                if block is not None:
                    yield BadRow(source, start, "unterminated document: no </REUTERS> before the next one")
                block, start = [], number
            if block is not None:
                block.append(line)
                if "</REUTERS>" in line:
                    yield Row(source, start, _reuters_fields("".join(block)))
                    block = None
        if block is not None:
            yield BadRow(source, start, "unterminated document: the file ends before </REUTERS>")


def _reuters_fields(block: str) -> dict[str, object]:
    """The fields of one document, raw.

    The attributes of ``<REUTERS>`` keep their names (``TOPICS="YES"``,
    ``LEWISSPLIT``, ``NEWID``, ...); the elements are lower-case (``date``,
    ``title``, ``dateline``, ``body``, and ``topics``, the list of ``<D>`` items),
    plus ``type``, the ``<TEXT TYPE=...>`` (NORMAL when there is none).
    """
    fields: dict[str, object] = dict(_REUTERS_ATTRIBUTE.findall(block[: block.index(">")]))
    text_type = _REUTERS_TEXT_TYPE.search(block)
    fields["type"] = text_type.group(1) if text_type else "NORMAL"
    for name, pattern in _REUTERS_ELEMENTS.items():
        if match := pattern.search(block):
            fields[name] = match.group(1)
    fields["topics"] = _REUTERS_TOPIC.findall(str(fields.get("topics", "")))
    return fields


def _reuters_record(row: Row, *, split: str | None, body: str) -> Record:
    """A record from a document in ``split`` that has a title."""
    fields = row.fields
    if split is not None and (fields.get("LEWISSPLIT"), fields.get("TOPICS")) != (split.upper(), "YES"):
        raise RowSkipped(f"not in ModApte {split} split")
    if "title" not in fields:
        raise RowSkipped("no TITLE")
    headline = collapse_whitespace(_reuters_text(fields["title"]))
    if not headline:
        raise RowRejected("missing headline: the TITLE is empty")
    text = _REUTERS_TRAILER.sub("", _reuters_text(fields.get("body", "")))
    teaser = first_sentence(text) if body == "first-sentence" else collapse_whitespace(text)
    return Record(
        headline=headline,
        teaser=teaser,
        labels=tuple(topic.strip() for topic in fields["topics"] if topic.strip()),
        id=fields.get("NEWID"),
        date=collapse_whitespace(fields.get("date", "")) or None,
        fields=fields,
        source=row.source,
        line=row.line,
    )


def _reuters_text(raw: str) -> str:
    """SGML text without control-character references, with &lt; &gt; &amp; unescaped."""
    text = _REUTERS_CONTROL.sub(" ", raw)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- first sentence -------------------------------------------------------------------------------

# A full stop (or ! ?) that may end a sentence: followed by space and a capital or digit.
_SENTENCE_END = re.compile(r"[.!?][\"')]*(?=\s+[\"'(]?[A-Z0-9])")
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)+$")
_ABBREVIATIONS = frozenset(
    {
        *("mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sen", "rep", "gov", "st", "mt", "ft"),
        *("jr", "sr", "no", "vs", "co", "corp", "inc", "ltd", "bros"),
        *("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"),
    }
)


def first_sentence(text: str) -> str:
    """The first sentence of the first paragraph of ``text``, whitespace collapsed.

    A paragraph ends at a blank line or at a line starting with indentation (as
    in Reuters bodies). A full stop after an abbreviation (``Mr.``, ``Corp.``,
    ``Feb.``) or initials (``U.S.``) does not end the sentence.
    """
    paragraph = collapse_whitespace(_REUTERS_PARAGRAPH.split(text.strip(), maxsplit=1)[0])
    for end in _SENTENCE_END.finditer(paragraph):
        word = paragraph[: end.start() + 1].rsplit(None, 1)[-1].lstrip("\"'(")
        if not _INITIALS.match(word) and word[:-1].lower() not in _ABBREVIATIONS:
            return paragraph[: end.end()]
    return paragraph


# --- the registry ---------------------------------------------------------------------------------

PRESETS: dict[str, Callable[..., Iterator[Record]]] = {
    "huffpost": read_huffpost,
    "agnews": read_agnews,
    "bbc": read_bbc,
    "reuters": read_reuters,
    "nyt": read_nyt,
    "starter": read_starter,
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

    ``split`` and ``body`` are Reuters-21578 options: ``body`` is ignored by the
    other presets (they have no body text), while a ``split`` they cannot honour
    is an error rather than a silently unsplit read.

    Raises
    ------
    DataError
        Unknown preset, a split for a preset without splits, or any error of the
        preset's reader.
    """
    reader = PRESETS.get(name)
    if reader is None:
        raise DataError(f"unknown preset {name!r}; the presets are {', '.join(PRESETS)}")
    if reader is read_reuters:
        return read_reuters(path, report, split=split, body=body)
    if split is not None:
        raise DataError(f"preset {name!r} has no splits; --split is for reuters")
    return reader(path, report)
