"""The real-time monitoring check: ``MONITORING``, plugged into ``CORE_BANKING_PAYMENT_CHECKS``
after the limits check (``check`` evaluates, ``give_back`` releases).

``check(intent)`` runs inside the payment's transaction, once the payment row exists:

1. the payment's sides are recorded (``engine.flows_of`` / ``flows_record``): one
   ``MonitoredFlow`` per customer side and ``CustomerDay`` upserts, so every window below
   includes this payment; a move between one customer's own accounts is not monitored;
2. every rule version in force on the payment's business date whose segment matches the
   customer is evaluated (``engine.evaluate_flow``);
3. the strongest action among the rules that fired decides (``reject`` > ``hold`` > ``alert``):

   * **alert**: each firing rule raises an alert (``alert_raise``, source ``monitoring``, the rule
     code and version, the facts, ``payment_id``, dedup key ``payment:<id>:<rule>:<version>``) in
     the payment's transaction; the payment goes on;
   * **hold**: the same alerts, and a ``Review`` (code = the strongest rule's code, details =
     the hits with their versions and facts): the engine holds the funds until a reviewer
     releases or rejects the payment; the case shows the payment;
   * **reject**: ``ComplianceRejected`` (HTTP 422, code ``compliance_rejected``). The payment's
     transaction rolls back, so the alerts cannot be written in it: they are written on a
     **separate database connection in autocommit** (a short-lived worker thread, joined before
     the error is raised) and therefore survive the rollback. The payment row does not exist,
     so the alert has no ``payment``; its facts carry the payment's reference, idempotency key
     and amount, and its dedup key ``refused:<hash of the idempotency scope and key>:<rule>:
     <version>`` makes a client's retries of the refused request one alert, not many.

``give_back(payment, intent)`` (a held payment rejected by a reviewer, a posted one returned)
takes the payment's flows out of the aggregates (``engine.flows_release``), once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection, connections

from compliance.cases.services import alert_raise
from core_banking.audit.services import to_jsonable
from core_banking.common.sqlbatch import Batch
from core_banking.payments.models import Payment
from core_banking.payments.seams import PaymentIntent, Review

from . import engine
from .exceptions import ComplianceRejected
from .kinds import STRENGTH, Action

__all__ = ["MONITORING", "MonitoringCheck", "monitor"]

logger = logging.getLogger(__name__)


def _alert_kwargs(hit: engine.Hit, flow: engine.Flow, *, dedup_key: str, payment_id: int | None,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    facts = {**hit.facts, "rule_kind": hit.rule.kind, "action": hit.version.action,
             "effective_from": hit.version.effective_from.isoformat(), "direction": flow.direction,
             "payment_kind": flow.kind, "amount": str(flow.amount), "currency": flow.currency, **(extra or {})}
    return {"customer_id": flow.customer_id, "source": "monitoring", "rule_code": hit.rule.code,
            "rule_version": hit.version.version, "score": hit.version.score,
            "summary": f"{hit.rule.name}: {hit.summary}",
            "facts": to_jsonable(facts), "dedup_key": dedup_key[:200], "payment_id": payment_id}


def _payment_key(payment: Payment, hit: engine.Hit, flow: engine.Flow, two_sided: bool) -> str:
    key = f"payment:{payment.pk}:{hit.rule.code}:{hit.version.version}"
    return f"{key}:c{flow.customer_id}" if two_sided and flow.direction == "in" else key


def _refused_key(payment: Payment, hit: engine.Hit, flow: engine.Flow) -> str:
    request = hashlib.sha256(f"{payment.idempotency_scope}|{payment.idempotency_key}".encode()).hexdigest()[:24]
    return f"refused:{request}:{hit.rule.code}:{hit.version.version}:c{flow.customer_id}"


def record_outside_transaction(calls: list[dict[str, Any]]) -> None:
    """Raise ``calls`` (``alert_raise`` keyword arguments) on a connection of their own, in
    autocommit, so that they stay when the caller's transaction rolls back. On a database without
    concurrent writers (the embedded SQLite of ``make run``) they are written in the caller's
    transaction instead (and roll back with it)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        for call in calls:
            alert_raise(**call)
        return
    failures: list[BaseException] = []

    def run() -> None:
        try:
            for call in calls:
                alert_raise(**call)
        except BaseException as error:  # noqa: BLE001 - reported below, never swallowed silently
            failures.append(error)
        finally:
            connections.close_all()  # this thread's connections only

    worker = threading.Thread(target=run, name="monitoring-refusal-alert", daemon=True)
    worker.start()
    worker.join(timeout=30)
    if failures:
        logger.error("transaction monitoring: the alert of a refused payment was not recorded: %r", failures[0])


