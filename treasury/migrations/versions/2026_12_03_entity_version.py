"""entity version: a counter every change of an entity's master data moves on (issue 14)

The transfer's hot path keeps entities in process (`treasury.accounts.cache`) and checks, in its
own transaction, that the entity it holds is still the stored one by this number: a change made
by another process (another API worker, the CLI) is seen by the very next transfer. A timestamp
could not serve: two changes within one tick of the clock (a fixed clock in tests, a coarse one in
production) would look alike. Existing rows start at 1.

Revision ID: 2026_12_03_entity_version
Revises: 2026_12_03_hedge_cash_flows
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_entity_version"
down_revision = "2026_12_03_hedge_cash_flows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts_entity") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("accounts_entity") as batch:
        batch.drop_column("version")
