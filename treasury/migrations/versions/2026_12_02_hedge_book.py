"""hedge book: combinations, gross delivery, swaps, market-data feed (issue 16)

Revision ID: 2026_12_02_hedge_book
Revises: 2026_12_02_fidelity
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_hedge_book"
down_revision = "2026_12_02_fidelity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
