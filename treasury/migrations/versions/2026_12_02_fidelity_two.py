"""regulatory fidelity round two remainder (issue 12): the outbound-lending currency factor, the
partner bank's province, restored records of centralised current-account flows

Revision ID: 2026_12_02_fidelity_two
Revises: 2026_12_02_hedge_book
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from treasury.db.types import UtcDateTime
from treasury.migrations.seeding import delete_seeded_versions, seed_parameters

PARAMETERS = "parameters_fidelity_two.json"

revision = "2026_12_02_fidelity_two"
down_revision = "2026_12_02_hedge_book"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts_bank_account") as table:
        table.add_column(sa.Column("branch_subdivision", sa.String(35), nullable=True))
    _restored_records()
    seed_parameters(PARAMETERS)


def _restored_records() -> None:
    op.create_table(
        "pooling_restored_record",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bop_code", sa.String(length=6), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["pooling_pool.id"],
            name=op.f("fk_pooling_restored_record_pool_id_pooling_pool"),
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["payments_transfer.id"],
            name=op.f("fk_pooling_restored_record_transfer_id_payments_transfer"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["accounts_entity.id"],
            name=op.f("fk_pooling_restored_record_entity_id_accounts_entity"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooling_restored_record")),
        sa.UniqueConstraint(
            "transfer_id", "line_no", name=op.f("uq_pooling_restored_record_transfer_id_line_no")
        ),
    )
    for column in ("tenant_id", "pool_id"):
        op.create_index(
            op.f(f"ix_pooling_restored_record_{column}"), "pooling_restored_record", [column]
        )


def downgrade() -> None:
    delete_seeded_versions(PARAMETERS)
    op.drop_table("pooling_restored_record")
    with op.batch_alter_table("accounts_bank_account") as table:
        table.drop_column("branch_subdivision")
