"""corrections: cancelling, suspense classification, reversal reasons, quoted rates (issue 13)

Revision ID: 2026_12_02_corrections
Revises: 2026_12_02_workspace
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_corrections"
down_revision = "2026_12_02_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
