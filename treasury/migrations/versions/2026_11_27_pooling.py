"""pooling: cash pools, members, sweeps, quotas, foreign debts, interest

Revision ID: 2026_11_27_pooling
Revises: 2026_11_27_hedging
Create Date: 2026-11-27

Every quota coefficient (pool251.*, pool279.*, cbf.*, facil.*) is seeded, effective-dated, by the
foundation revision from refdata/seed/parameters.json; this revision adds the pooling tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from treasury.db.types import DecimalText, UtcDateTime

revision = "2026_11_27_pooling"
down_revision = "2026_11_27_hedging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pooling_foreign_debt",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("lender", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("outstanding_minor", sa.BigInteger(), nullable=False),
        sa.Column("drawdown_date", sa.Date(), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["accounts_entity.id"],
            name=op.f("fk_pooling_foreign_debt_entity_id_accounts_entity"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooling_foreign_debt")),
    )
    op.create_index(
        op.f("ix_pooling_foreign_debt_entity_id"),
        "pooling_foreign_debt",
        ["entity_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_pooling_foreign_debt_tenant_id"),
        "pooling_foreign_debt",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "pooling_foreign_debt_repayment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("debt_id", sa.String(length=36), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("repayment_date", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["debt_id"],
            ["pooling_foreign_debt.id"],
            name=op.f("fk_pooling_foreign_debt_repayment_debt_id_pooling_foreign_debt"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooling_foreign_debt_repayment")),
    )
    op.create_index(
        op.f("ix_pooling_foreign_debt_repayment_debt_id"),
        "pooling_foreign_debt_repayment",
        ["debt_id"],
        unique=False,
    )
    op.create_table(
        "pooling_pool",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("master_account_id", sa.String(length=36), nullable=False),
        sa.Column("host_entity_id", sa.String(length=36), nullable=False),
        sa.Column("filing_ref", sa.String(length=100), nullable=True),
        sa.Column("bop_code", sa.String(length=6), nullable=True),
        sa.Column("schedule", sa.String(length=5), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_entity_id"],
            ["accounts_entity.id"],
            name=op.f("fk_pooling_pool_host_entity_id_accounts_entity"),
        ),
        sa.ForeignKeyConstraint(
            ["master_account_id"],
            ["accounts_bank_account.id"],
            name=op.f("fk_pooling_pool_master_account_id_accounts_bank_account"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenancy_tenant.id"],
            name=op.f("fk_pooling_pool_tenant_id_tenancy_tenant"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooling_pool")),
        sa.UniqueConstraint("master_account_id", name=op.f("uq_pooling_pool_master_account_id")),
    )
    op.create_index(op.f("ix_pooling_pool_tenant_id"), "pooling_pool", ["tenant_id"], unique=False)
    op.create_table(
        "pooling_interest_period",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("journal_entry_id", sa.String(length=36), nullable=True),
        sa.Column("lines_json", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["journal_entry_id"],
            ["ledger_journal_entry.id"],
            name=op.f("fk_pooling_interest_period_journal_entry_id_ledger_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["pooling_pool.id"],
            name=op.f("fk_pooling_interest_period_pool_id_pooling_pool"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooling_interest_period")),
        sa.UniqueConstraint(
            "pool_id", "period_end", name=op.f("uq_pooling_interest_period_pool_id_period_end")
        ),
    )
    op.create_index(
        op.f("ix_pooling_interest_period_tenant_id"),
        "pooling_interest_period",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "pooling_member",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("target_minor", sa.BigInteger(), nullable=False),
        sa.Column("minimum_transfer_minor", sa.BigInteger(), nullable=False),
        sa.Column("concentration_ratio", DecimalText(length=64), nullable=True),
        sa.Column("foreign_debt_ratio", DecimalText(length=64), nullable=True),
        sa.Column("added_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts_bank_account.id"],
            name=op.f("fk_pooling_member_account_id_accounts_bank_account"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["accounts_entity.id"],
            name=op.f("fk_pooling_member_entity_id_accounts_entity"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pooling_pool.id"], name=op.f("fk_pooling_member_pool_id_pooling_pool")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_pooling_member")),
    )
    op.create_index(op.f("ix_pooling_member_pool_id"), "pooling_member", ["pool_id"], unique=False)
    op.create_table(
        "pooling_rate",
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("credit_rate", DecimalText(length=64), nullable=False),
        sa.Column("debit_rate", DecimalText(length=64), nullable=False),
        sa.Column("day_count", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pooling_pool.id"], name=op.f("fk_pooling_rate_pool_id_pooling_pool")
        ),
        sa.PrimaryKeyConstraint("pool_id", "effective_from", name=op.f("pk_pooling_rate")),
    )
    op.create_table(
        "pooling_ratio_change",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("ratio", sa.String(length=32), nullable=False),
        sa.Column("old_value", DecimalText(length=64), nullable=True),
        sa.Column("new_value", DecimalText(length=64), nullable=True),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["accounts_entity.id"],
            name=op.f("fk_pooling_ratio_change_entity_id_accounts_entity"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["pooling_pool.id"],
            name=op.f("fk_pooling_ratio_change_pool_id_pooling_pool"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooling_ratio_change")),
    )
    op.create_index(
        "ix_pooling_ratio_change_entity",
        "pooling_ratio_change",
        ["entity_id", "changed_on"],
        unique=False,
    )
    op.create_table(
        "pooling_sweep_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("pool_id", sa.String(length=36), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("journal_entry_id", sa.String(length=36), nullable=True),
        sa.Column("intercompany_entry_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["intercompany_entry_id"],
            ["ledger_journal_entry.id"],
            name=op.f("fk_pooling_sweep_run_intercompany_entry_id_ledger_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["journal_entry_id"],
            ["ledger_journal_entry.id"],
            name=op.f("fk_pooling_sweep_run_journal_entry_id_ledger_journal_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pooling_pool.id"], name=op.f("fk_pooling_sweep_run_pool_id_pooling_pool")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooling_sweep_run")),
        sa.UniqueConstraint(
            "pool_id", "business_date", name=op.f("uq_pooling_sweep_run_pool_id_business_date")
        ),
    )
    op.create_index(
        op.f("ix_pooling_sweep_run_tenant_id"), "pooling_sweep_run", ["tenant_id"], unique=False
    )
    op.create_table(
        "pooling_sweep_leg",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("requested_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cross_border", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("loan_recorded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["pooling_sweep_run.id"],
            name=op.f("fk_pooling_sweep_leg_run_id_pooling_sweep_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pooling_sweep_leg")),
    )
    op.create_index(
        op.f("ix_pooling_sweep_leg_run_id"), "pooling_sweep_leg", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_pooling_sweep_leg_transfer_id"), "pooling_sweep_leg", ["transfer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pooling_sweep_leg_transfer_id"), table_name="pooling_sweep_leg")
    op.drop_index(op.f("ix_pooling_sweep_leg_run_id"), table_name="pooling_sweep_leg")
    op.drop_table("pooling_sweep_leg")
    op.drop_index(op.f("ix_pooling_sweep_run_tenant_id"), table_name="pooling_sweep_run")
    op.drop_table("pooling_sweep_run")
    op.drop_index("ix_pooling_ratio_change_entity", table_name="pooling_ratio_change")
    op.drop_table("pooling_ratio_change")
    op.drop_table("pooling_rate")
    op.drop_index(op.f("ix_pooling_member_pool_id"), table_name="pooling_member")
    op.drop_table("pooling_member")
    op.drop_index(
        op.f("ix_pooling_interest_period_tenant_id"), table_name="pooling_interest_period"
    )
    op.drop_table("pooling_interest_period")
    op.drop_index(op.f("ix_pooling_pool_tenant_id"), table_name="pooling_pool")
    op.drop_table("pooling_pool")
    op.drop_index(
        op.f("ix_pooling_foreign_debt_repayment_debt_id"),
        table_name="pooling_foreign_debt_repayment",
    )
    op.drop_table("pooling_foreign_debt_repayment")
    op.drop_index(op.f("ix_pooling_foreign_debt_tenant_id"), table_name="pooling_foreign_debt")
    op.drop_index(op.f("ix_pooling_foreign_debt_entity_id"), table_name="pooling_foreign_debt")
    op.drop_table("pooling_foreign_debt")
