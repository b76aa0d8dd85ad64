"""The tamper-evident audit trail: every state change as an event, hashed into one chain.

Events are written in the unit of work that makes the change; the chain is hashed in blocks just
after commit (`seal`), outside the writers' critical section, and verification covers every event.
Lives below tenancy, refdata, payments and compliance so that all of them can record events;
imports only the kernel and `treasury.db`.
"""
