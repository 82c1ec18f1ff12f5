"""The `http` backend: a Dukcapil-style verification web service over mutual TLS.

One POST per question, JSON both ways (the wire protocol is in docs/identity.md, "HTTP
backend"). The service is the authority, so this backend only carries the question and
reads the answer; names are compared there, not here.

Everything short of a well-formed answer with HTTP 200 raises IdentityServiceUnavailable:
a timeout, a refused or reset connection, a TLS failure (ours or theirs), any other
status, a body that is not the JSON we expect. The log line names the kind of failure
and the host, never the NIK or the name.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import ssl
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from jejak.identity.port import (
    IdentityServiceUnavailable,
    Outcome,
    Verification,
    family_card_index,
)

logger = logging.getLogger(__name__)

# The answer is a few fields; anything much longer is not an answer.
MAX_ANSWER_BYTES = 64 * 1024

RESULTS = {
    "match": Outcome.MATCH,
    "no_match": Outcome.NO_MATCH,
    "not_found": Outcome.NOT_FOUND,
    "deceased": Outcome.DECEASED,
}


class HttpBackend:
    name = "http"

    def verify(self, *, nik: str, full_name: str, birth_date: dt.date) -> Verification:
        """Ask the registry service; IdentityServiceUnavailable unless it answers properly."""
        host, port, path = _endpoint()
        context = _tls_context()
        body = json.dumps(
            {"nik": nik, "full_name": full_name, "birth_date": birth_date.isoformat()}
        ).encode("utf-8")
        # The timeout bounds each socket operation (connect, handshake, every read), which
        # is what http.client offers; the answer is small, so that is close to a bound on
        # the whole exchange.
        connection = http.client.HTTPSConnection(
            host, port, timeout=float(settings.JEJAK_IDENTITY_HTTP_TIMEOUT), context=context
        )
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
            response = connection.getresponse()
            status = response.status
            raw = response.read(MAX_ANSWER_BYTES + 1)
        except TimeoutError as exc:
            raise _unavailable("timeout", host, exc) from exc
        except ssl.SSLCertVerificationError as exc:
            raise _unavailable(f"tls: {exc.verify_message}", host, exc) from exc
        except ssl.SSLError as exc:
            raise _unavailable(f"tls: {exc.reason or 'closed'}", host, exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise _unavailable("connection", host, exc) from exc
        finally:
            connection.close()

        if status != 200:
            raise _unavailable(f"status {status}", host)
        if len(raw) > MAX_ANSWER_BYTES:
            raise _unavailable("answer too long", host)
        return self._verification(_answer(raw, host), host)

    def _verification(self, answer: dict[str, Any], host: str) -> Verification:
        result = answer.get("result")
        outcome = RESULTS.get(result) if isinstance(result, str) else None
        if outcome is None:
            raise _unavailable("unknown result", host)
        if outcome != Outcome.MATCH:
            return Verification(outcome, self.name)
        family_card = answer.get("family_card", "")
        region_code = answer.get("region_code", "")
        # A KK number as a JSON number would already have lost digits (16 > 2**53's 15).
        if not isinstance(family_card, str) or not isinstance(region_code, str):
            raise _unavailable("malformed answer", host)
        return Verification(
            Outcome.MATCH,
            self.name,
            family_card_index=family_card_index(family_card) if family_card.strip() else "",
            region_code=region_code.strip(),
        )


def _endpoint() -> tuple[str, int, str]:
    url = settings.JEJAK_IDENTITY_HTTP_URL
    if not url:
        raise ImproperlyConfigured(
            "JEJAK_IDENTITY_BACKEND is http but JEJAK_IDENTITY_HTTP_URL is empty."
        )
    parts = urlsplit(url)
    try:
        port = parts.port or 443
    except ValueError:
        port = 0
    if parts.scheme != "https" or not parts.hostname or not port:
        raise ImproperlyConfigured("JEJAK_IDENTITY_HTTP_URL must be an https:// URL.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.hostname, port, path


def _tls_context() -> ssl.SSLContext:
    # Built for every question rather than once per process: verification is rare (an
    # account or a dependant being added), and a renewed certificate on disk is then
    # picked up without a restart.
    ca = settings.JEJAK_IDENTITY_HTTP_CA
    cert = settings.JEJAK_IDENTITY_HTTP_CLIENT_CERT
    key = settings.JEJAK_IDENTITY_HTTP_CLIENT_KEY
    try:
        context = ssl.create_default_context(cafile=ca or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert:
            context.load_cert_chain(cert, key or None)
    except (OSError, ssl.SSLError) as exc:
        # A missing or unreadable file is the operator's to fix, not an outage to wait out.
        raise ImproperlyConfigured(
            "Cannot load JEJAK_IDENTITY_HTTP_CA, _CLIENT_CERT or _CLIENT_KEY: "
            f"{type(exc).__name__}: {exc.strerror or exc}"
        ) from exc
    return context


def _answer(raw: bytes, host: str) -> dict[str, Any]:
    try:
        answer = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 is a ValueError too
        raise _unavailable("not json", host, exc) from exc
    if not isinstance(answer, dict):
        raise _unavailable("not json", host)
    return answer


def _unavailable(
    kind: str, host: str, exc: BaseException | None = None
) -> IdentityServiceUnavailable:
    # Only the kind and the exception's class: messages from lower layers can quote what
    # the server sent, and that may echo the question.
    cause = f" ({type(exc).__name__})" if exc is not None else ""
    logger.warning("Civil registry at %s unavailable: %s%s", host, kind, cause)
    return IdentityServiceUnavailable(f"{kind}{cause}")
