"""treasurer's workspace: group view, ladder (issue 13)

The group view's reference-rate age limit (an effective-dated house parameter), and an index
that lets the liquidity ladder read a tenant's postings of a few value dates without scanning
the tenant's whole history.

Revision ID: 2026_12_02_workspace
Revises: 2026_12_02_hedge_settlement
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from treasury.migrations.seeding import delete_parameters, seed_parameters

PARAMETERS = "parameters_positions.json"

revision = "2026_12_02_workspace"
down_revision = "2026_12_02_hedge_settlement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_posting_tenant_value", "ledger_posting", ["tenant_id", "value_date"])
    seed_parameters(PARAMETERS)


def downgrade() -> None:
    delete_parameters(PARAMETERS)
    op.drop_index("ix_ledger_posting_tenant_value", table_name="ledger_posting")
