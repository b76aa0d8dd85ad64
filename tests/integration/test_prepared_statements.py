"""Prepared statements (`treasury.db.prepared`, issue 14): what they write and read is what
SQLAlchemy's own execution writes and reads, their errors are SQLAlchemy's, and what they cannot
do is refused when they are compiled, not discovered in production."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Engine,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement

from treasury.db.prepared import Prepared
from treasury.db.types import DecimalText, UtcDateTime

_METADATA = MetaData()
_SAMPLE = Table(
    f"test_prepared_{uuid.uuid4().hex[:8]}",
    _METADATA,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("value_date", Date, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("rate", DecimalText, nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
)
_ROW_KEYS = ("id", "kind", "value_date", "at", "rate", "amount_minor")


@pytest.fixture(scope="module")
def sample(engine: Engine) -> Iterator[Table]:
    _METADATA.create_all(engine)
    yield _SAMPLE
    _METADATA.drop_all(engine)


def _row(**fields: object) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "bank",
        "value_date": date(2028, 2, 29),
        # 08:30 in Shanghai: stored as 00:30 UTC, as SQLAlchemy stores it.
        "at": datetime(2026, 12, 3, 8, 30, tzinfo=timezone(timedelta(hours=8))),
        "rate": Decimal("7.123456789"),
        "amount_minor": 9_223_372_036_854_775_807,
        **fields,
    }


def test_what_a_prepared_insert_writes_reads_back_as_sqlalchemy_wrote_it(
    engine: Engine, sample: Table
) -> None:
    prepared, plain = _row(), _row()
    with Session(engine) as session:
        Prepared(insert(sample), _ROW_KEYS).run(session, [prepared])
        session.execute(insert(sample), [plain])
        session.commit()
    with Session(engine) as session:
        stored = {row.id: row._asdict() for row in session.execute(select(sample)).all()}
    for written in (prepared, plain):
        read = stored[str(written["id"])]
        assert read["value_date"] == date(2028, 2, 29)
        assert read["at"] == datetime(2026, 12, 3, 0, 30, tzinfo=UTC)
        assert read["rate"] == Decimal("7.123456789")
        assert read["amount_minor"] == 9_223_372_036_854_775_807
    assert {k: v for k, v in stored[str(prepared["id"])].items() if k != "id"} == {
        k: v for k, v in stored[str(plain["id"])].items() if k != "id"
    }


def test_a_prepared_select_binds_dates_and_constants_and_many_rows_go_in_at_once(
    engine: Engine, sample: Table
) -> None:
    marker = uuid.uuid4().hex[:16]  # this test's rows only
    rows = [
        _row(kind=marker, value_date=date(2026, 12, day), amount_minor=day) for day in (1, 2, 3)
    ]
    later = Prepared(
        select(sample.c.amount_minor)
        .where(
            sample.c.value_date > bindparam("after"),
            sample.c.kind == marker,  # a value the statement holds
        )
        .order_by(sample.c.value_date),
        ("after",),
    )
    with Session(engine) as session:
        Prepared(insert(sample), _ROW_KEYS).run(session, rows)
        assert later.rows(session, {"after": date(2026, 12, 1)}) == [(2,), (3,)]
        session.rollback()


def test_a_prepared_update_moves_each_row_given(engine: Engine, sample: Table) -> None:
    rows = [_row(amount_minor=100), _row(amount_minor=200)]
    move = Prepared(
        update(sample)
        .where(sample.c.id == bindparam("row_id"))
        .values(amount_minor=sample.c.amount_minor + bindparam("change")),
        ("row_id", "change"),
    )
    with Session(engine) as session:
        Prepared(insert(sample), _ROW_KEYS).run(session, rows)
        move.run(
            session,
            [{"row_id": rows[0]["id"], "change": -30}, {"row_id": rows[1]["id"], "change": 5}],
        )
        ids = [str(row["id"]) for row in rows]
        query = (
            select(sample.c.amount_minor)
            .where(sample.c.id.in_(ids))
            .order_by(sample.c.amount_minor)
        )
        assert list(session.scalars(query)) == [70, 205]
        session.rollback()


def test_a_duplicate_raises_sqlalchemys_integrity_error_with_the_drivers_error(
    engine: Engine, sample: Table
) -> None:
    row = _row()
    with Session(engine) as session:
        Prepared(insert(sample), _ROW_KEYS).run(session, [row])
        with pytest.raises(IntegrityError) as raised:
            Prepared(insert(sample), _ROW_KEYS).run(session, [row])
        assert type(raised.value.orig).__module__.split(".")[0] in {"sqlite3", "psycopg"}
        session.rollback()


@pytest.mark.parametrize(
    ("statement", "keys", "refusal"),
    [
        (
            select(_SAMPLE.c.id).where(_SAMPLE.c.id.in_(bindparam("ids", expanding=True))),
            ("ids",),
            "expanding IN",
        ),
        (select(_SAMPLE.c.id).where(_SAMPLE.c.id == bindparam("wanted")), (), "no value"),
        (select(_SAMPLE.c.value_date), (), "only text and whole numbers"),
        (
            insert(
                Table(
                    "with_default",
                    MetaData(),
                    Column("n", BigInteger, default=0),
                    Column("k", String(3)),
                )
            ),
            ("k",),
            "Python-side defaults",
        ),
    ],
)
def test_what_a_prepared_statement_cannot_do_is_refused_when_compiled(
    engine: Engine, statement: ClauseElement, keys: tuple[str, ...], refusal: str
) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match=refusal):
        Prepared(statement, keys).rows(session, {})


def test_a_value_the_statement_does_not_take_is_refused_not_dropped(
    engine: Engine, sample: Table
) -> None:
    without_rate = tuple(key for key in _ROW_KEYS if key != "rate")
    with Session(engine) as session, pytest.raises(ValueError, match="rate"):
        Prepared(insert(sample), without_rate).run(session, [_row()])
