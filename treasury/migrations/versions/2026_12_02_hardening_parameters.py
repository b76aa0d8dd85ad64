"""hardening parameters: input bounds that are dated data (e.g. the furthest forward value date)

Revision ID: 2026_12_02_hardening_parameters
Revises: 2026_12_02_ledger_guards
Create Date: 2026-12-02
"""

from __future__ import annotations

from treasury.migrations.seeding import delete_parameters, seed_parameters

PARAMETERS = "parameters_payments.json"

revision = "2026_12_02_hardening_parameters"
down_revision = "2026_12_02_ledger_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    seed_parameters(PARAMETERS)


def downgrade() -> None:
    delete_parameters(PARAMETERS)
