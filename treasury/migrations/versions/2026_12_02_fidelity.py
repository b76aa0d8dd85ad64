"""fidelity: quotas per filing, registered capital, earlier facilitation values (issue 12)

Revision ID: 2026_12_02_fidelity
Revises: 2026_12_02_reach
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_fidelity"
down_revision = "2026_12_02_reach"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
