"""``POST /v1/files``: tag an uploaded CSV, TSV or JSON-lines file with the served model.

The file comes as the ``file`` field of a ``multipart/form-data`` body, with optional form
fields ``format``, ``headline_field``, ``teaser_field`` and ``id_field`` that mean what the
``tag`` command's options of those names mean. The core reads it
(:func:`classifier.inputs.uploads.upload_records`), so its formats, field names and error
messages are the command line's. Two limits apply: ``MAX_UPLOAD_BYTES`` for the body and
``MAX_UPLOAD_ROWS`` for the rows.

The answer is JSON (each row's line, id, headline, teaser and topics, and the rejected rows)
unless ``Accept`` asks for ``text/csv`` or ``application/x-ndjson``: then it is the file
``tag`` would write for the upload, as an attachment.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from classifier.errors import DataError
from classifier.inputs.records import BadRowLimit, ReadOptions, ReadReport
from classifier.inputs.uploads import UPLOAD_FORMATS, TooManyUploadRows, upload_records
from classifier.settings import MAX_BAD_ROWS
from classifier.tagging.chunks import csv_columns
from classifier.tagging.outputs import OutputSpec, base_row, encode_part
from service import responses
from service.api import LIMITS, current_model
from service.auth import api_sender
from service.errors import Problem
from service.schemas import field_problem

__all__ = ["DOWNLOADS", "bp"]

bp = Blueprint("files", __name__, url_prefix="/v1")

# The media types an upload's rows can be downloaded as, and the output format of each.
DOWNLOADS = {"text/csv": "csv", "application/x-ndjson": "jsonl"}
_FIELDS = ("headline_field", "teaser_field", "id_field")
_LONGEST_FIELD = 200  # characters of a field name: a column name, not a document
_READ_DEFAULTS = ReadOptions()


@bp.before_request
def _check_api_key() -> None:
    api_sender()


@bp.post("/files")
def tag_file():
    """Tag every row of the uploaded file; JSON, CSV or JSON lines by ``Accept``."""
    upload, options = _upload()
    # The name as the user knows it (any folder dropped): it gives the format by its suffix and names
    # the file in messages; secure_filename would drop every non-ASCII letter, suffix dots included.
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1] or "upload"
    data = upload.read()
    loaded = current_model()
    report = ReadReport(limit=BadRowLimit.parse(MAX_BAD_ROWS))
    try:
        records = upload_records(data, name, options, report, max_rows=current_app.config["MAX_UPLOAD_ROWS"])
    except TooManyUploadRows as error:
        raise Problem(413, str(error), slug="too-many-rows", title="Too many rows") from None
    except DataError as error:
        raise Problem(422, str(error), slug="bad-file", title="Unreadable file") from None
    _check_field_lengths(records, name)
    predictions = loaded.model.predict([r.headline for r in records], [r.teaser for r in records])
    g.predictions = predictions
    model_id = loaded.manifest.model_id
    wanted = request.accept_mimetypes.best_match(["application/json", *DOWNLOADS], "application/json")
    if wanted in DOWNLOADS:
        spec = OutputSpec(DOWNLOADS[wanted])
        bases = [base_row(record, slim=False) for record in records]
        columns = csv_columns(bases[0], spec)
        body = encode_part(bases, predictions, spec, columns=columns, first=True)
        stem = name.rsplit(".", 1)[0]
        # An ASCII name for every client, the real one (RFC 6266) for those that read it.
        ascii_stem = secure_filename(stem) or "upload"
        disposition = (
            f'attachment; filename="{ascii_stem}-tagged.{spec.format}"; '
            f"filename*=UTF-8''{quote(stem)}-tagged.{spec.format}"
        )
        return Response(
            body, mimetype=wanted, headers={"Content-Disposition": disposition, "X-Model": model_id}
        )
    return responses.FileResult(
        model=model_id,
        file=name,
        rows=len(records),
        rejected_rows=report.bad,
        rejected=[responses.RejectedRow(line=bad.line, reason=bad.reason) for bad in report.examples],
        results=[
            {"line": record.line, "id": record.id, "headline": record.headline, "teaser": record.teaser}
            | prediction.to_dict()
            for record, prediction in zip(records, predictions, strict=True)
        ],
    )


def _check_field_lengths(records, name: str) -> None:
    """``/v1/tag``'s limit per field (the app's ``Limits``) holds for uploaded rows: 413 naming the line."""
    limit = current_app.extensions[LIMITS].max_field_chars
    for record in records:
        for field, text in (("headline", record.headline), ("teaser", record.teaser)):
            if len(text) > limit:
                raise Problem(
                    413,
                    f"{name}, line {record.line}: the {field} is over {limit:,} characters",
                    slug="too-large",
                    title="Request too large",
                )


def _upload():
    """The uploaded file and the read options of the form, or a 4xx problem."""
    if request.mimetype != "multipart/form-data":
        raise Problem(415, "Send the file as multipart/form-data, in the field 'file'.")
    # The upload's own limit, not the JSON endpoints' MAX_BODY_BYTES; checked before the body is read.
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    request.max_content_length = limit
    try:
        files, form = request.files, request.form
    except RequestEntityTooLarge:
        raise Problem(
            413,
            f"The upload is over the limit of {limit:,} bytes.",
            slug="too-large",
            title="Upload too large",
        ) from None
    upload = files.get("file")
    if upload is None or not upload.filename:
        raise field_problem("file", "send the file to tag in the multipart field 'file'")
    fmt = form.get("format") or None
    if fmt is not None and fmt not in UPLOAD_FORMATS:
        raise field_problem("format", f"must be one of {', '.join(UPLOAD_FORMATS)}")
    names = {}
    for field in _FIELDS:
        value = form.get(field, "").strip()
        if len(value) > _LONGEST_FIELD:
            raise field_problem(field, f"must be at most {_LONGEST_FIELD} characters")
        names[field] = value or None
    options = ReadOptions(
        format=fmt,
        headline_field=names["headline_field"] or _READ_DEFAULTS.headline_field,
        teaser_field=names["teaser_field"] or _READ_DEFAULTS.teaser_field,
        label_field=None,
        id_field=names["id_field"],
    )
    return upload, options
