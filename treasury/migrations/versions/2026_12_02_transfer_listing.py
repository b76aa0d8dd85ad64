"""transfers listed newest first by tenant (issue 13: lists page by keyset)

`GET /v1/transfers` pages a tenant's transfers by (created_at desc, id): without an index on
(tenant_id, created_at) every page sorted the tenant's whole history.

Revision ID: 2026_12_02_transfer_listing
Revises: 2026_12_02_payment_runs
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_02_transfer_listing"
down_revision = "2026_12_02_payment_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_payments_transfer_tenant_created",
        "payments_transfer",
        ["tenant_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_payments_transfer_tenant_created", table_name="payments_transfer")
