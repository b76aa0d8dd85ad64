"""corrections: cancelling, suspense classification, reversal reasons, quoted rates (issue 13)

Revision ID: 2026_12_02_corrections
Revises: 2026_12_02_workspace
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from treasury.db.types import DecimalText, IdColumnType, UtcDateTime
from treasury.migrations.seeding import delete_parameters, seed_parameters

PARAMETERS = "parameters_corrections.json"

revision = "2026_12_02_corrections"
down_revision = "2026_12_02_workspace"
branch_labels = None
depends_on = None

# Nullable columns only, added in place (ALTER TABLE … ADD COLUMN on both backends): the ledger's
# entry table keeps its append-only triggers, which a SQLite table copy would drop.
_COLUMNS: dict[str, list[sa.Column[object]]] = {
    "payments_transfer": [
        sa.Column("fx_quote_pair", sa.String(6)),
        sa.Column("fx_quote_rate", DecimalText()),
        sa.Column("cancellation_reason", sa.String(500)),
        sa.Column("cancelled_by", sa.String(200)),
        sa.Column("cancelled_at", UtcDateTime()),
        sa.Column("cancellation_entry_id", IdColumnType()),
    ],
    "ledger_journal_entry": [sa.Column("reason", sa.String(500))],
    "accounts_statement_line": [
        sa.Column("classified_transfer_id", IdColumnType()),
        sa.Column("classified_ledger_account_id", IdColumnType()),
        sa.Column("classification_entry_id", IdColumnType()),
        sa.Column("classification_reason", sa.String(500)),
        sa.Column("classified_by", sa.String(200)),
        sa.Column("classified_at", UtcDateTime()),
    ],
}


def upgrade() -> None:
    for table, columns in _COLUMNS.items():
        for column in columns:
            op.add_column(table, column)
    seed_parameters(PARAMETERS)


def downgrade() -> None:
    delete_parameters(PARAMETERS)
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table, recreate="never") as batch:
            for column in reversed(columns):
                batch.drop_column(column.name)
