"""settlement: participants, rails, calendar overrides, route decisions, ISO 20022 records

Revision ID: 2026_11_27_settlement
Revises: 2026_11_26_compliance
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "2026_11_27_settlement"
down_revision = "2026_11_26_compliance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
