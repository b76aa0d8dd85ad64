"""reserved for issue work in progress (bank files)

Revision ID: 2026_12_03_bank_files
Revises: 2026_12_03_money_path
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "2026_12_03_bank_files"
down_revision = "2026_12_03_money_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
