"""The double-entry ledger: ledger accounts, journal entries of postings, running balances.

Owns every balance. Append-only: corrections are reversing entries. Imports the kernel and
`treasury.db` only; accounts, payments and the capabilities above build on it.
"""
