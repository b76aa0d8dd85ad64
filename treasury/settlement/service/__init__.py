"""Settlement's use cases: `reference_data` (the operator's participants, rails and calendar
years, each load a new version) and `inbound` (when a payment valued on a nostro is credited).

Routing itself is pure (`treasury.settlement.routing`) and the ISO 20022 readers and writers are
steps (`camt053`, `pain001`, `pain002`); the payments' use cases call them.
"""
