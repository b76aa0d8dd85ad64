"""treasurer's workspace: group view, ladder (issue 13)

Revision ID: 2026_12_02_workspace
Revises: 2026_12_02_hedge_settlement
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_workspace"
down_revision = "2026_12_02_hedge_settlement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
