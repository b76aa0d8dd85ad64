"""Idempotency keys of money-moving POSTs: key + SHA-256 of the canonical request, claimed inside
the request's own unit of work, so a replay finds the committed result and a concurrent duplicate
waits on the first one's row lock. Imports the kernel and `treasury.db` only.
"""
