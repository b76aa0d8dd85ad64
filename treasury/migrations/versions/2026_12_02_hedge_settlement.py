"""hedge settlements through the payment pipeline (issue 16)

Revision ID: 2026_12_02_hedge_settlement
Revises: 2026_12_02_fidelity_two
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_hedge_settlement"
down_revision = "2026_12_02_fidelity_two"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
