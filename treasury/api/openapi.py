"""The OpenAPI document as clients need it to generate code (issue 13), fixed up once after
FastAPI builds it:

- every error response (4xx, 5xx) is `application/problem+json` with the `Problem` schema (the
  one shape `treasury.api.problems` renders), not FastAPI's `HTTPValidationError`;
- a decimal is `type: string` with the wire pattern, never `number | string`;
- `Idempotency-Key` is a required header where the server refuses a request without it;
- an XML request body (camt.053, pain.002, an ERP's pain.001) is a string of `application/xml`;
- every operation answers 500 as a problem too.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from treasury.api.deps import IDEMPOTENCY_KEY_REQUIRED_NOTE
from treasury.api.problems import PROBLEM_MEDIA_TYPE
from treasury.api.wire import DECIMAL_PATTERN, MAX_DECIMAL_CHARACTERS, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
XML_MEDIA_TYPES = ("application/xml", "text/xml")
Json = dict[str, Any]


def _is_number_or_string(node: Json) -> bool:
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2:
        return False
    types = {option.get("type") for option in options if isinstance(option, dict)}
    return types == {"number", "string"} and all(len(option) == 1 for option in options)


def decimals_as_strings(node: Any) -> None:
    """Replace every `anyOf: [number, string]` (pydantic's view of a Decimal) by a pattern-checked
    string, in place."""
    if isinstance(node, dict):
        if _is_number_or_string(node):
            del node["anyOf"]
            node["type"] = "string"
            node.setdefault("pattern", DECIMAL_PATTERN)
            node.setdefault("maxLength", MAX_DECIMAL_CHARACTERS)
        for value in node.values():
            decimals_as_strings(value)
    elif isinstance(node, list):
        for value in node:
            decimals_as_strings(value)


def _problem_responses(operation: Json) -> None:
    responses: Json = operation.setdefault("responses", {})
    responses.setdefault("500", {"description": "Internal server error"})
    for status, response in responses.items():
        if status[:1] in ("4", "5"):
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": dict(PROBLEM_REF)}}
            response.setdefault("description", "Problem")


def _idempotency_required(operation: Json) -> None:
    for parameter in operation.get("parameters", []):
        if (
            parameter.get("in") == "header"
            and parameter.get("name", "").lower() == "idempotency-key"
            and str(parameter.get("description", "")).startswith(IDEMPOTENCY_KEY_REQUIRED_NOTE)
        ):
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 200}


def _xml_bodies(operation: Json) -> None:
    content = operation.get("requestBody", {}).get("content", {})
    for media_type in XML_MEDIA_TYPES:
        if media_type in content:
            schema = content[media_type].get("schema", {})
            content[media_type]["schema"] = {
                "type": "string",
                "description": schema.get("description", "an ISO 20022 XML document"),
            }


def _short_name(name: str, taken: set[str]) -> str:
    """`treasury__api__routes__reports__PoolOut` (FastAPI's name for a second `PoolOut`) →
    `ReportsPoolOut`: a name a code generator takes."""
    parts = name.split("__")
    short = parts[-2].title().replace("_", "") + parts[-1]
    while short in taken:
        short = "_" + short
    return short


def _rename_refs(node: Any, renamed: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.rsplit("/", 1)[-1] in renamed:
            node["$ref"] = "#/components/schemas/" + renamed[ref.rsplit("/", 1)[-1]]
        for value in node.values():
            _rename_refs(value, renamed)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, renamed)


def unique_schema_names(document: Json) -> None:
    """Give the schemas FastAPI names by module path (two models of one name) short names."""
    schemas: Json = document.get("components", {}).get("schemas", {})
    renamed: dict[str, str] = {}
    for name in [name for name in schemas if "__" in name]:
        renamed[name] = _short_name(name, set(schemas) | set(renamed.values()))
    for old, new in renamed.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    _rename_refs(document, renamed)


def fix_up(document: Json) -> Json:
    """The document with problems, decimals, idempotency keys and XML bodies declared."""
    unique_schema_names(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _problem_responses(operation)
            _idempotency_required(operation)
            _xml_bodies(operation)
    decimals_as_strings(document)
    return document


def install(app: FastAPI) -> None:
    """Fix up the app's OpenAPI document whenever FastAPI (re)builds it."""
    build = app.openapi
    fixed: list[int] = []

    def openapi() -> Json:
        document = build()
        if not fixed or fixed[-1] != id(document):
            fix_up(document)
            fixed.append(id(document))
        return document

    setattr(app, "openapi", openapi)  # noqa: B010 - FastAPI's documented override
