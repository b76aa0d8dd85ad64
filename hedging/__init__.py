"""FX hedging: market-data snapshots, QuantLib pricing, the hedge book, settlement, revaluation,
hedge accounting and effectiveness.

Owns `hedging_*` tables. `model` and `accounting` (the effective/ineffective split) are pure;
`pricing/` is the only package importing QuantLib (and the only one with floats).
- Use cases in `service/`: `markets` (market data, pricing, value dates), `book` (booking,
  close-out), `premiums`, `receipts`, `revaluation`, `effectiveness`, `ratios`, `held_deliveries`
  (the officers' path of a hedge's held transfer, run inside the review's decision) and `jobs`
  (the scheduler's bodies).
- Steps: `delivery` (settlements as payment-pipeline transfers), `book_values`, `triage`,
  `staleness`, `dates`, `instruments`, `market_data`, `accounting`.

May import compliance and the treasury core (payments for settlements, ledger, accounts, refdata,
calendars); never pooling, positions or the shells.
"""
