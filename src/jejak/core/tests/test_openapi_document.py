"""The OpenAPI document names every answer an operation can get: its own refusals, which
each operation declares, and those the API root answers for any operation (401, 422,
control characters, broken bodies, the database down), which `jejak/api.py` adds. The
fuzzing gate (test_fuzz_api.py) holds a live server's answers to this document."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from jejak.api import api

DOCUMENT = api.get_openapi_schema()
ERROR = "#/components/schemas/ErrorOut"
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]


def _error_statuses(operation: dict[str, Any]) -> set[int]:
    """The statuses whose JSON body may be the API's error shape."""
    found = set()
    for status, response in operation["responses"].items():
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        refs = [schema.get("$ref"), *(s.get("$ref") for s in schema.get("anyOf", []))]
        if ERROR in refs:
            found.add(int(status))
    return found


def test_the_error_shape_is_a_code_and_a_message():
    error = DOCUMENT["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"code", "message"}


def test_every_operation_documents_what_the_api_root_answers():
    assert len(OPERATIONS) > 60
    for name, operation in OPERATIONS:
        media_types = set(operation.get("requestBody", {}).get("content", {}))
        expected = {400, 503}  # control characters; a database that fails
        if operation.get("security"):
            expected.add(401)
        if operation.get("parameters") or media_types:
            expected.add(422)
        if "{" in name:
            expected.add(404)  # a path parameter of the wrong form names no operation
        if "application/json" in media_types:
            expected.add(415)
        assert expected <= _error_statuses(operation), name


def test_an_operation_keeps_its_own_declaration_of_a_status():
    # Found by the fuzzing gate: the health import's own refusals (`no_file`) and the
    # root's (a broken multipart body) are errors, its report of a failed import is not.
    responses = DOCUMENT["paths"]["/api/v1/health/import"]["post"]["responses"]
    shapes = responses[400]["content"]["application/json"]["schema"]["anyOf"]
    assert {s["$ref"].rsplit("/", 1)[1] for s in shapes} == {"ImportFailedOut", "ErrorOut"}
    assert responses[403]["content"]["application/json"]["schema"]["$ref"] == ERROR


def test_a_file_download_documents_its_media_types():
    # Found by the fuzzing gate: the contact export's 200 was not in the document.
    export = DOCUMENT["paths"]["/api/v1/tracing/cases/{case_id}/export"]["get"]
    assert "text/csv" in export["responses"][200]["content"]


def _models(base: type[BaseModel]) -> list[type[BaseModel]]:
    found = []
    for model in base.__subclasses__():
        found += [model, *_models(model)]
    return found


def test_no_two_schemas_of_the_api_share_a_name():
    # Found by the fuzzing gate: the document names its components by class, so the QR
    # verification's VerifyIn and VerifyOut replaced sign-in's (/auth/verify documented
    # a body {qr} and an answer without its token), the check-in answer's VenueOut the
    # venue API's, and tracing's PersonOut the visitor's profile.
    shapes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for model in _models(BaseModel):
        module = model.__module__
        if module.startswith("jejak.") and (module.endswith(".api") or "api_" in module):
            schema = model.model_json_schema()
            schema.pop("description", None)  # a docstring: the fields are what clients read
            shape = json.dumps(schema, sort_keys=True)
            shapes[model.__name__][shape].append(module)
    assert {"VerifyIn", "VenueOut", "ErrorOut"} <= set(shapes)
    clashes = {name: list(found.values()) for name, found in shapes.items() if len(found) > 1}
    assert clashes == {}
