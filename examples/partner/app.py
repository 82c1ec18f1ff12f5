"""Mitra Contoh: a minimal partner app of Jejak (docs/partners.md), standard library only.

It signs its user in through Jejak (authorization code, PKCE S256, public client), keeps
the tokens in memory under its own session cookie, previews a pasted poster code, checks
the user in (one nonce per confirmation, so a retry is the same check-in), shows the
result in its own words with a check-out button, and says so when Jejak refuses.

    python3 app.py --jejak-url http://127.0.0.1:8000 --client-id <client id> --port 8001

or JEJAK_URL, PARTNER_CLIENT_ID, PARTNER_PORT. It listens on 127.0.0.1 only, and its
redirect URI is http://127.0.0.1:<port>/callback (register exactly that).
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import os
import sys
import urllib.parse
import uuid
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pages
from jejak_client import Disconnected, Jejak, Refused, Tokens, Unreachable
from sessions import COOKIE, Session, Sessions

HOST = "127.0.0.1"
MAX_BODY = 16 * 1024

DISCONNECTED = (
    "Koneksi ke Jejak terputus: izin untuk Mitra Contoh sudah dicabut atau berakhir. "
    "Silakan masuk lagi."
)
UNREACHABLE = "Jejak tidak dapat dihubungi. Coba lagi sebentar lagi."


class Handler(BaseHTTPRequestHandler):
    jejak: ClassVar[Jejak]
    sessions: ClassVar[Sessions]
    server_version = "MitraContoh/1"

    # --- Routing --------------------------------------------------------------------

    def do_GET(self) -> None:
        path, _sep, query = self.path.partition("?")
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
        if path == "/gaya.css":
            self.send(HTTPStatus.OK, pages.STYLE, "text/css; charset=utf-8")
            return
        session = self.sessions.find(self.cookie())
        if path == "/":
            self.index(session)
        elif path == "/masuk":
            self.sign_in(session)
        elif path == "/callback":
            self.callback(session, params)
        elif path == "/hasil" and session is not None and session.result is not None:
            self.page(pages.result(session.csrf, session.result, session.take_notice()))
        else:
            self.go("/")

    def do_POST(self) -> None:
        session = self.sessions.find(self.cookie())
        form = self.form()
        if session is None or not hmac.compare_digest(
            form.get("csrf", [""])[0].encode(), session.csrf.encode()
        ):
            # A form of an old session (the app restarted) or of another site.
            self.go("/")
            return
        actions = {"/lihat": self.preview, "/checkin": self.check_in, "/checkout": self.check_out}
        if self.path == "/keluar":
            self.sign_out(session)
        elif self.path in actions:
            self.with_jejak(session, actions[self.path], form)
        else:
            self.go("/")

    # --- Pages ----------------------------------------------------------------------

    def index(self, session: Session | None) -> None:
        if session is None or not session.signed_in:
            notice = session.take_notice() if session is not None else None
            self.page(pages.signed_out(notice))
        else:
            self.page(pages.home(session.csrf, session.first_name, session.take_notice()))

    def sign_in(self, session: Session | None) -> None:
        session = session or self.sessions.start()
        try:
            url, session.pending = self.jejak.authorize_url()
        except Unreachable:
            session.notice = ("error", UNREACHABLE)
            self.go("/", session)
            return
        self.go(url, session)

    def callback(self, session: Session | None, params: dict[str, str]) -> None:
        pending = session.pending if session is not None else None
        if session is None or pending is None:
            self.go("/")
            return
        # The state ties this answer to the sign-in this browser started; used once.
        session.pending = None
        if not hmac.compare_digest(params.get("state", "").encode(), pending.state.encode()):
            session.notice = ("error", "Jawaban masuk tidak cocok. Silakan coba lagi.")
        elif params.get("error") == "access_denied":
            session.notice = ("status", "Anda tidak mengizinkan Mitra Contoh. Tidak apa-apa.")
        elif "code" not in params or not self.jejak.issuer_matches(params.get("iss")):
            session.notice = ("error", "Jejak tidak memberi izin. Silakan coba lagi.")
        else:
            try:
                tokens = self.jejak.swap_code(params["code"], pending)
            except (Disconnected, Refused):
                session.notice = ("error", "Kode izin dari Jejak ditolak. Silakan coba lagi.")
            except Unreachable:
                session.notice = ("error", UNREACHABLE)
            else:
                self.signed_in(session, tokens)
        self.go("/", session)

    def signed_in(self, session: Session, tokens: Tokens) -> None:
        self.sessions.renew(session)
        session.holder.tokens = tokens
        try:
            me = self.jejak.call(session.holder, "GET", "me")
        except (Disconnected, Refused, Unreachable):
            session.notice = ("error", "Masuk berhasil, tetapi data Anda belum bisa dibaca.")
            return
        session.people = me["people"]
        session.first_name = next(
            (p["first_name"] for p in me["people"] if p["relation"] == "self"), ""
        )

    def preview(self, session: Session, form: dict[str, list[str]]) -> None:
        qr = form.get("qr", [""])[0].strip()
        if not qr:
            self.go("/")
            return
        found = self.jejak.call(session.holder, "GET", "checkins/preview", query={"qr": qr})
        # The nonce is chosen now: pressing Check-in twice, or again after a timeout,
        # sends the same one, and Jejak answers the first check-in instead of a second.
        nonce = str(uuid.uuid4())
        self.page(pages.preview(session.csrf, qr, nonce, found, session.people))

    def check_in(self, session: Session, form: dict[str, list[str]]) -> None:
        people = form.get("people") or ["self"]
        body = {"qr": form["qr"][0], "nonce": form["nonce"][0], "people": people}
        session.result = self.jejak.call(session.holder, "POST", "checkins", body=body)
        self.go("/hasil")

    def check_out(self, session: Session, form: dict[str, list[str]]) -> None:
        answer = self.jejak.call(
            session.holder, "POST", "checkouts", body={"people": form.get("people", [])}
        )
        names = ", ".join(s["first_name"] for s in answer["checked_out"])
        places = ", ".join(sorted({s["venue"]["name"] for s in answer["checked_out"]}))
        session.notice = ("status", f"Sudah check-out: {names} dari {places}.")
        session.result = None
        self.go("/")

    def sign_out(self, session: Session) -> None:
        tokens = session.holder.tokens
        session.sign_out()
        if tokens is not None:
            # Forgotten here whatever happens; unrevoked, Jejak's expire by themselves.
            with contextlib.suppress(Unreachable, Refused):
                self.jejak.revoke(tokens)
        session.notice = ("status", "Anda sudah keluar dari Mitra Contoh.")
        self.go("/")

    def with_jejak(self, session: Session, action: Any, form: dict[str, list[str]]) -> None:
        """Run `action`, turning Jejak's refusals into a notice on the home page."""
        try:
            action(session, form)
            return
        except Disconnected:
            session.sign_out()
            session.notice = ("error", DISCONNECTED)
        except Refused as refused:
            text = f"Jejak menolak: {refused.message or refused.code} ({refused.code})."
            if refused.retry_after:
                text += f" Coba lagi dalam {refused.retry_after} detik."
            session.notice = ("error", text)
        except Unreachable:
            session.notice = ("error", UNREACHABLE)
        except (KeyError, IndexError):
            session.notice = ("error", "Formulir tidak lengkap.")
        self.go("/")

    # --- HTTP -----------------------------------------------------------------------

    def cookie(self) -> str | None:
        try:
            jar = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            return None
        morsel = jar.get(COOKIE)
        return morsel.value if morsel is not None else None

    def form(self) -> dict[str, list[str]]:
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        return urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))

    def security_headers(self) -> None:
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")

    def set_cookie(self, session: Session | None) -> None:
        if session is not None:
            self.send_header(
                "Set-Cookie", f"{COOKIE}={session.key}; Path=/; HttpOnly; SameSite=Lax"
            )

    def send(self, status: HTTPStatus, text: str, content_type: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.security_headers()
        self.end_headers()
        self.wfile.write(data)

    def page(self, html: str) -> None:
        self.send(HTTPStatus.OK, html, "text/html; charset=utf-8")

    def go(self, location: str, session: Session | None = None) -> None:
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.set_cookie(session)
        self.security_headers()
        self.end_headers()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jejak-url", default=os.environ.get("JEJAK_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--client-id", default=os.environ.get("PARTNER_CLIENT_ID", ""))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PARTNER_PORT", "8001")))
    args = parser.parse_args(argv)
    if not args.client_id:
        parser.error(
            "--client-id (or PARTNER_CLIENT_ID) is required: `jejak partner add` prints it"
        )
    Handler.jejak = Jejak(
        base_url=args.jejak_url,
        client_id=args.client_id,
        redirect_uri=f"http://{HOST}:{args.port}/callback",
    )
    Handler.sessions = Sessions()
    server = ThreadingHTTPServer((HOST, args.port), Handler)
    server.daemon_threads = True
    # One line on stdout once listening: what a supervisor (or a test) waits for.
    print(f"Mitra Contoh on http://{HOST}:{args.port}/ (Jejak at {args.jejak_url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
