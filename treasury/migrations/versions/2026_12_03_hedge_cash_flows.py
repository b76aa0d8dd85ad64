"""hedge cash flows: an option's premium paid to (or received from) the dealing bank (issue 16)

A bought option's premium, or a combination's net premium, as the hedge keeps it: the amount and
its currency, whether the entity pays or receives it, its date, the entity's account that pays or
receives it, the payment pipeline's transfer that pays it and where that stands, and the date of
the revaluation that put it into the deal's value (null until then). A held swap's near leg keeps
its transfer (the far leg's delivery keeps its own in `delivery_transfer_id`).

Revision ID: 2026_12_03_hedge_cash_flows
Revises: 2026_12_02_transfer_listing
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_hedge_cash_flows"
down_revision = "2026_12_02_transfer_listing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hedging_hedge") as batch:
        batch.add_column(sa.Column("premium_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("premium_currency", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("premium_direction", sa.String(length=7), nullable=True))
        batch.add_column(sa.Column("premium_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("premium_account_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("premium_transfer_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("premium_status", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("premium_recognised_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("near_transfer_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("near_status", sa.String(length=12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hedging_hedge") as batch:
        batch.drop_column("near_status")
        batch.drop_column("near_transfer_id")
        batch.drop_column("premium_recognised_on")
        batch.drop_column("premium_status")
        batch.drop_column("premium_transfer_id")
        batch.drop_column("premium_account_id")
        batch.drop_column("premium_date")
        batch.drop_column("premium_direction")
        batch.drop_column("premium_currency")
        batch.drop_column("premium_minor")
