"""Issuing, revoking and verifying the QR codes of entry points. (Interface stub.)"""

from __future__ import annotations

from jejak.qrcodes.models import QrCode
from jejak.venues.models import Venue


def issue_codes(*, venue: Venue) -> list[QrCode]:
    """Give every entry point of `venue` a fresh active code; earlier ones become replaced."""
    raise NotImplementedError


def revoke_codes(*, venue: Venue) -> int:
    """Mark every active code of `venue` revoked; returns how many."""
    raise NotImplementedError
