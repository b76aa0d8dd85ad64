"""hedge settlements through the payment pipeline (issue 16)

Revision ID: 2026_12_02_hedge_settlement
Revises: 2026_12_02_fidelity_two
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_02_hedge_settlement"
down_revision = "2026_12_02_fidelity_two"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A gross delivery is a transfer of the pipeline: which one, where it stands (held for an
    # officer, delivered, rejected, lapsed), how much of the base it delivered (the real-demand
    # flow) and the deal's settled value while an officer decides. "undelivered" (11 characters)
    # is a hedge status.
    with op.batch_alter_table("hedging_hedge") as batch:
        batch.alter_column(
            "status",
            existing_type=sa.String(length=10),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
        batch.add_column(sa.Column("delivery_transfer_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("delivery_status", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("delivered_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("settled_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("settled_on", sa.Date(), nullable=True))
        # The dealing bank as a counterparty: a net settlement the entity owes is paid to it.
        batch.add_column(sa.Column("counterparty_id", sa.String(length=36), nullable=True))
    # Forwards delivered before this revision delivered their whole notional.
    op.execute(
        "UPDATE hedging_hedge SET delivery_status = 'delivered', delivered_minor = notional_minor "
        "WHERE status = 'matured' AND delivery_account_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("UPDATE hedging_hedge SET status = 'live' WHERE status IN ('held', 'undelivered')")
    with op.batch_alter_table("hedging_hedge") as batch:
        batch.drop_column("counterparty_id")
        batch.drop_column("settled_on")
        batch.drop_column("settled_minor")
        batch.drop_column("delivered_minor")
        batch.drop_column("delivery_status")
        batch.drop_column("delivery_transfer_id")
        batch.alter_column(
            "status",
            existing_type=sa.String(length=16),
            type_=sa.String(length=10),
            existing_nullable=False,
        )
