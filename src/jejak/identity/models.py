"""The resident registry extract that the `registry_file` backend verifies NIKs against.

One row per resident, imported from the civil registry's CSV (`jejak import-registry`).
The NIK is kept as people/ keeps it: encrypted, and looked up by its keyed hash; the
family card (KK) number only as a keyed hash, since Jejak needs to compare it, never to
show it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy


def nik_aad(index: str) -> bytes:
    """Associated data of a resident's encrypted NIK: the row's NIK index rather than its
    id, since it is known before a bulk insert and stays the same across re-imports (the
    upsert key), and it differs per row, so a blob copied onto another resident does not
    decrypt there."""
    return b"identity.nik:" + index.encode("ascii")


class Resident(models.Model):
    nik_index = models.CharField(max_length=64, unique=True)
    nik_encrypted = models.BinaryField()
    full_name = models.CharField(max_length=150)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1)
    family_card_index = models.CharField(max_length=64, db_index=True)
    region_code = models.CharField(max_length=13)
    died_on = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "penduduk")
        verbose_name_plural = pgettext_lazy("model name plural", "penduduk")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"resident {self.pk} ({self.region_code})"
