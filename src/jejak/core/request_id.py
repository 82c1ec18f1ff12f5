"""One id per request, for the log lines it causes and the answer the client gets.

nginx names each request (`$request_id`, sent as `X-Request-ID`); the id is taken from
that header when it is a sane token and made here otherwise, so the access log in front,
the application's log lines and the answer (its `X-Request-ID` header, and the body of a
500) carry the same id. It lives in a context variable: each request runs on its own
thread (jejak/asgi.py), and the check-in batcher's thread, which decides many requests
at once, logs without one.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# What a client may name its request with: nginx's 32 hex digits, a UUID, a tracer's id.
# Anything else (too short to be unique, long enough to bloat every log line, or with
# characters that could forge a log line or a header) is replaced by an id of ours.
_SANE = re.compile(r"[A-Za-z0-9._:-]{8,64}")

_current: ContextVar[str | None] = ContextVar("jejak_request_id", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


def sane(value: str) -> bool:
    return _SANE.fullmatch(value) is not None


def current() -> str | None:
    """The id of the request this thread serves, or None outside a request."""
    return _current.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every log line of the request carries its id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if sane(given) else new_id()
        # Not reset on the way out: Django logs a 4xx or 5xx answer after the middleware
        # has returned (BaseHandler.get_response), and that line needs the id too. The
        # value ends with the request: a2wsgi runs each request in a copy of the context
        # (jejak/asgi.py), and the next request on a thread sets its own first.
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (`record.request_id`, None outside
    a request), for the JSON format (core/json_logs.py) or a text format that names it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True
