"""Reuters-21578: SGML files of ``<REUTERS>`` documents, read as records with ModApte splits.

A document's title is the headline and the first sentence of its body (or the
whole body) the teaser; its ``<TOPICS>`` are the labels, possibly none.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from classifier.errors import DataError
from classifier.inputs.cleaning import collapse_whitespace
from classifier.inputs.readers import checked_rows, convert_rows
from classifier.inputs.records import BadRow, ReadReport, Record, Row, RowRejected, RowSkipped
from classifier.inputs.textio import open_text, strip_compression

__all__ = ["REUTERS_BODIES", "REUTERS_SPLITS", "first_sentence", "read_reuters"]

REUTERS_SPLITS = ("train", "test")
REUTERS_BODIES = ("first-sentence", "full")

_ATTRIBUTE = re.compile(r'([A-Z]+)="([^"]*)"')
_TEXT_TYPE = re.compile(r'<TEXT\s+TYPE="(\w+)"')
_ELEMENTS = {
    name.lower(): re.compile(rf"<{name}>(.*?)</{name}>", re.DOTALL)
    for name in ("DATE", "TOPICS", "TITLE", "DATELINE", "BODY")
}
_TOPIC = re.compile(r"<D>(.*?)</D>")
# References to control characters (&#2; starts a text, &#3; ends it, ...), and the
# "^M" that stands for a carriage return in a few documents.
_CONTROL = re.compile(r"&#(?:[0-9]|[12][0-9]|3[01]|127);|\^M")
_TRAILER = re.compile(r"\n[ \t]*reuters?[ \t.]*\s*$", re.IGNORECASE)
_PARAGRAPH = re.compile(r"\n(?:[ \t]+|[ \t]*\n)")


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
    fields: dict[str, object] = dict(_ATTRIBUTE.findall(block[: block.index(">")]))
    text_type = _TEXT_TYPE.search(block)
    fields["type"] = text_type.group(1) if text_type else "NORMAL"
    for name, pattern in _ELEMENTS.items():
        if match := pattern.search(block):
            fields[name] = match.group(1)
    fields["topics"] = _TOPIC.findall(str(fields.get("topics", "")))
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
    text = _TRAILER.sub("", _reuters_text(fields.get("body", "")))
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
    text = _CONTROL.sub(" ", raw)
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
    paragraph = collapse_whitespace(_PARAGRAPH.split(text.strip(), maxsplit=1)[0])
    for end in _SENTENCE_END.finditer(paragraph):
        word = paragraph[: end.start() + 1].rsplit(None, 1)[-1].lstrip("\"'(")
        if not _INITIALS.match(word) and word[:-1].lower() not in _ABBREVIATIONS:
            return paragraph[: end.end()]
    return paragraph
