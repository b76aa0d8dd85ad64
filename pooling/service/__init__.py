"""Pooling's use cases, one module a concept; each opens and commits its own unit of work.

`pools` (pools, members added, rates), `members` (a member's rule, target, ratios), `sweeps` (a
run), `interest_posting`, `foreign_debts`, `restoration` (restored records and the day close),
`reports`, `views` (positions, headroom: read-only), and `jobs`, the scheduler's bodies (a unit
of work per pool and date). The steps they share live beside this folder (`pooling.execution`,
`legs`, `positions`, `approvals`, `filings`, …) and never import it.
"""
