"""reach: addresses, generic rails from any sending bank, offshore corridors (issue 10)

Revision ID: 2026_12_02_reach
Revises: 2026_12_02_hardening_parameters
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_reach"
down_revision = "2026_12_02_hardening_parameters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
