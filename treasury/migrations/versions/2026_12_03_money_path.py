"""reserved for issue work in progress (money path)

Revision ID: 2026_12_03_money_path
Revises: 2026_12_03_hedge_cash_flows
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "2026_12_03_money_path"
down_revision = "2026_12_03_hedge_cash_flows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
