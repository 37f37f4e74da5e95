"""Limit refusals, each with a stable code (see core_banking.common.errors)."""

from core_banking.common.errors import Conflict, DomainError, NotFound


class LimitExceeded(DomainError):
    """A payment would exceed a limit. ``extra`` names it: ``limit`` (e.g. ``daily_amount``),
    ``scope``, ``source``, ``channel``, ``period``, ``currency``, ``limit_amount`` or
    ``limit_count``, ``used`` and ``remaining`` (strings)."""

    code = "limit_exceeded"
    status = 422
    title = "The payment exceeds a limit"


class InvalidLimit(DomainError):
    code = "invalid_limit"
    status = 422
    title = "The limit is not valid"


class LimitNotFound(NotFound):
    code = "limit_not_found"
    title = "Limit profile or rule not found"


class LimitExists(Conflict):
    code = "limit_exists"
    title = "A limit profile or rule with these keys already exists"
