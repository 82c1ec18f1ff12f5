"""The civil-registry port: does this NIK, name and birth date name one living resident?

PeduliLindungi checked every NIK against Dukcapil, the civil registry, before it would
show a colour for it. Jejak asks a backend chosen by JEJAK_IDENTITY_BACKEND:

- `registry_file`: the `identity.Resident` table, filled by `jejak import-registry`
  from a CSV extract of the registry (the default, and what the demo uses);
- `http`: a Dukcapil-style web service over mutual TLS (backends/http.py).

A backend answers with a `Verification`. Only `Outcome.MATCH` verifies; every other
outcome is one refusal to the visitor (`identity_not_verified`), the exact outcome going
to the audit row. A backend that cannot answer raises `IdentityServiceUnavailable`,
which callers turn into the refusal `identity_service_unavailable`: an outage is never
a match.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from jejak.core.crypto import blind_index


class Outcome(StrEnum):
    MATCH = "match"
    NOT_FOUND = "not_found"
    NAME_MISMATCH = "name_mismatch"
    BIRTH_DATE_MISMATCH = "birth_date_mismatch"
    DECEASED = "deceased"
    # A remote registry that only says "no match", without which field differed.
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class Verification:
    outcome: Outcome
    backend: str
    # The family card (KK) the resident is on, as a keyed hash: dependants are accepted
    # when they share it with the account holder. Empty when not matched or not known.
    family_card_index: str = ""
    # The resident's domicile region (Kemendagri code), when the registry says.
    region_code: str = ""

    @property
    def matched(self) -> bool:
        return self.outcome == Outcome.MATCH


class IdentityServiceUnavailable(Exception):
    """The registry could not be asked (timeout, refused connection, 5xx, bad answer)."""


class Backend(Protocol):
    name: str

    def verify(self, *, nik: str, full_name: str, birth_date: dt.date) -> Verification: ...


def family_card_index(number: str) -> str:
    """The keyed hash a family card (KK) number is compared by; never stored in clear."""
    return blind_index(number.strip(), purpose="family_card")


BACKENDS = {
    "registry_file": "jejak.identity.backends.registry_file.RegistryFileBackend",
    "http": "jejak.identity.backends.http.HttpBackend",
}


@functools.cache
def _backend(name: str) -> Backend:
    from django.utils.module_loading import import_string

    try:
        path = BACKENDS[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"JEJAK_IDENTITY_BACKEND must be one of {sorted(BACKENDS)}, not {name!r}"
        ) from None
    backend: Backend = import_string(path)()
    return backend


def backend() -> Backend:
    """The configured backend (one instance per process and setting)."""
    return _backend(settings.JEJAK_IDENTITY_BACKEND)


def verify(*, nik: str, full_name: str, birth_date: dt.date) -> Verification:
    """Ask the configured registry; raises IdentityServiceUnavailable if it cannot answer."""
    return backend().verify(nik=nik, full_name=full_name, birth_date=birth_date)
