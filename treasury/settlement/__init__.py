"""Settlement routing: which rail, when sent, which value date, what fee; ISO 20022 in and out.

- Pure (values in, values out; calendars come in as a `BusinessCalendars`): `model`,
  `reference` (the routing reference data as read), `eligibility`, `timing` and `routing`.
- ISO 20022: `pain001` (payment files out), `pain002` and `camt053` (bank reports in), with the
  bounded, DTD-refusing parser in `xml_input`, `charsets` and `entry_identity`.
- Stored reference data: `tables`, `repository`, `cache`, and the use cases in `service/` that
  load it (`reference_data`) or answer inbound value dates (`inbound`).

Imports the kernel, `treasury.calendars`, `treasury.refdata`, `treasury.audit` and
`treasury.accounts.model`; never `treasury.payments` (which calls the route step) or the shells.
"""
