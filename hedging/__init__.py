"""FX hedging: market data, QuantLib pricing, the hedge book, revaluation (to come).

May import compliance and the treasury core; never pooling or the shells. Only `pricing.py`
imports QuantLib.
"""
