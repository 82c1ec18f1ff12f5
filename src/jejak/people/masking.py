"""How a NIK is shown to anyone but its owner: `3671********0001`.

The first four digits (province and regency) and the serial say little on their own;
the birth date in the middle is what makes a NIK personal, so it is always hidden.
"""

from __future__ import annotations

SHOWN = 4


def mask_nik(nik: str) -> str:
    """`3671********0001`: first and last four digits shown, the rest starred."""
    if len(nik) <= 2 * SHOWN:
        return "*" * len(nik)
    return nik[:SHOWN] + "*" * (len(nik) - 2 * SHOWN) + nik[-SHOWN:]
