"""Tariff refusals, each with a stable code (see core_banking.common.errors)."""

from core_banking.common.errors import Conflict, DomainError, NotFound


class TariffNotFound(NotFound):
    code = "tariff_not_found"
    title = "Tariff plan, version or rule not found"


class InvalidTariff(DomainError):
    code = "invalid_tariff"
    status = 422
    title = "The tariff is not valid"


class TariffExists(Conflict):
    code = "tariff_exists"
    title = "A tariff with these keys already exists"


class TariffVersionInForce(Conflict):
    code = "tariff_version_in_force"
    title = "The tariff version has started; its prices are fixed"


class CustomerTariffOverlap(Conflict):
    code = "customer_tariff_overlap"
    title = "The customer already has a tariff override for part of this period"


class PeriodicFeesFailed(DomainError):
    """Raised by ``eod.charge`` after the rest of its chunk is done, naming the accounts whose
    fees could not be priced or booked (each keeps its own refusal; nothing of theirs was written,
    so a re-run retries exactly those). Insufficient funds is not a failure: the fee is recorded
    as unpaid."""

    code = "periodic_fees_failed"
    status = 422
    title = "Some periodic fees could not be charged"
