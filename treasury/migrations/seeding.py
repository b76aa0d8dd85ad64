"""Reference-data seeds loaded by migrations, from the files in `treasury/refdata/seed/`."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

SEED = Path(__file__).resolve().parent.parent / "refdata" / "seed"


def _parameter_table() -> sa.TableClause:
    """`refdata_parameter` as the seeds write it (the migration's view, not today's model)."""
    return sa.table(
        "refdata_parameter",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("value_json", sa.Text),
        sa.column("effective_from", sa.Date),
        sa.column("source", sa.String),
        sa.column("version", sa.Integer),
        sa.column("loaded_at", sa.DateTime(timezone=True)),
    )


def seed_parameters(file_name: str) -> None:
    """Every parameter in a seed file, with its source note: version 1 unless the item names
    its version (a correction of an earlier seed's value on the same date)."""
    table = _parameter_table()
    loaded_at = datetime.now(UTC)
    seed = json.loads((SEED / file_name).read_text(encoding="utf-8"))
    op.bulk_insert(
        table,
        [
            {
                "id": str(uuid.uuid4()),
                "name": item["name"],
                "value_json": json.dumps(item["value"], sort_keys=True),
                "effective_from": date.fromisoformat(item["effective_from"]),
                "source": item["source"],
                "version": item.get("version", 1),
                "loaded_at": loaded_at,
            }
            for item in seed["parameters"]
        ],
    )


def delete_parameters(file_name: str) -> None:
    """Remove the seeded version-1 rows of a seed file's parameters.

    Versions an operator loaded later stay: a downgrade undoes the migration, not their work.
    """
    seed = json.loads((SEED / file_name).read_text(encoding="utf-8"))
    names = sorted({item["name"] for item in seed["parameters"]})
    table = sa.table(
        "refdata_parameter", sa.column("name", sa.String), sa.column("version", sa.Integer)
    )
    op.execute(table.delete().where(table.c.name.in_(names), table.c.version == 1))


def delete_seeded_versions(file_name: str) -> None:
    """Remove exactly the rows a seed file inserted, by (name, effective_from, version).

    For a file that adds dated versions to parameters another file seeded first: the earlier
    file's rows of the same names stay.
    """
    seed = json.loads((SEED / file_name).read_text(encoding="utf-8"))
    table = sa.table(
        "refdata_parameter",
        sa.column("name", sa.String),
        sa.column("effective_from", sa.Date),
        sa.column("version", sa.Integer),
    )
    for item in seed["parameters"]:
        op.execute(
            table.delete().where(
                table.c.name == item["name"],
                table.c.effective_from == date.fromisoformat(item["effective_from"]),
                table.c.version == item.get("version", 1),
            )
        )


def retire_parameters(file_name: str) -> None:
    """Delete the version-1 rows of the parameters a seed file lists under `retired` (seeded by
    an earlier file and read nowhere)."""
    table = sa.table(
        "refdata_parameter", sa.column("name", sa.String), sa.column("version", sa.Integer)
    )
    for item in json.loads((SEED / file_name).read_text(encoding="utf-8")).get("retired", []):
        op.execute(table.delete().where(table.c.name == item["name"], table.c.version == 1))


def restore_parameters(file_name: str) -> None:
    """Seed again, from the files they came from, the parameters `retire_parameters` deleted."""
    table = _parameter_table()
    for item in json.loads((SEED / file_name).read_text(encoding="utf-8")).get("retired", []):
        seeded = json.loads((SEED / item["file"]).read_text(encoding="utf-8"))["parameters"]
        op.bulk_insert(
            table,
            [
                {
                    "id": str(uuid.uuid4()),
                    "name": row["name"],
                    "value_json": json.dumps(row["value"], sort_keys=True),
                    "effective_from": date.fromisoformat(row["effective_from"]),
                    "source": row["source"],
                    "version": 1,
                    "loaded_at": datetime.now(UTC),
                }
                for row in seeded
                if row["name"] == item["name"]
            ],
        )


def seed_bop_table(file_name: str, *, version: str, effective_from: date, source: str) -> None:
    """A BOP code table from a CSV file (code,name_zh,name_en,category,account,directions,notes)."""
    op.bulk_insert(
        sa.table(
            "refdata_bop_code_table",
            sa.column("version", sa.String),
            sa.column("effective_from", sa.Date),
            sa.column("source", sa.String),
            sa.column("loaded_at", sa.DateTime(timezone=True)),
        ),
        [
            {
                "version": version,
                "effective_from": effective_from,
                "source": source,
                "loaded_at": datetime.now(UTC),
            }
        ],
    )
    columns = ("code", "name_zh", "name_en", "category", "account", "directions", "notes")
    with (SEED / file_name).open(encoding="utf-8", newline="") as handle:
        rows = [
            {
                **{column: (row.get(column) or "").strip() for column in columns},
                "table_version": version,
            }
            for row in csv.DictReader(handle)
        ]
    op.bulk_insert(
        sa.table(
            "refdata_bop_code",
            sa.column("table_version", sa.String),
            *(sa.column(column, sa.String) for column in columns),
        ),
        rows,
    )


def seed_documents(file_name: str, table_name: str, key: str, items: str) -> None:
    """Version 1 of each participant or rail of a seed file, with the file's source note."""
    seed = json.loads((SEED / file_name).read_text(encoding="utf-8"))
    table = sa.table(
        table_name,
        sa.column("id", sa.String),
        sa.column(key, sa.String),
        sa.column("version", sa.Integer),
        sa.column("document_json", sa.Text),
        sa.column("effective_from", sa.Date),
        sa.column("source", sa.String),
        sa.column("loaded_at", sa.DateTime(timezone=True)),
    )
    loaded_at = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "id": str(uuid.uuid4()),
                key: item["bic" if key == "bic" else "id"],
                "version": 1,
                "document_json": json.dumps(item, sort_keys=True, ensure_ascii=False),
                "effective_from": date.fromisoformat(seed["effective_from"]),
                "source": (item.get("source_note") or seed["source_document"])[:500],
                "loaded_at": loaded_at,
            }
            for item in seed[items]
        ],
    )


def delete_documents(file_name: str, table_name: str, key: str, items: str) -> None:
    """Remove the seeded version-1 rows of a seed file's participants or rails.

    Versions an operator loaded later stay: a downgrade undoes the migration, not their work.
    """
    seed = json.loads((SEED / file_name).read_text(encoding="utf-8"))
    keys = sorted(item["bic" if key == "bic" else "id"] for item in seed[items])
    table = sa.table(table_name, sa.column(key, sa.String), sa.column("version", sa.Integer))
    op.execute(table.delete().where(table.c[key].in_(keys), table.c.version == 1))
