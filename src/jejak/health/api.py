from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from jejak.accounts.capabilities import Cap, require, signed_in_user
from jejak.core.api_errors import ApiError, ErrorOut
from jejak.health.report import NOTHING_IMPORTED, Problem
from jejak.health.service import MAX_FILE_BYTES, import_health_file

router = Router(tags=["health"])

JSON_TYPES = ("application/json", "application/fhir+json")


class ProblemOut(Schema):
    code: str
    message: str
    line: int | None
    column: str
    entry: int | None
    resource: str
    value: str


class ImportReportOut(Schema):
    filename: str
    format: str
    ok: bool
    records: int
    people: int
    created: dict[str, int]
    unchanged: dict[str, int]
    ignored: dict[str, int]


class ImportFailedOut(Schema):
    code: str
    message: str
    filename: str
    format: str
    problems: list[ProblemOut]


@router.post(
    "/import",
    # 400 is the import's report (`import_failed`) or a refusal of the request itself.
    response={
        200: ImportReportOut,
        400: ImportFailedOut | ErrorOut,
        frozenset({403, 413}): ErrorOut,
    },
    summary="Import health records (FHIR R4 Bundle or CSV)",
)
def import_records(
    request: HttpRequest, file: File[UploadedFile | None] = None
) -> Status[dict[str, Any]]:
    """Import a FHIR R4 Bundle or a CSV sheet, sent as the multipart field `file` or as the
    request body (`Content-Type: application/fhir+json`). The file is imported whole or not
    at all: any problem answers 400 with every problem and nothing stored."""
    user = signed_in_user(request)
    require(user, Cap.IMPORT_HEALTH_RECORDS)
    if file is not None:
        report = import_health_file(file, actor=user, filename=file.name)
    else:
        content_type = request.content_type or ""
        if content_type not in JSON_TYPES:
            message = _(
                "Kirim berkas sebagai field multipart 'file', atau FHIR Bundle sebagai JSON."
            )
            raise ApiError(400, "no_file", message)
        try:
            body = request.body
        except RequestDataTooBig as exc:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            message = str(Problem.TOO_LARGE.label) % {"limit": limit}
            raise ApiError(413, "too_large", message) from exc
        report = import_health_file(body, actor=user, filename="bundle.json")
    if not report.ok:
        return Status(
            400,
            {
                "code": "import_failed",
                "message": str(NOTHING_IMPORTED),
                "filename": report.filename,
                "format": report.format,
                "problems": [p.as_json() for p in report.problems],
            },
        )
    return Status(200, report.as_json())
