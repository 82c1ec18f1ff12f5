from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

from jejak.core.crypto import blind_index
from jejak.health.models import (
    Designation,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)

DATA = Path(__file__).parent / "data"
BUNDLE_PATH = DATA / "bundle.json"
CSV_PATH = DATA / "records.csv"

# Made-up NIKs (Kota Tangerang prefix, consistent birth dates); nobody's real number.
SITI = "3671014101900001"
BUDI = "3671020505850002"
RUDI = "3671031212000003"
DEWI = "3671045506950004"

RECORD_MODELS = (
    VaccinationDose,
    LabResult,
    Designation,
    TravelQuarantine,
    VaccinationExemption,
)


def index(nik: str) -> str:
    return blind_index(nik, purpose="nik")


def bundle() -> dict[str, Any]:
    """A fresh copy of the example bundle, to break in a test."""
    return copy.deepcopy(json.loads(BUNDLE_PATH.read_text()))


def entry(document: dict[str, Any], resource_id: str) -> dict[str, Any]:
    """The resource with `resource_id` in a bundle (to change it in place)."""
    for item in document["entry"]:
        if item["resource"].get("id") == resource_id:
            resource: dict[str, Any] = item["resource"]
            return resource
    raise KeyError(resource_id)


def upload(content: str | bytes | dict[str, Any], name: str = "upload.json") -> io.BytesIO:
    if isinstance(content, dict):
        content = json.dumps(content)
    if isinstance(content, str):
        content = content.encode()
    file = io.BytesIO(content)
    file.name = name
    return file


def stored() -> int:
    return sum(model.objects.count() for model in RECORD_MODELS)
