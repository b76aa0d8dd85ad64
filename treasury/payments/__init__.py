"""Transfers and the transfer pipeline: the one path by which money leaves an account.

- Use cases in `service/` (each opens and commits its unit of work): `transfers` (a transfer),
  `reviews` (an officer's decision), `cancellation`, `classification` (a statement line out of
  suspense), `payment_runs`, `payment_files`, `bank_reports` (pain.002 in), `statements_in`
  (camt.053 in), `quotes`.
- Steps they share, plain functions that never commit: `outcomes.run` (assemble → check →
  route → screen → reject | hold | book, read top-down), `pipeline`, `screening`,
  `file_readiness`, `lifecycle.transition` (every status change and its audit event, checked
  against the table in `model.TRANSITIONS`); `run_pipeline` the same steps for a payment run's
  items together (read and written in bulk, each item ending as it would alone); `extensions`
  is what a capability above adds (pooling's quota recheck and facts), handed in by the entry
  points.
- `model` pure; `tables`; `repository` and `runs_repository` every query.

Imports compliance, settlement, accounts, ledger, refdata, idempotency and the kernel; never
pooling, hedging or the shells.
"""
