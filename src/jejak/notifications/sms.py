"""Text messages to phones, through the backend named by JEJAK_SMS_BACKEND.

- `console` (default): writes the message to standard output, for a developer's laptop.
- `file`: one file per message under JEJAK_SMS_DIR, for tests and the demo, which read
  the sign-in code back with `read_last_code`.
- `http`: POSTs `{"to": ..., "text": ...}` as JSON to JEJAK_SMS_HTTP_URL (an SMS gateway
  or an adapter in front of one), with an optional bearer token, a timeout and retries.

`send_sms` never raises: a message that cannot be sent is logged and reported as False,
because a gateway outage must not turn into an error page for the person signing in.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from jejak.core.phone import normalize_phone

logger = logging.getLogger(__name__)

# Seconds before the first retry of the http backend; doubled for each further one.
BACKOFF_SECONDS = 0.5
# Statuses worth retrying: the gateway is overloaded or briefly down. Any other 4xx means
# the request itself is wrong and sending it again would fail the same way.
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class SmsError(Exception):
    """The backend could not hand the message over."""


def _redacted(to: str) -> str:
    # Logs are read by more people than the database; the last digits identify enough.
    return "…" + to[-4:]


def send_console(to: str, text: str) -> None:
    sys.stdout.write(f"[sms] to {to}: {text}\n")
    sys.stdout.flush()


def send_file(to: str, text: str) -> None:
    directory = Path(settings.JEJAK_SMS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S.%fZ")
    digits = re.sub(r"\D", "", to)[-4:]
    name = f"{stamp}-{digits}-{secrets.token_hex(3)}.txt"
    # Written under a temporary name and renamed, so a reader polling the directory never
    # sees half a message.
    partial = directory / f".{name}.part"
    partial.write_text(f"To: {to}\n\n{text}\n", encoding="utf-8")
    os.replace(partial, directory / name)


def send_http(to: str, text: str) -> None:
    url = settings.JEJAK_SMS_HTTP_URL
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured("JEJAK_SMS_HTTP_URL must be an http(s) URL.")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.JEJAK_SMS_HTTP_TOKEN:
        headers["Authorization"] = f"Bearer {settings.JEJAK_SMS_HTTP_TOKEN}"
    body = json.dumps({"to": to, "text": text}).encode()
    attempts = 1 + max(0, settings.JEJAK_SMS_HTTP_RETRIES)
    for attempt in range(attempts):
        if attempt:
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        # The scheme was checked above; S310 guards against file:// and the like.
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(  # noqa: S310  # nosec B310
                request, timeout=settings.JEJAK_SMS_HTTP_TIMEOUT
            ) as response:
                response.read()
                return
        except urllib.error.HTTPError as exc:
            if exc.code not in _RETRY_STATUSES:
                raise SmsError(f"gateway refused the message: HTTP {exc.code}") from exc
            problem = f"HTTP {exc.code}"
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            problem = str(getattr(exc, "reason", exc))
        logger.warning(
            "SMS to %s: attempt %d of %d failed (%s)", _redacted(to), attempt + 1, attempts, problem
        )
    raise SmsError(f"gave up after {attempts} attempts")


BACKENDS: dict[str, Callable[[str, str], None]] = {
    "console": send_console,
    "file": send_file,
    "http": send_http,
}


def send_sms(to: str, text: str) -> bool:
    """Send one text message to an E.164 number; False (and a logged error) if it failed."""
    backend = BACKENDS.get(settings.JEJAK_SMS_BACKEND)
    if backend is None:
        logger.error("Unknown JEJAK_SMS_BACKEND %r; message not sent", settings.JEJAK_SMS_BACKEND)
        return False
    try:
        backend(to, text)
    except Exception:
        # Deliberately broad: whatever the backend hit, the caller's request goes on.
        logger.exception("SMS to %s was not sent", _redacted(to))
        return False
    return True


@dataclass(frozen=True)
class SentMessage:
    path: Path
    to: str
    text: str


def read_messages(sms_dir: str | os.PathLike[str], phone: str | None = None) -> list[SentMessage]:
    """Messages written by the `file` backend, oldest first, optionally only those to `phone`."""
    wanted = normalize_phone(phone) if phone is not None else None
    directory = Path(sms_dir)
    if not directory.is_dir():
        return []
    found = []
    # File names start with a UTC timestamp, so name order is sending order.
    for path in sorted(directory.glob("*.txt")):
        head, _, text = path.read_text(encoding="utf-8").partition("\n\n")
        to = head.removeprefix("To: ").strip()
        if wanted is None or to == wanted:
            found.append(SentMessage(path=path, to=to, text=text.strip()))
    return found


def read_last_code(sms_dir: str | os.PathLike[str], phone: str) -> str | None:
    """The 6-digit code in the latest message to `phone` (any spelling), or None."""
    for message in reversed(read_messages(sms_dir, phone)):
        match = _CODE.search(message.text)
        if match:
            return match.group(1)
    return None
