"""regulatory fidelity round two remainder (issue 12): the outbound-lending currency factor, the
partner bank's province

Revision ID: 2026_12_02_fidelity_two
Revises: 2026_12_02_hedge_book
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from treasury.migrations.seeding import delete_seeded_versions, seed_parameters

PARAMETERS = "parameters_fidelity_two.json"

revision = "2026_12_02_fidelity_two"
down_revision = "2026_12_02_hedge_book"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts_bank_account") as table:
        table.add_column(sa.Column("branch_subdivision", sa.String(35), nullable=True))
    seed_parameters(PARAMETERS)


def downgrade() -> None:
    delete_seeded_versions(PARAMETERS)
    with op.batch_alter_table("accounts_bank_account") as table:
        table.drop_column("branch_subdivision")
