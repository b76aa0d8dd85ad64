"""regulatory fidelity round two remainder (issue 12)

Revision ID: 2026_12_02_fidelity_two
Revises: 2026_12_02_hedge_book
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_fidelity_two"
down_revision = "2026_12_02_hedge_book"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
