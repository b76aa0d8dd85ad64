"""Cash pools: structures, sweeps, intercompany positions, interest, regulatory quotas
(251 and 279 pools, cross-border financing, outbound lending, foreign debt) and their reports.

May import compliance and the treasury core; never hedging or the shells.
"""
