"""Monitoring refusals, each with a stable code (see core_banking.common.errors)."""

from core_banking.common.errors import Conflict, DomainError, NotFound


class ComplianceRejected(DomainError):
    """A monitoring rule whose action is ``reject`` fired: the payment is refused (nothing is
    written with it). ``extra``: ``rule`` (code), ``rule_version``, ``alert_dedup_key``."""

    code = "compliance_rejected"
    status = 422
    title = "The payment was refused by transaction monitoring"


class InvalidRule(DomainError):
    code = "invalid_monitoring_rule"
    status = 422
    title = "The monitoring rule is not valid"


class RuleNotFound(NotFound):
    code = "monitoring_rule_not_found"
    title = "Monitoring rule not found"


class RuleExists(Conflict):
    code = "monitoring_rule_exists"
    title = "A monitoring rule with this code already exists"
