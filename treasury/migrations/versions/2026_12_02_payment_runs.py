"""payment runs and the bulk ledger path (issue 14)

Revision ID: 2026_12_02_payment_runs
Revises: 2026_12_02_corrections
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_payment_runs"
down_revision = "2026_12_02_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
