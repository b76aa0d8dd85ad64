"""hedge book: combinations, gross delivery, swaps, market-data feed (issue 16)

Revision ID: 2026_12_02_hedge_book
Revises: 2026_12_02_fidelity
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from treasury.migrations.seeding import delete_parameters, seed_parameters

PARAMETERS = "parameters_hedge_book.json"

revision = "2026_12_02_hedge_book"
down_revision = "2026_12_02_fidelity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # "combination" (11 characters) is an instrument type.
    with op.batch_alter_table("hedging_hedge") as batch:
        batch.alter_column(
            "instrument_type",
            existing_type=sa.String(length=10),
            type_=sa.String(length=12),
            existing_nullable=False,
        )
    with op.batch_alter_table("hedging_hedge") as batch:
        batch.add_column(sa.Column("delivery_account_id", sa.String(length=36), nullable=True))
    # What a settled deal moved in cash on its settlement date (hedge accounting's recycling).
    with op.batch_alter_table("hedging_valuation") as batch:
        batch.add_column(sa.Column("settlement_minor", sa.BigInteger(), nullable=True))
    seed_parameters(PARAMETERS)


def downgrade() -> None:
    delete_parameters(PARAMETERS)
    with op.batch_alter_table("hedging_valuation") as batch:
        batch.drop_column("settlement_minor")
    with op.batch_alter_table("hedging_hedge") as batch:
        batch.drop_column("delivery_account_id")
    with op.batch_alter_table("hedging_hedge") as batch:
        batch.alter_column(
            "instrument_type",
            existing_type=sa.String(length=12),
            type_=sa.String(length=10),
            existing_nullable=False,
        )
