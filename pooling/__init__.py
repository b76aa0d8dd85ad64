"""Cash pools: structures, sweeps, intercompany positions, interest, regulatory quotas
(251 and 279 pools, cross-border financing, outbound lending, foreign debt) and their reports.

- Use cases: the `service/` folder — `pools` (pools and filings), `members`, `sweeps` (a run),
  `interest_posting`, `foreign_debts`, `restoration` (restored records), `reports`, `views`
  (positions, headroom) and `jobs` (the scheduler's bodies).
- Steps and pure parts: `model`, `plan` and `quotas` (sweep planning, quota maths),
  `execution` and `legs` (posting a planned run; cross-border legs through the payment
  pipeline), `approvals`, `filings`, `cross_border_financing`, `financing_status`,
  `outbound_lending`, `interest`, `parameters`, `positions`; `payment_extensions` is what pooling
  adds to the payment pipeline, handed in by the entry points.

May import compliance and the treasury core (payments among it); never hedging, positions or the
shells.
"""
