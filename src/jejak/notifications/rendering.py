"""A message's text from its template, now or later.

Most messages are rendered when they are queued. A message queued in bulk (a mass
tracing run tells hundreds of thousands of people at once, issue 20) is rendered when it
is sent or first read instead: its template's arguments wait on the row (`context`, plain
JSON with its dates tagged) and are replaced by the text then. Rendering costs about a
millisecond a message; the gateways send at most tens of messages a second, so at the
sender it costs the day nothing, while in the run it was a third of telling everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.template import Context, TemplateDoesNotExist, engines
from django.utils import translation

from jejak.notifications.models import Channel

if TYPE_CHECKING:
    from jejak.notifications.models import Message


def _render_text(name: str, context: dict[str, Any]) -> str:
    # Plain text: HTML escaping would turn a venue called "Toko & Co" into "Toko &amp; Co"
    # in an SMS. The inbox page escapes the body when it shows it.
    template = engines["django"].engine.get_template(name)  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def render(template: str, channel: str, context: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of one channel's message, in the active language."""
    body = _render_text(f"notifications/messages/{template}.{channel}.txt", context).strip()
    subject = ""
    if channel in (Channel.EMAIL, Channel.INAPP):
        try:
            subject = _render_text(f"notifications/messages/{template}.subject.txt", context)
        except TemplateDoesNotExist:
            if channel == Channel.EMAIL:
                raise
        # A subject is one line whatever the template's line breaks.
        subject = " ".join(subject.split())
    return subject, body


def check_template(template: str, channel: str) -> None:
    """Raise TemplateDoesNotExist now for a message rendered later (the loader caches)."""
    engines["django"].engine.get_template(f"notifications/messages/{template}.{channel}.txt")  # type: ignore[attr-defined]


# --- Arguments kept for later --------------------------------------------------------------

_DATETIME, _DATE = "$datetime", "$date"


def pack(value: Any) -> Any:
    """A template's arguments as JSON: strings, numbers, booleans, None, lists and dicts
    with string keys, dates and aware datetimes (tagged). Anything else (a lazy
    translation, a model) raises TypeError: the caller renders that message now."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("a naive datetime")
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {_DATE: value.isoformat()}
    if isinstance(value, list | tuple):
        return [pack(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("a dict with keys that are not strings")
        if value.keys() & {_DATETIME, _DATE}:
            raise TypeError("a dict that reads as a tagged date")
        return {key: pack(item) for key, item in value.items()}
    raise TypeError(f"cannot keep a {type(value).__name__} for later")


def unpack(value: Any) -> Any:
    if isinstance(value, list):
        return [unpack(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1 and _DATETIME in value:
            return dt.datetime.fromisoformat(value[_DATETIME])
        if len(value) == 1 and _DATE in value:
            return dt.date.fromisoformat(value[_DATE])
        return {key: unpack(item) for key, item in value.items()}
    return value


# --- Rendering what waited ---------------------------------------------------------------


def fill(messages: Iterable[Message]) -> list[Message]:
    """Render the messages among these whose text waited (their `context` set), in each
    one's language, and store the text in place of the arguments. Returns them all, for
    the caller to read `subject` and `body`. Two readers at once write the same text."""
    rows = list(messages)
    waiting = [m for m in rows if m.context is not None]
    for message in waiting:
        with translation.override(message.language):
            message.subject, message.body = render(
                message.template, message.channel, unpack(message.context)
            )
        message.context = None
    if waiting:
        type(waiting[0]).objects.bulk_update(waiting, ["subject", "body", "context"])
    return rows
