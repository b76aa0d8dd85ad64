"""regulatory fidelity round two remainder (issue 12): the outbound-lending currency factor

Revision ID: 2026_12_02_fidelity_two
Revises: 2026_12_02_hedge_book
Create Date: 2026-12-02
"""

from __future__ import annotations

from treasury.migrations.seeding import delete_seeded_versions, seed_parameters

PARAMETERS = "parameters_fidelity_two.json"

revision = "2026_12_02_fidelity_two"
down_revision = "2026_12_02_hedge_book"
branch_labels = None
depends_on = None


def upgrade() -> None:
    seed_parameters(PARAMETERS)


def downgrade() -> None:
    delete_seeded_versions(PARAMETERS)
