"""reach: addresses, generic rails from any sending bank, offshore corridors (issue 10)

Revision ID: 2026_12_02_reach
Revises: 2026_12_02_hardening_parameters
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from treasury.migrations.seeding import delete_documents, seed_documents

revision = "2026_12_02_reach"
down_revision = "2026_12_02_hardening_parameters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _add_addresses()
    _seed_generic_rails()
    _add_transfer_market()


def downgrade() -> None:
    _drop_transfer_market()
    _remove_generic_rails()
    _drop_addresses()


# -- addresses on entities (and whatever else the address work needs) -------------------------


def _add_addresses() -> None:
    """An entity's postal address (JSON, like a counterparty's): every payment file carries the
    debtor's and the creditor's."""
    with op.batch_alter_table("accounts_entity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.Text(), nullable=True))


def _drop_addresses() -> None:
    with op.batch_alter_table("accounts_entity", schema=None) as batch_op:
        batch_op.drop_column("address")


# -- generic rails and participants from any sending bank -------------------------------------


GENERIC_RAILS = ("settlement_rails_generic.json", "settlement_rail", "rail_id", "rails")


def _seed_generic_rails() -> None:
    seed_documents(*GENERIC_RAILS)


def _remove_generic_rails() -> None:
    delete_documents(*GENERIC_RAILS)


# -- the market of a transfer's money (CNH for offshore RMB) ----------------------------------


def _add_transfer_market() -> None:
    with op.batch_alter_table("payments_transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("market", sa.String(length=3), nullable=True))


def _drop_transfer_market() -> None:
    with op.batch_alter_table("payments_transfer", schema=None) as batch_op:
        batch_op.drop_column("market")
