"""Hedging's use cases, one module a concept; each opens and commits its own unit of work.

`markets` (market-data snapshots, pricing an instrument, value dates), `book` (exposures and
hedges under the real-demand rule, early close-out), `premiums` and `receipts` (an option's
premium paid, a net gain received), `revaluation` (the daily run and its postings),
`effectiveness` (hedge accounting's tests), `ratios` (the hedge-ratio report), `held_deliveries`
(a hedge's held transfer decided by an officer) and `jobs` (the shells' work: market-data
imports, the daily catch-up). The steps live beside this folder:
`pricing/` (the only QuantLib importer), `delivery`, `accounting`, `book_values`, `repository`, ….
"""
