"""System-wide reference data: effective-dated regulatory parameters and official reference rates.

Versioned (every load is a new version; nothing is overwritten), seeded at the first migration,
written only by the operator, read by every tenant. Imports the kernel and `treasury.db`.
Participants, rails, calendar overrides and BOP code tables join this package as their capabilities
arrive.
"""
