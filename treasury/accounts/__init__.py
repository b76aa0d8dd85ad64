"""Master data of a group: legal entities, counterparties, bank accounts, bank statement lines.

A bank account shares its id with its ledger account. Imports the kernel, `treasury.db` and
`treasury.ledger`; never payments, compliance or the shells.
"""
