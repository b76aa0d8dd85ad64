"""Typed errors with stable codes. Families map to HTTP statuses only in `treasury.api.problems`.

Every concrete error names its catalogue `code` (kept in the README by a test) and a short `title`;
its message states facts (ids, amounts, currencies), not advice.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TreasuryError(Exception):
    """Base of every error the service raises on purpose."""

    code: ClassVar[str] = "TREASURY_ERROR"
    title: ClassVar[str] = "Treasury error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthenticated(TreasuryError):
    """No bearer token, or one that is unknown or revoked (401)."""

    code = "UNAUTHENTICATED"
    title = "Authentication required"


class Forbidden(TreasuryError):
    """The caller's role may not do this (403)."""

    code = "FORBIDDEN"
    title = "Not allowed for this role"


class NotFound(TreasuryError):
    """The object does not exist or belongs to another tenant (404)."""

    code = "NOT_FOUND"
    title = "Not found"


class Conflict(TreasuryError):
    """The request conflicts with the current state (409)."""

    code = "CONFLICT"
    title = "Conflict"


class Rejected(TreasuryError):
    """A business rule or a validation refused the request (422)."""

    code = "VALIDATION_ERROR"
    title = "Request rejected"


class PayloadTooLarge(TreasuryError):
    """The request body exceeds the limit (413)."""

    code = "PAYLOAD_TOO_LARGE"
    title = "Payload too large"


class ValidationFailed(Rejected):
    """Malformed input: JSON, a field, an amount, a currency, a date."""

    code = "VALIDATION_ERROR"
    title = "Validation error"


class IdempotencyKeyRequired(Rejected):
    """A money-moving POST arrived without an Idempotency-Key header."""

    code = "IDEMPOTENCY_KEY_REQUIRED"
    title = "Idempotency-Key header required"


class IdempotencyKeyReused(Conflict):
    """The Idempotency-Key was used before with another request body."""

    code = "IDEMPOTENCY_KEY_REUSED"
    title = "Idempotency-Key reused with a different request"


class IdempotencyKeyInFlight(Conflict):
    """The first request with this Idempotency-Key is still being processed."""

    code = "IDEMPOTENCY_KEY_IN_FLIGHT"
    title = "A request with this Idempotency-Key is in flight"


class CurrencyMismatch(Rejected):
    """An amount's currency differs from the account's."""

    code = "CURRENCY_MISMATCH"
    title = "Currency does not match the account"


class FxRateRequired(Rejected):
    """A movement between currencies came without an explicit rate."""

    code = "FX_RATE_REQUIRED"
    title = "An FX rate is required"


class BopCodeRequired(Rejected):
    """A transfer crossing the border came without a BOP code."""

    code = "BOP_CODE_REQUIRED"
    title = "A BOP transaction code is required"


class ReferenceRequired(Rejected):
    """An approval that must carry a document reference (e.g. the tax filing) came without it."""

    code = "REFERENCE_REQUIRED"
    title = "A document reference is required"


class InvalidIdentifier(Rejected):
    """A USCC, LEI, BIC or IBAN that fails its check digits or format."""

    code = "INVALID_IDENTIFIER"
    title = "Invalid identifier"


class RouteUnavailable(Rejected):
    """No configured rail can carry this payment."""

    code = "ROUTE_UNAVAILABLE"
    title = "No rail can carry this payment"


class BackValuationLimitExceeded(Rejected):
    """A back-valued transfer older than the tenant's back-valuation limit."""

    code = "BACK_VALUATION_LIMIT"
    title = "Value date too far in the past"


class DebtModeLocked(Rejected):
    """An entity's cross-border debt mode may not leave `investment_gap`."""

    code = "DEBT_MODE_LOCKED"
    title = "Cross-border debt mode is locked"


class EntryAlreadyReversed(Conflict):
    """A journal entry that already has a reversal."""

    code = "ENTRY_ALREADY_REVERSED"
    title = "Journal entry already reversed"


class NotCancellable(Conflict):
    """A transfer past the point where it can be cancelled (the bank accepted it, it was never
    sent, or it is final already)."""

    code = "NOT_CANCELLABLE"
    title = "Transfer not cancellable"


class StatementLineClassified(Conflict):
    """A statement line that is not in suspense: classified before, or matched to a transfer."""

    code = "STATEMENT_LINE_NOT_IN_SUSPENSE"
    title = "Statement line not in suspense"


class ClassificationMismatch(Rejected):
    """A statement line classified to a transfer or ledger account it cannot belong to (another
    account, amount, currency or entity)."""

    code = "CLASSIFICATION_MISMATCH"
    title = "Statement line does not fit the target"


class FxQuotePairMismatch(Rejected):
    """An `fx_quote` whose pair is not the two currencies the transfer converts between."""

    code = "FX_QUOTE_PAIR_MISMATCH"
    title = "FX quote pair does not match the transfer"


class FxRateNotApplicable(Rejected):
    """An `fx_rate` or `fx_quote` on a transfer between accounts of one currency."""

    code = "FX_RATE_NOT_APPLICABLE"
    title = "No FX rate applies"


