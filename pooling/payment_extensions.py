"""What pooling adds to the payment pipeline, handed to it by the entry points.

A sweep leg held over a pool quota must fit the quota when an officer approves it too, and only
pooling can recompute the quota's headroom (`approvals.check_pool_quota`); the ordinary
outbound-lending rule needs the ratio an entity concentrates in its filing, which only pooling
knows (`outbound_lending.screening_facts`). Payments cannot import pooling, which imports it: the
API's `create_app` and the CLI (and with it the scheduler) put `EXTENSIONS` on the unit-of-work
factory they build (see `treasury.payments.extensions`).
"""

from __future__ import annotations

from pooling import approvals, outbound_lending
from treasury.payments.extensions import PaymentExtensions

EXTENSIONS = PaymentExtensions(
    approval_checks=(approvals.check_pool_quota,),
    fact_sources=(outbound_lending.screening_facts,),
)
