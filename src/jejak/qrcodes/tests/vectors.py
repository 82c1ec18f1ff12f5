"""Generator of tests/vectors.json, the J1 test vectors published in docs/qr-format.md.

Run `.venv/bin/python -m jejak.qrcodes.tests.vectors` to rewrite the file; a test fails
when the committed file and this generator disagree. Ed25519 signatures are
deterministic, so the output is the same on every run.

The keys below are TEST-ONLY: their seeds are public. Never configure them anywhere.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jejak.qrcodes import tokens

PATH = Path(__file__).with_name("vectors.json")
NOW = 1635811200  # 2021-11-02T00:00:00Z, the day Kota Tangerang moved to PPKM Level 1
BASE_URL = "https://jejak.example.id"
DYNAMIC_SECONDS = 180


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode("ascii")).digest()


def _public_id(label: str) -> str:
    return base64.b32encode(hashlib.sha256(label.encode("ascii")).digest()[:10]).decode().lower()


KEYS = {
    "testkey1": {"seed": _seed("jejak J1 test vector key 1"), "published": True},
    "testkey2": {"seed": _seed("jejak J1 test vector key 2 (never published)"), "published": False},
}
CODES = {
    "balai_utara": _public_id("vector code: balai kota, pintu utara"),
    "balai_utara_old": _public_id("vector code: balai kota, pintu utara, first issue"),
    "balai_selatan": _public_id("vector code: balai kota, pintu selatan"),
    "terminal": _public_id("vector code: terminal poris plawad"),
    "hotel": _public_id("vector code: hotel"),
    "unregistered": _public_id("vector code: never issued"),
}

VENUES = [
    {
        "short_code": "TNG-PUSPEMKOT",
        "name": "Pusat Pemerintahan Kota Tangerang",
        "sector": "kantor-pemerintahan",
        "status": "installed",
        "entry_points": [
            {
                "name": "Pintu Utara",
                "position": 0,
                "codes": [
                    {"public_id": CODES["balai_utara"], "status": "active", "kid": "testkey1"},
                    {
                        "public_id": CODES["balai_utara_old"],
                        "status": "replaced",
                        "kid": "testkey1",
                    },
                ],
            },
            {
                "name": "Pintu Selatan",
                "position": 1,
                "codes": [
                    {"public_id": CODES["balai_selatan"], "status": "active", "kid": "testkey1"}
                ],
            },
        ],
    },
    {
        "short_code": "TNG-TERMINAL-PORIS",
        "name": "Terminal Poris Plawad",
        "sector": "terminal",
        "status": "revoked",
        "entry_points": [
            {
                "name": "Gerbang Utama",
                "position": 0,
                "codes": [{"public_id": CODES["terminal"], "status": "revoked", "kid": "testkey1"}],
            }
        ],
    },
    {
        "short_code": "TNG-HOTEL-01",
        "name": "Hotel Cisadane",
        "sector": "hotel",
        "status": "suspended",
        "entry_points": [
            {
                "name": "Lobi",
                "position": 0,
                "codes": [{"public_id": CODES["hotel"], "status": "active", "kid": "testkey1"}],
            }
        ],
    },
]


def private_key(kid: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(KEYS[kid]["seed"])  # type: ignore[arg-type]


def _sign(public_id: str, *, kid: str = "testkey1", exp: int = 0, signer: str = "") -> str:
    kind = tokens.DYNAMIC if exp else tokens.STATIC
    return tokens.sign(
        private_key=private_key(signer or kid), kid=kid, kind=kind, public_id=public_id, exp=exp
    )


def _replace_sig(token: str, new_sig: str) -> str:
    return token.rsplit(".", 1)[0] + "." + new_sig


def _ok(public_id: str, venue: str, entry: str, kind: str, exp: int = 0) -> dict[str, Any]:
    return {
        "result": "ok",
        "kind": kind,
        "kid": "testkey1",
        "public_id": public_id,
        "venue": venue,
        "entry_point": entry,
        "expires_at": exp or None,
    }


def _error(code: str, status: int) -> dict[str, Any]:
    return {"result": "error", "code": code, "http_status": status}


def cases() -> list[dict[str, Any]]:
    utara = _sign(CODES["balai_utara"])
    live = _sign(CODES["balai_utara"], exp=NOW + DYNAMIC_SECONDS)
    sig = utara.rsplit(".", 1)[1]
    # Flip one character in the middle of the signature: still canonical base64url.
    flipped = sig[:40] + ("A" if sig[40] != "A" else "B") + sig[41:]
    # The last character carries 4 spare bits; setting one keeps the bytes, breaks the form.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    noncanonical = sig[:-1] + alphabet[alphabet.index(sig[-1]) | 1]
    tampered_id = utara.replace(CODES["balai_utara"], CODES["balai_selatan"])
    extended = live.replace(
        f".{tokens.to_base36(NOW + DYNAMIC_SECONDS)}.", f".{tokens.to_base36(NOW + 86400)}."
    )
    static_with_exp = f"J1.testkey1.s.{CODES['balai_utara']}.{tokens.to_base36(NOW + 60)}"
    static_with_exp += "." + tokens.b64url(private_key("testkey1").sign(static_with_exp.encode()))
    ok_utara = _ok(CODES["balai_utara"], "TNG-PUSPEMKOT", "Pintu Utara", "static")
    return [
        {"name": "valid_static_url", "input": f"{BASE_URL}/q/{utara}", "expect": ok_utara},
        {"name": "valid_static_bare_token", "input": utara, "expect": ok_utara},
        {
            "name": "valid_static_url_trailing_slash_and_whitespace",
            "input": f"  http://localhost:8000/q/{utara}/\n",
            "expect": ok_utara,
        },
        {
            "name": "valid_static_second_entrance",
            "input": f"{BASE_URL}/q/{_sign(CODES['balai_selatan'])}",
            "expect": _ok(CODES["balai_selatan"], "TNG-PUSPEMKOT", "Pintu Selatan", "static"),
        },
        {
            "name": "valid_dynamic",
            "input": f"{BASE_URL}/q/{live}",
            "expect": _ok(
                CODES["balai_utara"],
                "TNG-PUSPEMKOT",
                "Pintu Utara",
                "dynamic",
                NOW + DYNAMIC_SECONDS,
            ),
        },
        {
            "name": "dynamic_one_second_before_exp",
            "input": _sign(CODES["balai_utara"], exp=NOW + 1),
            "expect": _ok(CODES["balai_utara"], "TNG-PUSPEMKOT", "Pintu Utara", "dynamic", NOW + 1),
        },
        {
            "name": "expired_dynamic",
            "input": f"{BASE_URL}/q/{_sign(CODES['balai_utara'], exp=NOW - 60)}",
            "expect": _error("qr_expired", 410),
        },
        {
            "name": "expired_dynamic_exp_equals_now",
            "input": _sign(CODES["balai_utara"], exp=NOW),
            "expect": _error("qr_expired", 410),
        },
        {
            "name": "tampered_public_id",
            "input": tampered_id,
            "expect": _error("qr_bad_signature", 403),
        },
        {
            "name": "tampered_signature",
            "input": _replace_sig(utara, flipped),
            "expect": _error("qr_bad_signature", 403),
        },
        {
            "name": "tampered_exp_extended",
            "input": extended,
            "expect": _error("qr_bad_signature", 403),
        },
        {
            "name": "unknown_key",
            "input": _sign(CODES["balai_utara"], kid="testkey2"),
            "expect": _error("qr_unknown_key", 403),
        },
        {
            "name": "published_kid_signed_by_other_key",
            "input": _sign(CODES["balai_utara"], kid="testkey1", signer="testkey2"),
            "expect": _error("qr_bad_signature", 403),
        },
        {
            "name": "unknown_code",
            "input": _sign(CODES["unregistered"]),
            "expect": _error("qr_unknown_code", 404),
        },
        {
            "name": "replaced",
            "input": f"{BASE_URL}/q/{_sign(CODES['balai_utara_old'])}",
            "expect": _error("qr_replaced", 410),
        },
        {
            "name": "revoked",
            "input": f"{BASE_URL}/q/{_sign(CODES['terminal'])}",
            "expect": _error("qr_revoked", 410),
        },
        {
            "name": "suspended",
            "input": f"{BASE_URL}/q/{_sign(CODES['hotel'])}",
            "expect": _error("qr_suspended", 403),
        },
        {"name": "malformed_empty", "input": "", "expect": _error("qr_malformed", 400)},
        {
            "name": "malformed_other_text",
            "input": "https://example.com/menu",
            "expect": _error("qr_malformed", 400),
        },
        {
            "name": "malformed_unknown_version",
            "input": "J2" + utara[2:],
            "expect": _error("qr_malformed", 400),
        },
        {
            "name": "malformed_signature_padding",
            "input": utara + "==",
            "expect": _error("qr_malformed", 400),
        },
        {
            "name": "malformed_noncanonical_signature",
            "input": _replace_sig(utara, noncanonical),
            "expect": _error("qr_malformed", 400),
        },
        {
            "name": "malformed_static_with_exp",
            "input": static_with_exp,
            "expect": _error("qr_malformed", 400),
        },
        {
            "name": "malformed_uppercase",
            "input": utara.upper(),
            "expect": _error("qr_malformed", 400),
        },
        {
            "name": "malformed_path_not_q",
            "input": f"{BASE_URL}/x/{utara}",
            "expect": _error("qr_malformed", 400),
        },
    ]


def build() -> dict[str, Any]:
    keys = []
    for kid, spec in KEYS.items():
        private = private_key(kid)
        public = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        keys.append(
            {
                "kid": kid,
                "published": spec["published"],
                "test_only": True,
                "seed_hex": spec["seed"].hex(),  # type: ignore[union-attr]
                "x": tokens.b64url(public),
            }
        )
    venues = copy.deepcopy(VENUES)
    for venue in venues:
        for entry in venue["entry_points"]:  # type: ignore[attr-defined]
            for code in entry["codes"]:
                code["token"] = _sign(code["public_id"], kid=code["kid"])
    return {
        "WARNING": (
            "TEST-ONLY keys: their private seeds are published here. Never configure them "
            "in any deployment; tokens signed with them prove nothing."
        ),
        "format": "J1",
        "spec": "docs/qr-format.md",
        "now": NOW,
        "now_iso": dt.datetime.fromtimestamp(NOW, tz=dt.UTC).isoformat(),
        "keys": keys,
        "venues": venues,
        "cases": cases(),
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PATH}\n")
