"""Transfers and the transfer pipeline: the one path by which money leaves an account.

screen → (hold for review) → route → book, as plain step functions that transfers, review
decisions and sweep legs call inside their own unit of work. Imports compliance, settlement,
accounts, ledger, refdata, idempotency and the kernel; never pooling, hedging or the shells.
"""
