"""The app's pages, in Indonesian, as small HTML strings: every value from Jejak or the
user is escaped here."""

from __future__ import annotations

from html import escape
from typing import Any

APP_NAME = "Mitra Contoh"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { background: #0b3d5c; color: #fff; padding: .75rem 1rem; font-weight: 600; }
main { max-width: 32rem; margin: 0 auto; padding: 1rem; }
label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
input[type=text] { width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; }
.choice label { display: inline; font-weight: 400; }
button, .button { display: inline-block; margin-top: .75rem; padding: .6rem 1rem;
  font-size: 1rem; border: 0; border-radius: .3rem; background: #0b3d5c; color: #fff;
  text-decoration: none; cursor: pointer; }
button.secondary { background: #e4e4e4; color: #1b1b1b; }
.notice { padding: .75rem; border-radius: .3rem; background: #e8f0f6; }
.notice.error { background: #fbe9e7; color: #6d1a12; }
.result { padding: 1rem; border-radius: .5rem; margin-bottom: 1rem; }
.result h1 { margin-top: 0; }
.result.hijau { background: #17692f; color: #fff; }
.result.kuning { background: #f9c513; color: #1b1b1b; }
.result.merah { background: #b3261e; color: #fff; }
.muted { color: #555; }
"""

# The door's colour of each decision, in this app's own words (Jejak's own sentences
# come in `messages`, shown beneath).
VERDICT = {
    "hijau": "Silakan masuk",
    "kuning": "Tunjukkan layar ini ke petugas",
    "merah": "Jangan masuk dulu",
}
PERSON_VERDICT = {
    "allowed": "boleh masuk",
    "allowed_after_staff_check": "masuk setelah diperiksa petugas",
    "denied": "tidak boleh masuk",
}
WORST_FIRST = ("merah", "kuning", "hijau")


def layout(title: str, body: str, notice: tuple[str, str] | None = None) -> str:
    shown = ""
    if notice is not None:
        kind, text = notice
        role = "alert" if kind == "error" else "status"
        shown = f'<p class="notice {escape(kind)}" role="{role}" id="notice">{escape(text)}</p>'
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {APP_NAME}</title>"
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/gaya.css">'
        f"</head><body><header>{APP_NAME}</header><main>{shown}{body}</main></body></html>"
    )


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def signed_out(notice: tuple[str, str] | None) -> str:
    body = (
        f"<h1>{APP_NAME}</h1>"
        "<p>Contoh aplikasi mitra Jejak: check-in di tempat umum dengan akun Jejak Anda. "
        "Nomor HP dan kode OTP Anda hanya diisi di halaman Jejak sendiri.</p>"
        '<p><a class="button" href="/masuk" id="sign-in">Masuk dengan Jejak</a></p>'
    )
    return layout("Masuk", body, notice)


def home(csrf: str, first_name: str, notice: tuple[str, str] | None) -> str:
    body = (
        f"<h1>Halo, {escape(first_name or 'Anda')}</h1>"
        '<form method="post" action="/lihat">'
        f"{hidden('csrf', csrf)}"
        '<label for="qr">Kode atau tautan poster</label>'
        '<input type="text" id="qr" name="qr" required autocomplete="off" '
        'placeholder="https://.../q/...">'
        '<button type="submit">Lihat tempat</button></form>'
        f"{sign_out_form(csrf)}"
    )
    return layout("Beranda", body, notice)


def sign_out_form(csrf: str) -> str:
    return (
        f'<form method="post" action="/keluar">{hidden("csrf", csrf)}'
        '<button type="submit" class="secondary">Keluar dari Mitra Contoh</button></form>'
    )


def preview(
    csrf: str, qr: str, nonce: str, found: dict[str, Any], people: list[dict[str, Any]]
) -> str:
    venue = found["venue"]
    crowd = found["crowd"]
    choices = "".join(
        '<p class="choice">'
        f'<input type="checkbox" name="people" value="{escape(p["person"])}" '
        f'id="p-{escape(p["person"])}"{" checked" if p["relation"] == "self" else ""}> '
        f'<label for="p-{escape(p["person"])}">{escape(p["first_name"])}</label></p>'
        for p in people
    )
    body = (
        f'<h1 id="venue">{escape(venue["name"])}</h1>'
        f"<p>{escape(found['entry_point']['name'])} · "
        f"{int(crowd['inside'])} dari {int(crowd['capacity'])} orang di dalam</p>"
        '<form method="post" action="/checkin">'
        f"{hidden('csrf', csrf)}{hidden('qr', qr)}{hidden('nonce', nonce)}"
        f"<fieldset><legend>Siapa yang masuk?</legend>{choices}</fieldset>"
        '<button type="submit">Check-in</button></form>'
        '<p><a href="/">Batal</a></p>'
    )
    return layout(venue["name"], body)


def result(csrf: str, answer: dict[str, Any], notice: tuple[str, str] | None) -> str:
    people = answer["people"]
    colours = {p["door_colour"] for p in people if p["action"] == "check_in"}
    colour = next((c for c in WORST_FIRST if c in colours), "")
    inside = [
        p["person"]
        for p in people
        if p["action"] == "check_in" and p["checked_in_at"] and not p["checked_out_at"]
    ]
    rows = "".join(
        f'<li data-person="{escape(p["person"])}"><strong>{escape(p["first_name"])}</strong>: '
        + (
            "sudah check-out"
            if p["action"] == "check_out"
            else escape(PERSON_VERDICT.get(p["decision"], p["decision"]))
        )
        + "".join(f'<br><span class="jejak-message">{escape(m)}</span>' for m in p["messages"])
        + "</li>"
        for p in people
    )
    heading = VERDICT.get(colour, "Sudah check-out")
    body = (
        f'<section class="result {escape(colour)}" id="result" data-colour="{escape(colour)}">'
        f"<h1>{escape(heading)}</h1>"
        f'<p id="result-venue">{escape(answer["venue"]["name"])} · '
        f"{escape(answer['entry_point']['name'])}</p><ul>{rows}</ul></section>"
    )
    if inside:
        body += (
            '<form method="post" action="/checkout">'
            f"{hidden('csrf', csrf)}"
            + "".join(hidden("people", key) for key in inside)
            + '<button type="submit" id="check-out">Check-out</button></form>'
        )
    body += '<p><a href="/">Check-in di tempat lain</a></p>'
    return layout("Hasil check-in", body, notice)
