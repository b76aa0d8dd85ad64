"""fidelity: quotas per filing, registered capital, earlier facilitation values (issue 12)

Revision ID: 2026_12_02_fidelity
Revises: 2026_12_02_reach
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from treasury.migrations.seeding import (
    delete_seeded_versions,
    restore_parameters,
    retire_parameters,
    seed_parameters,
)

PARAMETERS = "parameters_fidelity.json"

revision = "2026_12_02_fidelity"
down_revision = "2026_12_02_reach"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts_entity") as table:
        table.add_column(sa.Column("registered_capital_minor", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("registered_capital_currency", sa.String(3), nullable=True))
        table.add_column(sa.Column("last_fx_penalty_on", sa.Date(), nullable=True))
        table.add_column(
            sa.Column(
                "capital_payment_facilitation",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        table.add_column(
            sa.Column(
                "independent_legal_person", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
    with op.batch_alter_table("pooling_foreign_debt") as table:
        table.add_column(
            sa.Column("basis", sa.String(20), nullable=False, server_default="macro_prudential")
        )
    seed_parameters(PARAMETERS)
    retire_parameters(PARAMETERS)


def downgrade() -> None:
    restore_parameters(PARAMETERS)
    delete_seeded_versions(PARAMETERS)
    with op.batch_alter_table("pooling_foreign_debt") as table:
        table.drop_column("basis")
    with op.batch_alter_table("accounts_entity") as table:
        table.drop_column("independent_legal_person")
        table.drop_column("capital_payment_facilitation")
        table.drop_column("last_fx_penalty_on")
        table.drop_column("registered_capital_currency")
        table.drop_column("registered_capital_minor")
