"""reserved for issue work in progress (hedge cash flows)

Revision ID: 2026_12_03_hedge_cash_flows
Revises: 2026_12_02_transfer_listing
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "2026_12_03_hedge_cash_flows"
down_revision = "2026_12_02_transfer_listing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
