"""pooling: cash pools, members, sweeps, quotas, foreign debts, interest

Revision ID: 2026_11_27_pooling
Revises: 2026_11_27_hedging
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "2026_11_27_pooling"
down_revision = "2026_11_27_hedging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
