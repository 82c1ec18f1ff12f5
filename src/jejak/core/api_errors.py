"""The error every API view raises (an HTTP status, a stable reason code, a sentence) and
the schema of its body that operations declare.

It lives here, below every app, so that apps raise it without importing the API root
(`jejak/api.py`, which imports every app's router and renders these as `{code, message}`).
"""

from __future__ import annotations

from ninja import Schema
from ninja.errors import HttpError


class ApiError(HttpError):
    """An HttpError carrying a stable reason code, and optionally more fields for the
    body (`extra`) and response headers (`headers`, e.g. Retry-After)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        extra: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.extra = extra or {}
        self.headers = headers or {}


class ErrorOut(Schema):
    """The body of every error answer, for operations to declare (`response={404:
    ErrorOut}`): a stable reason code and a sentence. Some answers add fields (`errors`,
    `retry_after`, `request_id` ...)."""

    code: str
    message: str
