"""Lists, one way (DESIGN §4.4): `{items, total, next}`, a bounded `limit`, an opaque keyset
`cursor`, a stable order, `Accept: text/csv` for the same rows, and 422 `UNKNOWN_PARAMETER` for
a query parameter the endpoint does not take.

A list route takes `ListQueryDep`, reads its page through `page_request` (a service pages in the
database with `treasury.db.paging.keyset_page`, or in memory with `sequence_page`), and answers
`respond(query, page, render, model)`.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from treasury.db.paging import Page, PageRequest, SortKey
from treasury.errors import UnknownParameter, ValidationFailed

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
CSV_MEDIA_TYPE = "text/csv"
MAX_CURSOR_CHARACTERS = 1024

# OWASP "CSV injection": a cell a spreadsheet would read as a formula starts with one of these.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class ItemPage(BaseModel, Generic[T]):
    """A page of a list: its items, the number of items the whole (filtered) list holds, and
    the cursor of the next page (null on the last)."""

    items: list[T]
    total: int = Field(ge=0, description="items in the whole filtered list, all pages")
    next: str | None = Field(
        description="opaque cursor: pass it as `cursor` for the next page; null on the last page"
    )


# -- unknown query parameters ---------------------------------------------------------------


def _declared(dependant: Dependant, names: set[str]) -> set[str]:
    names.update(param.alias for param in dependant.query_params)
    for sub in dependant.dependencies:
        _declared(sub, names)
    return names


async def refuse_unknown_parameters(request: Request) -> None:
    """422 `UNKNOWN_PARAMETER` when the query names a parameter the route does not declare."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    declared = _declared(dependant, set())  # a few dozen names: cheaper than any cache
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        raise UnknownParameter(
            f"unknown query parameter {unknown[0]!r}; this endpoint takes "
            f"{', '.join(sorted(declared)) or 'none'}",
            parameter=unknown[0],
            allowed=sorted(declared),
        )


# -- the list query ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    """What the caller asked of a list: the page and the representation."""

    page: PageRequest
    csv: bool


def _cursor_key(cursor: str) -> SortKey:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as error:
        raise ValidationFailed("the cursor is not one this list handed out") from error
    if not isinstance(key, list) or not all(isinstance(part, str) for part in key) or not key:
        raise ValidationFailed("the cursor is not one this list handed out")
    return tuple(key)


def cursor_of(key: SortKey | None) -> str | None:
    """The opaque cursor for a sort key."""
    if key is None:
        return None
    text = json.dumps(list(key), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    media_types = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    return CSV_MEDIA_TYPE in media_types and "application/json" not in media_types[:1]


def list_query(
    request: Request,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (default {DEFAULT_LIMIT})")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_CHARACTERS,
            description="the `next` of the previous page; absent for the first page",
        ),
    ] = None,
) -> ListQuery:
    """The page asked for; `Accept: text/csv` asks for CSV."""
    after = None if cursor is None else _cursor_key(cursor)
    return ListQuery(page=PageRequest(limit=limit, after=after), csv=_wants_csv(request))


ListQueryDep = Annotated[ListQuery, Depends(list_query)]


# -- the answer -------------------------------------------------------------------------------


def _flatten(value: Any, prefix: str, into: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        if not value and prefix:
            into[prefix] = ""
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list):
        into[prefix] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        into[prefix] = value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_TRIGGERS) and not _is_plain_number(text):
        return "'" + text
    return text


def _is_plain_number(text: str) -> bool:
    """A negative amount ("-1250.00") is data, not a formula: it keeps its sign."""
    body = text[1:] if text.startswith("-") else None
    return bool(body) and body.replace(".", "", 1).isdigit()  # type: ignore[union-attr]


def _columns(rows: Iterable[dict[str, Any]], model: type[BaseModel] | None) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    if not columns and model is not None:
        columns.update(dict.fromkeys(model.model_fields))
    return list(columns)


def csv_text(documents: Sequence[Any], *, item_model: type[BaseModel] | None, column: str) -> str:
    """Rows as CSV: a header row, nested fields as dotted columns (`amount.amount`), lists as
    JSON text, decimals as their text, formula-looking cells prefixed with `'` (OWASP)."""
    rows: list[dict[str, Any]] = []
    for document in documents:
        row: dict[str, Any] = {}
        _flatten(document if isinstance(document, Mapping) else {column: document}, "", row)
        rows.append(row)
    columns = _columns(rows, item_model) if item_model is not None else [column]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(name) for name in columns])
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in columns])
    return buffer.getvalue()


def respond(
    query: ListQuery,
    page: Page[R],
    render: Callable[[R], Any],
    model: type[ItemPage[Any]],
    *,
    scalar_column: str = "value",
    **extra: Any,
) -> Response:
    """The page as `model` JSON, or as CSV (with `X-Total-Count` and `X-Next-Cursor` headers)."""
    body = model(
        items=[render(row) for row in page.rows],
        total=page.total,
        next=cursor_of(page.next_key),
        **extra,
    )
    if not query.csv:
        return JSONResponse(body.model_dump(mode="json"))
    document = body.model_dump(mode="json")
    item_type = model.model_fields["items"].annotation
    item_model = _item_model(item_type)
    headers = {"X-Total-Count": str(page.total)}
    if body.next is not None:
        headers["X-Next-Cursor"] = body.next
    return Response(
        csv_text(document["items"], item_model=item_model, column=scalar_column),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers=headers,
    )


def _item_model(annotation: Any) -> type[BaseModel] | None:
    arguments = getattr(annotation, "__args__", ())
    item = arguments[0] if arguments else None
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the page as JSON, or with `Accept: text/csv` the same rows as CSV",
        "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}