def monitor(intent: PaymentIntent) -> Review | None:
    payment = intent.payment
    if payment is None:
        return None  # a preview: nothing to record
    flows = engine.flows_of(intent)
    if not flows:
        return None
    engine.flows_record(flows)
    versions = engine.versions_in_force(intent.business_date)
    hits = [(hit, flow) for flow in flows for version in versions if engine.applies_to(version, flow.customer)
            for hit in [engine.evaluate_flow(version, flow)] if hit is not None]
    if not hits:
        return None
    hits.sort(key=lambda pair: (-STRENGTH[pair[0].version.action], -pair[0].version.score, pair[0].rule.code))
    strongest = hits[0][0].version.action
    two_sided = len(flows) == 2
    if strongest == Action.REJECT:
        extra = {"payment_reference": payment.reference, "idempotency_key": payment.idempotency_key,
                 "refused": True, "attempted_payment_id": payment.pk}
        calls = [_alert_kwargs(hit, flow, dedup_key=_refused_key(payment, hit, flow), payment_id=None, extra=extra)
                 for hit, flow in hits]
        record_outside_transaction(calls)
        hit = hits[0][0]
        raise ComplianceRejected(
            f"Transaction monitoring refused the payment: {hit.rule.name} ({hit.rule.code} v{hit.version.version}).",
            rule=hit.rule.code, rule_version=hit.version.version,
            alert_dedup_key=calls[0]["dedup_key"])
    for hit, flow in hits:
        alert_raise(**_alert_kwargs(hit, flow, dedup_key=_payment_key(payment, hit, flow, two_sided),
                                    payment_id=payment.pk))
    if strongest != Action.HOLD:
        return None
    hit = hits[0][0]
    return Review(
        code=hit.rule.code,
        reason=f"Transaction monitoring: {hit.rule.name} ({hit.summary})"[:400],
        details={"rule": hit.rule.code, "rule_version": hit.version.version, "facts": to_jsonable(hit.facts),
                 "hits": [{"rule": h.rule.code, "rule_version": h.version.version, "action": h.version.action,
                           "customer": f.customer_id, "facts": to_jsonable(h.facts)} for h, f in hits]},
    )


def plan(intent: PaymentIntent, reads: Batch, writes: Batch) -> Callable[[], Review | None]:
    """``monitor`` in the payment path's round trips (``core_banking/payments/seams.py``): when no
    rule in force applies to the payment's customers (the rules are cached), its flows are only
    recorded, with the payment's writes; otherwise ``monitor`` runs as it is (its windows must
    include this payment, so it records the flows first and reads them back)."""
    flows = engine.flows_of(intent) if intent.payment is not None else []
    if not flows:
        return lambda: None
    versions = engine.versions_in_force(intent.business_date)
    if any(engine.applies_to(version, flow.customer) for version in versions for flow in flows):
        return lambda: monitor(intent)

    def finish() -> None:
        engine.flows_record(flows, writes=writes)

    return finish


class MonitoringCheck:
    """What ``CORE_BANKING_PAYMENT_CHECKS`` names (``compliance.monitoring.checks.MONITORING``)."""

    def check(self, intent: PaymentIntent) -> Review | None:
        return monitor(intent)

    def plan(self, intent: PaymentIntent, reads: Batch, writes: Batch) -> Callable[[], Review | None]:
        return plan(intent, reads, writes)

    def give_back(self, payment: Payment, intent: PaymentIntent | None = None) -> None:
        engine.flows_release(payment.pk)


MONITORING = MonitoringCheck()
