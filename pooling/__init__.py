"""Cash pools: structures, sweeps, intercompany positions, interest, regulatory quotas (to come).

May import compliance and the treasury core; never hedging or the shells.
"""
