"""FX hedging: market-data snapshots, QuantLib pricing, the hedge book, revaluation, effectiveness.

Owns `hedging_*` tables. `model.py` is pure; `pricing` is the only package importing QuantLib
(and the only one with floats); `book.py`, `service.py`, `revaluation.py`, `effectiveness.py`,
`ratios.py` and `jobs.py` are the use cases. May import compliance and the treasury core (ledger,
accounts, refdata, calendars); never pooling, settlement or the shells.
"""
