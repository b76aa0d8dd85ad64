"""Payments' use cases, one module a concept; each opens and commits its own unit of work.

`transfers` (create a transfer, read and list them: the pipeline's entry), `reviews` (an officer's
decision on a held transfer), `cancellation`, `classification` (a suspense line to where it
belongs), `quotes` (route quotes), `payment_runs` (a batch of payments), `payment_files`
(pain.001 out), `bank_reports` (pain.002 in) and `statements_in` (camt.053 in). The steps they
share live beside this folder (`treasury.payments.pipeline`, `outcomes`, `screening`,
`lifecycle`, `repository`, …); `run_pipeline`, a payment run's items in bulk, takes the single
transfer's steps from `transfers` for the items it cannot take in bulk.
"""
