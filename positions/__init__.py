"""The treasurer's group view: cash positions across entities, currencies, banks and countries,
and the liquidity ladder of the days ahead (issue 13, DESIGN §4.4).

It owns no table: it reads the ledger's balances and movements, held transfers, the reference
rates, pools' positions and sweep plans and the hedge book through those packages' own
repositories and read functions, inside one read-only unit of work per request. It sits beside
the shells (only `treasury.api` and the CLI import it) and must not be imported by the packages
it reads. `model` is pure; `repository` gathers what the use cases in `service` need.
"""
