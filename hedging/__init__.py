"""FX hedging: market-data snapshots, QuantLib pricing, the hedge book, settlement, revaluation,
hedge accounting and effectiveness.

Owns `hedging_*` tables. `model` and `accounting` (the effective/ineffective split) are pure;
`pricing/` is the only package importing QuantLib (and the only one with floats).
- Use cases: `book` (booking, close-out), `service` (market data, pricing, the hedge-accounting
  report), `revaluation`, `effectiveness`, `ratios`; `jobs` holds the scheduler's bodies.
- Steps: `delivery` and `held_deliveries` (settlements as payment-pipeline transfers, and the
  officers' path when one is held), `book_values`, `triage`, `staleness`, `dates`,
  `instruments`, `market_data`.

May import compliance and the treasury core (payments for settlements, ledger, accounts, refdata,
calendars); never pooling, positions or the shells.
"""
