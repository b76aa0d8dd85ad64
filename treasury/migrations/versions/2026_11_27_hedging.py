"""hedging: market data snapshots, exposures, hedges, valuations, revaluation runs

Revision ID: 2026_11_27_hedging
Revises: 2026_11_27_settlement
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from treasury.migrations.seeding import delete_parameters, seed_parameters

PARAMETERS = "parameters_hedging.json"

revision = "2026_11_27_hedging"
down_revision = "2026_11_27_settlement"
branch_labels = None
depends_on = None

_ID = sa.String(length=36)
_AT = sa.DateTime(timezone=True)


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenancy_tenant.id"], name=op.f(f"fk_{table}_tenant_id_tenancy_tenant")
    )


def upgrade() -> None:
    op.create_table(
        "hedging_market_snapshot",
        sa.Column("id", _ID, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("document_json", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        _tenant("hedging_market_snapshot"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hedging_market_snapshot")),
        sa.UniqueConstraint(
            "tenant_id", "as_of", name=op.f("uq_hedging_market_snapshot_tenant_id_as_of")
        ),
    )
    op.create_table(
        "hedging_exposure",
        sa.Column("id", _ID, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("pair", sa.String(length=6), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expected_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["accounts_entity.id"],
            name=op.f("fk_hedging_exposure_entity_id_accounts_entity"),
        ),
        _tenant("hedging_exposure"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hedging_exposure")),
    )
    op.create_index(
        "ix_hedging_exposure_tenant_entity", "hedging_exposure", ["tenant_id", "entity_id"]
    )
    op.create_table(
        "hedging_hedge",
        sa.Column("id", _ID, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("exposure_id", _ID, nullable=False),
        sa.Column("trade_date", sa.Date(), nullable=False),
        sa.Column("instrument_type", sa.String(length=10), nullable=False),
        sa.Column("pair", sa.String(length=6), nullable=False),
        sa.Column("notional_minor", sa.BigInteger(), nullable=False),
        sa.Column("notional_currency", sa.String(length=3), nullable=False),
        sa.Column("instrument_json", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(length=4), nullable=False),
        sa.Column("strike", sa.String(length=64), nullable=True),
        sa.Column("option_type", sa.String(length=4), nullable=True),
        sa.Column("vanilla", sa.Boolean(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("designation", sa.String(length=12), nullable=False),
        sa.Column("locked_rate", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_date", sa.Date(), nullable=True),
        sa.Column("change_of_underlying_ref", sa.String(length=200), nullable=True),
        sa.Column("settlement_account_id", _ID, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["accounts_entity.id"],
            name=op.f("fk_hedging_hedge_entity_id_accounts_entity"),
        ),
        sa.ForeignKeyConstraint(
            ["exposure_id"],
            ["hedging_exposure.id"],
            name=op.f("fk_hedging_hedge_exposure_id_hedging_exposure"),
        ),
        _tenant("hedging_hedge"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hedging_hedge")),
    )
    op.create_index("ix_hedging_hedge_tenant_status", "hedging_hedge", ["tenant_id", "status"])
    op.create_index(op.f("ix_hedging_hedge_exposure_id"), "hedging_hedge", ["exposure_id"])
    op.create_table(
        "hedging_revaluation_run",
        sa.Column("id", _ID, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("snapshot_as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("settled", sa.Integer(), nullable=False),
        sa.Column("npv_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        _tenant("hedging_revaluation_run"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hedging_revaluation_run")),
        sa.UniqueConstraint(
            "tenant_id", "as_of", name=op.f("uq_hedging_revaluation_run_tenant_id_as_of")
        ),
    )
    op.create_table(
        "hedging_valuation",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("hedge_id", _ID, nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("npv_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("forward_rate", sa.String(length=40), nullable=False),
        sa.Column("hypothetical_npv_minor", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hedge_id"],
            ["hedging_hedge.id"],
            name=op.f("fk_hedging_valuation_hedge_id_hedging_hedge"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["hedging_revaluation_run.id"],
            name=op.f("fk_hedging_valuation_run_id_hedging_revaluation_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hedging_valuation")),
        sa.UniqueConstraint("hedge_id", "as_of", name=op.f("uq_hedging_valuation_hedge_id_as_of")),
    )
    op.create_index(op.f("ix_hedging_valuation_run_id"), "hedging_valuation", ["run_id"])
    seed_parameters(PARAMETERS)


def downgrade() -> None:
    delete_parameters(PARAMETERS)
    op.drop_index(op.f("ix_hedging_valuation_run_id"), table_name="hedging_valuation")
    op.drop_table("hedging_valuation")
    op.drop_table("hedging_revaluation_run")
    op.drop_index(op.f("ix_hedging_hedge_exposure_id"), table_name="hedging_hedge")
    op.drop_index("ix_hedging_hedge_tenant_status", table_name="hedging_hedge")
    op.drop_table("hedging_hedge")
    op.drop_index("ix_hedging_exposure_tenant_entity", table_name="hedging_exposure")
    op.drop_table("hedging_exposure")
    op.drop_table("hedging_market_snapshot")
