"""Jejak as a partner sees it: the server metadata (RFC 8414), the authorization code flow
with PKCE S256 as a public client, tokens swapped and refreshed at the token endpoint, and
the partner API under /api/v1/partner/. Standard library only.

Every call to the partner API goes through `Jejak.call`, which refreshes the access token
before it expires, and once more when Jejak refuses it early; when even the refresh token
is refused, the citizen disconnected this app (or the issuer suspended it) and they must
sign in again: `Disconnected`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

SCOPE = "checkin"
# Refresh this long before the access token's end: a call never leaves with a token that
# expires on the way.
REFRESH_MARGIN_SECONDS = 30
TIMEOUT_SECONDS = 15
METADATA_PATH = "/.well-known/oauth-authorization-server"


class Refused(Exception):
    """Jejak answered with an error: the HTTP status, its stable code and its sentence."""

    def __init__(self, status: int, code: str, message: str, retry_after: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class Unreachable(Exception):
    """Jejak did not answer (down, or the network)."""


class Disconnected(Exception):
    """The tokens no longer work: disconnected by the citizen, the partner suspended, or
    the refresh token expired. Only a new sign-in helps."""


@dataclass
class Tokens:
    access: str
    refresh: str
    expires_at: float  # time.time() when the access token ends
    scope: str

    @classmethod
    def from_answer(cls, body: dict[str, Any]) -> Tokens:
        return cls(
            access=body["access_token"],
            refresh=body["refresh_token"],
            expires_at=time.time() + float(body.get("expires_in", 0)),
            scope=body.get("scope", ""),
        )

    def due(self) -> bool:
        return time.time() >= self.expires_at - REFRESH_MARGIN_SECONDS


@dataclass
class Pending:
    """A sign-in under way: what the callback must find again."""

    state: str
    verifier: str


@dataclass
class Holder:
    """One user's tokens, kept server-side; `lock` serialises their refreshes."""

    tokens: Tokens | None = None
    # Jejak rotates refresh tokens and treats a second use of one as theft (it revokes
    # the whole family): two requests of one user must never refresh at the same time.
    lock: threading.Lock = field(default_factory=threading.Lock)


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge): RFC 7636, S256."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class Jejak:
    def __init__(self, *, base_url: str, client_id: str, redirect_uri: str) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"Jejak's URL must be http(s): {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self._metadata: dict[str, Any] | None = None
        self._metadata_lock = threading.Lock()

    # --- OAuth ----------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The server's metadata, read at first need: this app may start before Jejak."""
        with self._metadata_lock:
            if self._metadata is None:
                status, body, _wait = self._send("GET", self.base_url + METADATA_PATH)
                if status != 200 or "token_endpoint" not in body:
                    raise Unreachable(f"no OAuth metadata at {self.base_url}{METADATA_PATH}")
                self._metadata = body
            return self._metadata

    def authorize_url(self) -> tuple[str, Pending]:
        """Where to send the browser to sign in, and what the callback checks."""
        verifier, challenge = pkce_pair()
        pending = Pending(state=secrets.token_urlsafe(24), verifier=verifier)
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": SCOPE,
                "state": pending.state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.metadata()['authorization_endpoint']}?{query}", pending

    def issuer_matches(self, iss: str | None) -> bool:
        """RFC 9207: the answer came from the server this app sent the user to."""
        return iss is None or iss == self.metadata().get("issuer")

    def swap_code(self, code: str, pending: Pending) -> Tokens:
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": pending.verifier,
                "client_id": self.client_id,
            }
        )

    def refresh(self, tokens: Tokens) -> Tokens:
        return self._token(
            {
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh,
                "client_id": self.client_id,
            }
        )

    def revoke(self, tokens: Tokens) -> None:
        """Sign out: the refresh token revoked (with it, Jejak drops the access token)."""
        endpoint = self.metadata().get("revocation_endpoint")
        if endpoint:
            self._send(
                "POST",
                endpoint,
                form={
                    "token": tokens.refresh,
                    "token_type_hint": "refresh_token",
                    "client_id": self.client_id,
                },
            )

    def _token(self, form: dict[str, str]) -> Tokens:
        status, body, _wait = self._send("POST", self.metadata()["token_endpoint"], form=form)
        if status == 200:
            return Tokens.from_answer(body)
        if status in (400, 401) and body.get("error") in ("invalid_grant", "invalid_client"):
            raise Disconnected(body.get("error_description", body["error"]))
        raise Refused(status, str(body.get("error", "token_error")), str(body))

    # --- The partner API ------------------------------------------------------------

    def call(
        self,
        holder: Holder,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        """Call /api/v1/partner/<path> with the holder's access token, refreshed when due
        and once more when Jejak refuses it as invalid. Raises Refused, Unreachable, or
        Disconnected (the holder's tokens are then dropped)."""
        url = f"{self.base_url}/api/v1/partner/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        access = self._fresh(holder, refused=None)
        status, answer, retry_after = self._api(method, url, access, body)
        if status == 401:
            # Refused before its time: revoked, or the clocks differ. A refresh tells
            # which; a retried check-in is safe, its nonce makes it the same request.
            access = self._fresh(holder, refused=access)
            status, answer, retry_after = self._api(method, url, access, body)
            if status == 401:
                holder.tokens = None
                raise Disconnected(answer.get("message", ""))
        if status >= 400:
            raise Refused(
                status, answer.get("code", "error"), answer.get("message", ""), retry_after
            )
        return answer

    def _fresh(self, holder: Holder, *, refused: str | None) -> str:
        """The access token to send: refreshed when due, or when `refused` is the one held."""
        with holder.lock:
            tokens = holder.tokens
            if tokens is None:
                raise Disconnected("not signed in")
            if tokens.due() or tokens.access == refused:
                try:
                    holder.tokens = tokens = self.refresh(tokens)
                except Disconnected:
                    holder.tokens = None
                    raise
            return tokens.access

    def _api(
        self, method: str, url: str, access: str, body: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any], str]:
        headers = {"Authorization": f"Bearer {access}", "Accept-Language": "id"}
        return self._send(method, url, json_body=body, headers=headers)

    # --- HTTP -----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        form: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], str]:
        """(status, JSON body, Retry-After) of one request."""
        sent = {"Accept": "application/json", **(headers or {})}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        # Only http(s): the metadata names the endpoints, and urllib would open file: too.
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise Unreachable(f"not an http(s) address: {url!r}")
        request = urllib.request.Request(url, data=data, headers=sent, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310  # nosec B310
                status, raw, retry_after = answer.status, answer.read(), ""
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
            retry_after = error.headers.get("Retry-After", "")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise Unreachable(str(error)) from None
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        if not isinstance(parsed, dict):
            parsed = {"data": parsed}
        return status, parsed, retry_after
