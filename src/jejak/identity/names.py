"""Whether a typed name is the registry's name (placeholder; see docs/identity.md)."""

from __future__ import annotations


def normalise_name(name: str) -> str:
    return " ".join(name.casefold().split())


def names_match(given: str, registered: str) -> bool:
    return normalise_name(given) == normalise_name(registered)
