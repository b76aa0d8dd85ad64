"""hedging: market data snapshots, exposures, hedges, valuations, revaluation runs

Revision ID: 2026_11_27_hedging
Revises: 2026_11_27_settlement
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "2026_11_27_hedging"
down_revision = "2026_11_27_settlement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
