"""Alembic migrations (revisions named by date and slug, each with a downgrade)."""
