"""Compliance: screening rules as effective-dated data, findings, the review queue, the audit chain.

Rules are pure functions over a context the caller assembles (`compliance.model.PaymentContext`),
so compliance never imports payments, pooling or hedging. May import the kernel, `treasury.db`,
`treasury.accounts.model` and `treasury.refdata`.
"""