class BalanceOutOfRange(Rejected):
    """A movement would take a running balance beyond what the ledger stores."""

    code = "BALANCE_OUT_OF_RANGE"
    title = "Balance out of range"


class ValueDateTooFar(Rejected):
    """A transfer valued further ahead than `transfer.max_forward_value_days` allows."""

    code = "VALUE_DATE_TOO_FAR"
    title = "Value date too far ahead"


class CipsDpUnknown(Rejected):
    """An indirect CIPS participant whose direct participant is not a known DP on that date."""

    code = "CIPS_DP_UNKNOWN"
    title = "CIPS direct participant unknown"


class InsufficientFunds(Rejected):
    """A ledger movement would take an account below its overdraft limit."""

    code = "INSUFFICIENT_FUNDS"
    title = "Insufficient funds"


class ParameterMissing(Rejected):
    """No value of a regulatory parameter is in force on the date asked."""

    code = "PARAMETER_MISSING"
    title = "Parameter not in force"


class ReferenceRateMissing(Rejected):
    """No reference rate on or before the date asked."""

    code = "REFERENCE_RATE_MISSING"
    title = "Reference rate missing"


def catalogue() -> dict[str, type[TreasuryError]]:
    """Every error code the service can return, mapped to its class (the README keeps this list)."""
    found: dict[str, type[TreasuryError]] = {}
    pending: list[type[TreasuryError]] = [TreasuryError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not TreasuryError:
            found.setdefault(cls.code, cls)
    return found


# Codes of the public catalogue raised by the compliance, routing, pooling and hedging capabilities.


class CalendarNotLoaded(Rejected):
    """A date beyond the loaded holiday calendars."""

    code = "CALENDAR_NOT_LOADED"
    title = "Calendar not loaded for this date"


class NotABusinessDay(Rejected):
    """A date that is not a business day where one is required."""

    code = "NOT_A_BUSINESS_DAY"
    title = "Not a business day"


class PoolIneligible(Rejected):
    """A cash pool that fails an eligibility rule."""

    code = "POOL_INELIGIBLE"
    title = "Pool not eligible"


class RestoredRecordsMissing(Rejected):
    """A pool's day cannot close: a centralised current-account flow through its master lacks
    its restored per-member records (regulation.md §1.9 rule 15)."""

    code = "RESTORED_RECORDS_MISSING"
    title = "Restored records missing"


class RestorationMismatch(Rejected):
    """Restored records that do not fit the flow: a transfer that is not a centralised
    current-account flow through the pool's master, a line of another currency or of an entity
    outside the pool, or lines that do not net to the actual flow."""

    code = "RESTORATION_MISMATCH"
    title = "Restored records do not fit the flow"


class AccountNotEligible(Rejected):
    """An account of a kind that may not play the part asked of it (a pool's master that is not a
    pool_master account, the master named as a member of its own pool)."""

    code = "ACCOUNT_NOT_ELIGIBLE"
    title = "Account not eligible"


class AccountCurrencyMismatch(Rejected):
    """An account held in another currency than the pool (or the flow) it is named for."""

    code = "ACCOUNT_CURRENCY_MISMATCH"
    title = "Account in another currency"


class PoolRatiosInconsistent(Rejected):
    """Member accounts of one entity with different ratios in a pool or across its filing (a ratio
    belongs to the entity)."""

    code = "POOL_RATIOS_INCONSISTENT"
    title = "An entity's ratios differ"


class RepaymentMismatch(Rejected):
    """A foreign-debt repayment that does not fit the debt: another currency, more than the
    outstanding amount, or dated before the drawdown."""

    code = "REPAYMENT_MISMATCH"
    title = "Repayment does not fit the debt"


class DateNotReached(Rejected):
    """A sweep's business date, an interest period end, a report month or a revaluation date after
    today: it cannot be run yet."""

    code = "DATE_NOT_REACHED"
    title = "Date not reached yet"


class InterestPeriodOutOfRange(Rejected):
    """A pool interest period ending on or before the pool's start or its last posted period."""

    code = "INTEREST_PERIOD_OUT_OF_RANGE"
    title = "Interest period out of range"


class InterestRatesMissing(Rejected):
    """Interest asked of a pool that has no interest rates."""

    code = "INTEREST_RATES_MISSING"
    title = "Pool has no interest rates"


class RealDemandExceeded(Rejected):
    """A hedge beyond the exposure's unhedged amount."""

    code = "REAL_DEMAND_EXCEEDED"
    title = "Hedge exceeds the real demand"


class SoldOptionRefused(Rejected):
    """A sold option booked on its own: the book holds sold options only inside a combination."""

    code = "SOLD_OPTION_REFUSED"
    title = "A sold option is booked only inside a combination"


class OptionCombinationInvalid(Rejected):
    """Two options that do not make a permitted combination (one bought, one sold; a call and a
    put; the same pair, expiry and notional)."""

    code = "OPTION_COMBINATION_INVALID"
    title = "Not a permitted option combination"


class RatioChangeLimit(Rejected):
    """A pool ratio changed more often than allowed in a calendar year."""

    code = "RATIO_CHANGE_LIMIT"
    title = "Ratio change limit reached"


class CrossBorderFinancingCapExceeded(Rejected):
    """A foreign-debt contract beyond the entity's cross-border financing headroom."""

    code = "CROSS_BORDER_FINANCING_CAP_EXCEEDED"
    title = "Cross-border financing cap exceeded"


class PoolQuotaExceeded(Rejected):
    """Approving a held pool leg that still does not fit the pool's quota headroom."""

    code = "POOL_QUOTA_EXCEEDED"
    title = "Pool quota exceeded"


class InstrumentExpired(Rejected):
    """An FX instrument whose last date is not after the valuation date."""

    code = "INSTRUMENT_EXPIRED"
    title = "Instrument expired"


class MarketDataMissing(Rejected):
    """No market snapshot, or one without the spot, curve or vols a price needs."""

    code = "MARKET_DATA_MISSING"
    title = "Market data missing"


class MarketDataStale(Rejected):
    """The latest snapshot is older than the staleness limit, and the tenant refuses stale runs."""

    code = "MARKET_DATA_STALE"
    title = "Market data stale"


class ChangeOfUnderlyingRequired(Rejected):
    """An early hedge close-out without a change-of-underlying reference (real demand)."""

    code = "CHANGE_OF_UNDERLYING_REQUIRED"
    title = "Change-of-underlying reference required"


class HedgeExposureMismatch(Rejected):
    """A deal that does not hedge the exposure it is booked against: another currency, the
    exposure's own direction, a bought option of the wrong type, or a knock-out (knocked out, it
    leaves the exposure open)."""

    code = "HEDGE_EXPOSURE_MISMATCH"
    title = "Deal does not hedge the exposure"


class SettlementCurrencyNotAllowed(Rejected):
    """A net-settled deal in a currency its entity may not settle in (onshore: CNY only)."""

    code = "SETTLEMENT_CURRENCY_NOT_ALLOWED"
    title = "Settlement currency not allowed"


class SettlementAccountMissing(Rejected):
    """The entity has no bank account in the currency a deal settles or delivers in."""

    code = "SETTLEMENT_ACCOUNT_MISSING"
    title = "No bank account to settle in"


class CloseOutDateOutOfRange(Rejected):
    """A close-out dated outside the deal's life, or not after the book's latest revaluation."""

    code = "CLOSE_OUT_DATE_OUT_OF_RANGE"
    title = "Close-out date out of range"


class HedgeNotDesignated(Rejected):
    """Hedge accounting (an effectiveness test) asked of a deal not designated as a cash-flow
    hedge."""

    code = "HEDGE_NOT_DESIGNATED"
    title = "Hedge not designated"


class AddressUnstructured(Rejected):
    """A party address without town and country, or with more than two free lines (SR2026)."""

    code = "ADDRESS_UNSTRUCTURED"
    title = "Address is not structured"


class PaymentFileInvalid(Rejected):
    """A payment file that cannot be made valid against its ISO 20022 schema."""

    code = "PAYMENT_FILE_INVALID"
    title = "Payment file invalid"


class PaymentRunFileInvalid(Rejected):
    """An ERP's payment file (pain.001) for a payment run that is not well-formed, not of a
    supported version or invalid by its schema: refused whole, nothing is booked."""

    code = "PAYMENT_RUN_FILE_INVALID"
    title = "Payment run file invalid"


class RemittanceCharset(Rejected):
    """Remittance text with a character the payment's rail cannot carry (e.g. Chinese on SWIFT)."""

    code = "REMITTANCE_CHARSET"
    title = "Remittance text outside the rail's character set"


class BankReportInvalid(Rejected):
    """A bank status report or statement that is malformed or does not validate."""

    code = "BANK_REPORT_INVALID"
    title = "Bank report invalid"


class BankReportDtdRefused(BankReportInvalid):
    """A bank file with a document type declaration (DTD): it could declare entities, fetch
    external files or add default attributes that change what the file says."""

    code = "BANK_REPORT_DTD_REFUSED"
    title = "Bank report declares a DTD"


class BankReportLimitExceeded(BankReportInvalid):
    """A bank file beyond the bounds a real one needs (size, depth, elements, attributes)."""

    code = "BANK_REPORT_LIMIT_EXCEEDED"
    title = "Bank report beyond the parse limits"


class AuditAnchorInvalid(Rejected):
    """An audit anchor (given or read from the anchor directory) that cannot be read as a head."""

    code = "AUDIT_ANCHOR_INVALID"
    title = "Audit anchor invalid"


class AuditChainBroken(Conflict):
    """The audit chain does not verify, so no new anchor is kept for it."""

    code = "AUDIT_CHAIN_BROKEN"
    title = "Audit chain broken"


class UnknownParameter(Rejected):
    """A query parameter the endpoint does not take (a misspelt filter is refused, not ignored)."""

    code = "UNKNOWN_PARAMETER"
    title = "Unknown query parameter"
