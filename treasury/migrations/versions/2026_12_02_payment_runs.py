"""payment runs and the bulk ledger path (issue 14)

Revision ID: 2026_12_02_payment_runs
Revises: 2026_12_02_corrections
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2026_12_02_payment_runs"
down_revision = "2026_12_02_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payments_payment_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=140), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=True),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_by_token_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenancy_tenant.id"],
            name=op.f("fk_payments_payment_run_tenant_id_tenancy_tenant"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_payment_run")),
    )
    op.create_index(
        op.f("ix_payments_payment_run_tenant_id"), "payments_payment_run", ["tenant_id"]
    )
    op.create_table(
        "payments_payment_run_item",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=True),
        sa.Column("reference", sa.String(length=35), nullable=True),
        sa.Column("error_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payments_payment_run.id"],
            name=op.f("fk_payments_payment_run_item_run_id_payments_payment_run"),
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["payments_transfer.id"],
            name=op.f("fk_payments_payment_run_item_transfer_id_payments_transfer"),
        ),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_payments_payment_run_item")),
    )
    op.create_index(
        op.f("ix_payments_payment_run_item_transfer_id"),
        "payments_payment_run_item",
        ["transfer_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_payments_payment_run_item_transfer_id"), table_name="payments_payment_run_item"
    )
    op.drop_table("payments_payment_run_item")
    op.drop_index(op.f("ix_payments_payment_run_tenant_id"), table_name="payments_payment_run")
    op.drop_table("payments_payment_run")
