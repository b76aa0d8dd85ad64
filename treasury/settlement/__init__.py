"""Settlement routing: which rail, when sent, which value date, what fee; ISO 20022 in and out.

`model`, `reference`, `timing`, `fees` and `routing` are pure (values in, values out; the
calendars come in as a `BusinessCalendars`). `tables`, `repository`, `cache` and `service` hold
the stored reference data, decisions and messages. Imports the kernel, `treasury.calendars`,
`treasury.accounts`, `treasury.refdata`, `treasury.ledger` and `compliance`; never
`treasury.payments` (which calls the route step) or the shells.
"""
