"""Compliance cases: raising alerts (the one entry point for monitoring and screening), and the
investigation: transitions, assignment, notes, attachments, alert decisions, SLA escalation and
the suspicious activity report.

``alert_raise`` is what every detector calls. It is idempotent on ``(source, dedup_key)`` and
safe under concurrency: two alerts of one customer at the same moment join the same case (the
database keeps one open case per customer), two identical alerts become one.

Each investigation service locks the case row, checks in the service (not only in the view) who
may act (``models.case_may_work``: a manager on any case, a worker on the cases assigned to them,
else ``not_assignee``; without either role permission ``permission_denied``), changes the case and
writes the case's history row and the audit event in the same transaction.

* ``case_transition``: ``investigate``, ``escalate``, ``close_no_action`` (needs a reason and every
  alert decided: ``reason_required``, ``alerts_undecided``), ``report`` (only by filing the report:
  ``report_not_filed``; ``case_report_file`` fires it). Their labels, audit actions, reasons and
  refusals are the transition table's (``transitions.py``).
* ``case_assign``: managers assign and reassign; a worker may claim an unassigned case. The
  guardian object permission ``work_case`` moves with the assignee.
* ``alert_decide``: ``clear`` or ``confirm`` with a note (``compliance_cases.decide_alert``). The
  alert's payment held for review is released on ``clear`` (``payment_release``; a large release
  answers a maker-checker ``Deferred``, recorded as ``release_pending_approval``) and rejected on
  ``confirm`` (``payment_reject``: the ledger hold is voided).
* ``escalate_overdue_cases``: the SLA task; open or investigating cases past ``due_at``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed
from guardian.shortcuts import assign_perm, remove_perm

from core_banking.audit.services import audit_record, audit_record_many
from core_banking.common.actors import user_or_none
from core_banking.common.maker_checker import Deferred
from core_banking.common.money import quantize
from core_banking.payments import services as payments
from core_banking.payments.models import Payment

from . import exceptions as exc
from . import transitions
from .models import (
    ATTACHMENT_CONTENT_TYPES,
    DECIDE,
    MANAGE,
    MAX_ATTACHMENT_BYTES,
    OBJECT_PERM,
    OPEN_STATES,
    WORK,
    Alert,
    Case,
    CaseAttachment,
    CaseNote,
    CaseStatusChange,
    PaymentAction,
    SuspiciousActivityReport,
    case_may_work,
)

# Hours to decide a case, by the score that opened it (overridable: COMPLIANCE_CASE_SLA_HOURS).
DEFAULT_SLA_HOURS = {80: 24, 50: 72, 0: 168}


def sla_hours(score: int) -> int:
    bands = {int(k): int(v) for k, v in getattr(settings, "COMPLIANCE_CASE_SLA_HOURS", DEFAULT_SLA_HOURS).items()}
    return next(hours for floor, hours in sorted(bands.items(), reverse=True) if score >= floor)


def _open_case(customer_id: int, score: int, now: dt.datetime) -> Case:
    case = Case.objects.select_for_update().filter(customer_id=customer_id, status__in=OPEN_STATES).first()
    if case is not None:
        return case
    try:
        with transaction.atomic():
            case = Case.objects.create(customer_id=customer_id, number=f"T{customer_id}.{now.timestamp():.0f}"[:20],
                                       score=score, due_at=now + dt.timedelta(hours=sla_hours(score)))
            case.number = f"CASE-{case.pk:07d}"
            case.save(update_fields=["number"])
            CaseStatusChange.objects.create(case=case, from_status="", to_status=Case.Status.OPEN, action="open",
                                            reason="first alert")
    except IntegrityError:  # a concurrent alert of this customer opened it first
        case = Case.objects.select_for_update().get(customer_id=customer_id, status__in=OPEN_STATES)
    return case


def alert_raise(*, customer_id: int, source: str, rule_code: str, summary: str, score: int, dedup_key: str,
                facts: dict[str, Any] | None = None, rule_version: int = 1, payment_id: int | None = None
                ) -> tuple[Alert, bool]:
    """Record an alert on the customer's open case (opening one); returns (alert, created).
    A second alert with the same ``(source, dedup_key)`` returns the first, unchanged."""
    if source not in Alert.Source.values:
        raise ValueError(f"unknown alert source {source!r}")
    score = max(0, min(100, int(score)))
    existing = Alert.objects.filter(source=source, dedup_key=dedup_key).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    with transaction.atomic():
        case = _open_case(customer_id, score, now)
        try:
            with transaction.atomic():
                alert = Alert.objects.create(case=case, customer_id=customer_id, source=source, rule_code=rule_code,
                                             rule_version=rule_version, score=score, summary=summary[:500],
                                             facts=facts or {}, payment_id=payment_id, dedup_key=dedup_key)
        except IntegrityError:
            return Alert.objects.get(source=source, dedup_key=dedup_key), False
        if score > case.score:
            case.score = score
            case.save(update_fields=["score"])
        audit_record(action="compliance.alert_raised", obj=alert,
                     after={"case": case.number, "source": source, "rule": rule_code, "version": rule_version,
                            "score": score, "payment": payment_id})
    return alert, True


# --- who may act -----------------------------------------------------------------------------

# The transitions, their labels, audit actions and refusals: the table (``transitions.py``).
DECISIONS = {"clear": Alert.Status.CLEARED, "confirm": Alert.Status.CONFIRMED}


def _active(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active


def _require_worker(actor) -> None:
    if not _active(actor) or not (actor.has_perm(MANAGE) or actor.has_perm(WORK)):
        raise exc.CasePermissionRefused("you may not work on compliance cases (compliance_cases.work_case)")


def require_may_work(case: Case, actor) -> None:
    """``permission_denied`` without the role permission; ``not_assignee`` for a worker on a case
    that is not assigned to them."""
    _require_worker(actor)
    if not case_may_work(case, actor):
        raise exc.NotAssignee(f"case {case.number} is not assigned to you", case=case.number)


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise exc.CaseClosed(f"case {case.number} is {case.get_status_display().lower()}", case=case.number)


def case_lock(case_id: int) -> Case:
    case = (Case.objects.select_for_update(of=("self",)).select_related("assignee", "customer")
            .filter(pk=case_id).first())
    if case is None:
        raise exc.CaseNotFound(f"compliance case {case_id} does not exist")
    return case


def _history(case: Case, *, action: str, before: str, reason: str, actor, at=None) -> CaseStatusChange:
    return CaseStatusChange.objects.create(case=case, action=action, from_status=before, to_status=case.status,
                                           reason=(reason or "")[:500], actor=user_or_none(actor),
                                           at=at or timezone.now())


def undecided_alerts(case: Case) -> int:
    return case.alerts.filter(status=Alert.Status.OPEN).count()


# --- transitions -----------------------------------------------------------------------------


def _fire(case: Case, spec: transitions.CaseTransition, *, actor, reason: str, now: dt.datetime) -> Case:
    """Fire the table's transition ``spec`` on the locked ``case`` (checks done by the caller): the
    fields, the history row and the audit event."""
    before = case.status
    getattr(case, spec.name)()
    if spec.stamps:
        setattr(case, spec.stamps, now)
    if spec.closes:
        case.resolution = reason
    case.save()
    _history(case, action=spec.name, before=before, reason=reason, actor=actor, at=now)
    audit_record(action=spec.audit_action, obj=case, actor=actor, before={"status": before},
                 after={"status": case.status}, changes=["status"], reason=reason)
    return case


@transaction.atomic
def case_transition(*, case_id: int, action: str, actor, reason: str = "", now: dt.datetime | None = None) -> Case:
    """Fire one transition of the table (``transitions.py``): ``investigate``, ``escalate``,
    ``close_no_action`` or ``report`` (refused: a case is reported by filing its report)."""
    spec = transitions.BY_NAME.get(action)
    if spec is None:
        raise exc.UnknownCaseAction(f"unknown case action {action!r}", action=action)
    case = case_lock(case_id)
    require_may_work(case, actor)
    if spec.permission and not actor.has_perm(spec.permission):
        raise exc.CasePermissionRefused(spec.permission_refusal)
    if not can_proceed(getattr(case, action)):
        raise exc.TransitionNotAllowed(
            f"{spec.label.lower()} is not allowed for a case that is {case.get_status_display().lower()}",
            status_from=case.status, action=action)
    if spec.by_filing:
        raise exc.ReportNotFiled(f"case {case.number} is reported by filing its suspicious activity report "
                                 "(POST .../report/)", case=case.number)
    reason = (reason or "").strip()
    if spec.reason_required and not reason:
        raise exc.ReasonRequired(spec.reason_refusal, action=action)
    if action == "close_no_action":
        open_alerts = undecided_alerts(case)
        if open_alerts:
            raise exc.AlertsUndecided(f"case {case.number} has {open_alerts} alert(s) not yet cleared or confirmed",
                                      case=case.number, undecided=open_alerts)
    return _fire(case, spec, actor=actor, reason=reason, now=now or timezone.now())


# --- assignment ------------------------------------------------------------------------------


@transaction.atomic
def case_assign(*, case_id: int, assignee, actor, reason: str = "") -> Case:
    """Assign a case (``assignee``: a user, a user id or ``None`` to unassign). Managers assign
    anything; a worker may only claim an unassigned case (assign it to themselves). The guardian
    object permission ``work_case`` moves from the previous assignee to the new one."""
    case = case_lock(case_id)
    _require_worker(actor)
    user_model = get_user_model()
    new_user = None
    if assignee is not None:
        assignee_id = assignee.pk if isinstance(assignee, user_model) else assignee
        new_user = user_model.objects.filter(pk=assignee_id).first()
        if new_user is None or not new_user.is_active or not new_user.is_staff or not (
                new_user.has_perm(WORK) or new_user.has_perm(MANAGE)):
            raise exc.InvalidAssignee(f"user {assignee_id} is not an active member of staff who works compliance "
                                      "cases", assignee=assignee_id)
    if not actor.has_perm(MANAGE):
        claim = case.assignee_id is None and new_user is not None and new_user.pk == actor.pk
        if not claim:
            raise exc.CasePermissionRefused("only a compliance officer (compliance_cases.manage_case) may assign or "
                                            "reassign cases; you may claim an unassigned case")
    _require_open(case)
    if (new_user.pk if new_user else None) == case.assignee_id:
        return case
    before = case.assignee.get_username() if case.assignee else None
    if case.assignee is not None:
        remove_perm(OBJECT_PERM, case.assignee, case)
    if new_user is not None:
        assign_perm(OBJECT_PERM, new_user, case)
    case.assignee = new_user
    case.save(update_fields=["assignee"])
    after = new_user.get_username() if new_user else None
    reason = (reason or "").strip()
    _history(case, action="assign", before=case.status, reason=reason or f"assigned to {after or 'nobody'}",
             actor=actor)
    audit_record(action="compliance.case_assigned", obj=case, actor=actor, before={"assignee": before},
                 after={"assignee": after}, changes=["assignee"], reason=reason)
    return case


# --- notes and attachments -------------------------------------------------------------------


@transaction.atomic
def case_note_add(*, case_id: int, text: str, actor) -> CaseNote:
    """Add a note to the investigation (append-only). A closed case takes no more notes."""
    case = case_lock(case_id)
    require_may_work(case, actor)
    text = (text or "").strip()
    if not text:
        raise exc.InvalidNote("a note needs text", field="text")
    _require_open(case)
    note = CaseNote.objects.create(case=case, author=actor, text=text)
    audit_record(action="compliance.case_note_added", obj=case, actor=actor, after={"note": note.pk})
    return note


def attachment_validate(upload) -> tuple[str, int]:
    """Size and type checks of an upload; returns (content type, size). The extension decides
    the content type; a declared type must agree."""
    if upload is None:
        raise exc.InvalidAttachment("no file was uploaded", field="file")
    size = upload.size or 0
    if size <= 0:
        raise exc.InvalidAttachment("the file is empty", field="file")
    if size > MAX_ATTACHMENT_BYTES:
        raise exc.AttachmentTooLarge(f"the file is {size} bytes; at most {MAX_ATTACHMENT_BYTES} bytes are accepted",
                                     field="file", max_bytes=MAX_ATTACHMENT_BYTES)
    name = (getattr(upload, "name", "") or "").lower()
    by_extension = next((ct for ct, exts in ATTACHMENT_CONTENT_TYPES.items() if name.endswith(exts)), None)
    if by_extension is None:
        raise exc.UnsupportedAttachmentType(
            f"{name or 'the file'!r}: only {', '.join(e for exts in ATTACHMENT_CONTENT_TYPES.values() for e in exts)} "
            "files are accepted", field="file")
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if declared and declared not in ("application/octet-stream", by_extension):
        raise exc.UnsupportedAttachmentType(f"the file is declared as {declared!r} but named {name!r}", field="file")
    return by_extension, size


@transaction.atomic
def case_attachment_add(*, case_id: int, upload, actor, description: str = "",
                        now: dt.datetime | None = None) -> CaseAttachment:
    """Attach an evidence file to an open case: stored in the private ``compliance`` storage with
    its SHA-256; the file is deleted again if the row cannot be written."""
    case = case_lock(case_id)
    require_may_work(case, actor)
    _require_open(case)
    content_type, size = attachment_validate(upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = (getattr(upload, "name", "") or "attachment").rsplit("/", 1)[-1][:255]
    attachment = CaseAttachment(case=case, original_name=original, size=size, content_type=content_type,
                                sha256=digest.hexdigest(), description=(description or "").strip()[:500],
                                uploaded_by=actor, uploaded_at=now or timezone.now())
    attachment.file.save(original, upload, save=False)
    stored_name, storage = attachment.file.name, attachment.file.storage
    try:
        attachment.save()
        audit_record(action="compliance.case_attachment_added", obj=case, actor=actor, after={
            "attachment": attachment.pk, "name": original, "size": size, "content_type": content_type,
            "sha256": attachment.sha256})
    except Exception:
        storage.delete(stored_name)
        raise
    return attachment


# --- alert decisions -------------------------------------------------------------------------


@transaction.atomic
def alert_decide(*, alert_id: int, decision: str, note: str, actor, now: dt.datetime | None = None) -> Alert:
    """Clear (a false positive) or confirm an alert, with a note. When the alert's payment is held
    for review: ``clear`` releases it (or, above the maker-checker threshold, asks for the release
    and records that it awaits approval), ``confirm`` rejects it (the ledger hold is voided). The
    alert's open screening hits are decided with it (cleared or confirmed): screening the subject
    again follows the decision, and a KYC approval blocked by the hit may go on."""
    if decision not in DECISIONS:
        raise exc.InvalidDecision(f"unknown decision {decision!r}: clear or confirm", field="decision")
    alert = Alert.objects.filter(pk=alert_id).values_list("case_id", flat=True).first()
    if alert is None:
        raise exc.AlertNotFound(f"compliance alert {alert_id} does not exist")
    case = case_lock(alert)
    if not (_active(actor) and actor.has_perm(DECIDE)):
        raise exc.CasePermissionRefused("you may not decide compliance alerts (compliance_cases.decide_alert)")
    require_may_work(case, actor)
    alert = Alert.objects.select_for_update(of=("self",)).select_related("payment").get(pk=alert_id)
    if alert.status != Alert.Status.OPEN:
        raise exc.AlertAlreadyDecided(f"alert {alert.pk} was {alert.status} already", alert=alert.pk)
    note = (note or "").strip()
    if not note:
        raise exc.ReasonRequired("a decision needs a note", field="note")
    _require_open(case)
    now = now or timezone.now()
    alert.status = DECISIONS[decision]
    alert.decided_by, alert.decided_at, alert.decision_note = actor, now, note
    if alert.payment_id is not None:
        payment = alert.payment
        if payment.status != Payment.Status.PENDING_REVIEW:
            alert.payment_action = PaymentAction.NOT_HELD
        elif decision == "clear":
            outcome = payments.payment_release(payment_id=payment.pk, actor=actor,
                                               reason=f"compliance alert {alert.pk} cleared: {note}"[:500])
            if isinstance(outcome, Deferred):
                alert.payment_action = PaymentAction.RELEASE_PENDING
                alert.payment_approval_request_id = outcome.request_id
            else:
                alert.payment_action = PaymentAction.RELEASED
        else:
            payments.payment_reject(payment_id=payment.pk, actor=actor,
                                    reason=f"compliance alert {alert.pk} confirmed: {note}"[:500])
            alert.payment_action = PaymentAction.REJECTED
    alert.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "payment_action",
                              "payment_approval_request_id"])
    from compliance.screening.services import hits_decide_with_alert  # screening builds on cases

    hits = hits_decide_with_alert(alert=alert, status=alert.status, note=note, actor=actor, at=now)
    _history(case, action=f"alert_{alert.status}", before=case.status, reason=f"alert {alert.pk}: {note}",
             actor=actor, at=now)
    audit_record(action=f"compliance.alert_{alert.status}", obj=alert, actor=actor, before={"status": "open"},
                 after={"status": alert.status, "case": case.number, "payment": alert.payment_id,
                        "payment_action": alert.payment_action,
                        "approval_request": alert.payment_approval_request_id, "screening_hits": hits},
                 changes=["status"], reason=note)
    return alert


# --- SLA escalation --------------------------------------------------------------------------


@transaction.atomic
def escalate_overdue_cases(*, now: dt.datetime | None = None) -> int:
    """Escalate the open or investigating cases whose ``due_at`` has passed: the rows are locked
    (a concurrent run or transition waits, then the condition is re-checked), escalated in one
    UPDATE, with one history row and one audit event each (two INSERTs in all). Idempotent.
    Returns how many cases were escalated."""
    now = now or timezone.now()
    due = list(Case.objects.select_for_update()
               .filter(status__in=[Case.Status.OPEN, Case.Status.INVESTIGATING], due_at__lte=now)
               .order_by("pk").values_list("pk", "number", "status", "due_at"))
    if not due:
        return 0
    # Set-based: the protected state field is written by the UPDATE, with the table's history and
    # audit actions of an escalation by the SLA.
    escalate = transitions.ESCALATE
    Case.objects.filter(pk__in=[row[0] for row in due]).update(status=Case.Status.ESCALATED, **{escalate.stamps: now})
    history, events = [], []
    for pk, number, status, due_at in due:
        reason = f"SLA breached: due {due_at.isoformat()}"
        history.append(CaseStatusChange(case_id=pk, action=escalate.sla_history_action, from_status=status,
                                        to_status=Case.Status.ESCALATED, reason=reason, at=now))
        events.append({"action": escalate.sla_audit_action, "object_type": Case._meta.label_lower,
                       "object_id": pk, "object_repr": number, "before": {"status": status},
                       "after": {"status": Case.Status.ESCALATED.value}, "changes": ["status"], "reason": reason})
    CaseStatusChange.objects.bulk_create(history)
    audit_record_many(events)
    return len(due)


# --- the suspicious activity report ----------------------------------------------------------

SAR_FORMAT = "corebank.compliance.sar/1"


def _person(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.get_full_name()}


def _day(value) -> str | None:
    return value.isoformat() if value else None


def sar_subject(customer) -> dict[str, Any]:
    """The subject customer in full (the regulator gets unmasked data)."""
    identifiers = [{"type": "customer_number", "value": customer.number}]
    if customer.registration_number:
        identifiers.append({"type": "registration_number", "value": customer.registration_number,
                            "country": customer.incorporation_country})
    identifiers += [{"type": "tax_id", "value": t.tax_id, "country": t.country}
                    for t in customer.tax_residencies.all().order_by("id") if t.tax_id]
    subject = {
        "customer_number": customer.number, "type": customer.type, "name": customer.display_name,
        "status": customer.status, "risk_rating": customer.risk_rating, "kyc_status": customer.kyc_status,
        "email": customer.email, "phone": customer.phone,
        "addresses": [{"kind": a.kind, "line1": a.line1, "line2": a.line2, "postal_code": a.postal_code,
                       "city": a.city, "region": a.region, "country": a.country}
                      for a in customer.addresses.all().order_by("id")],
        "identifiers": identifiers,
    }
    if customer.type == customer.Type.PERSON:
        subject.update({"first_name": customer.first_name, "last_name": customer.last_name,
                        "date_of_birth": _day(customer.date_of_birth), "nationality": customer.nationality,
                        "occupation": customer.occupation})
    else:
        subject.update({"legal_name": customer.legal_name, "registration_number": customer.registration_number,
                        "incorporation_country": customer.incorporation_country, "industry": customer.industry})
    return subject


def sar_payment(payment: Payment) -> dict[str, Any]:
    return {
        "reference": payment.reference, "kind": payment.kind, "status": payment.status,
        "amount": str(quantize(payment.amount, payment.currency.exponent)), "currency": payment.currency_id,
        "created_at": payment.created_at.isoformat(), "posted_at": _day(payment.posted_at),
        "business_date": _day(payment.business_date),
        "debtor_iban": payment.debtor_account.iban if payment.debtor_account_id else None,
        "creditor_iban": payment.creditor_account.iban if payment.creditor_account_id else None,
        "counterparty": {"name": payment.counterparty_name, "iban": payment.counterparty_iban,
                         "bic": payment.counterparty_bic, "country": payment.counterparty_country},
        "remittance_info": payment.remittance_info,
    }


def sar_document(case: Case, *, narrative: str, filed_by, filed_at: dt.datetime, reference: str) -> dict[str, Any]:
    """The report's JSON layout (documented in docs/compliance-cases.md)."""
    alerts = list(case.alerts.select_related("decided_by", "payment__debtor_account", "payment__creditor_account",
                                             "payment__currency")
                  .order_by("created_at", "id"))
    payments_seen: dict[int, Payment] = {}
    for alert in alerts:
        if alert.payment_id is not None:
            payments_seen.setdefault(alert.payment_id, alert.payment)
    return {
        "format": SAR_FORMAT,
        "reference": reference,
        "reporting_institution": {"name": settings.BANK_NAME, "code": settings.BANK_CODE,
                                  "country": settings.BANK_COUNTRY},
        "case": {"number": case.number, "opened_at": case.opened_at.isoformat(), "score": case.score,
                 "status_before_report": case.status},
        "subject": sar_subject(case.customer),
        "alerts": [{
            "id": alert.pk, "source": alert.source, "rule_code": alert.rule_code, "rule_version": alert.rule_version,
            "score": alert.score, "summary": alert.summary, "facts": alert.facts,
            "raised_at": alert.created_at.isoformat(), "decision": alert.status,
            "decided_by": _person(alert.decided_by), "decided_at": _day(alert.decided_at),
            "decision_note": alert.decision_note,
            "payment_reference": alert.payment.reference if alert.payment_id else None,
        } for alert in alerts],
        "payments": [sar_payment(p) for _pk, p in sorted(payments_seen.items())],
        "narrative": narrative,
        "filed_by": _person(filed_by),
        "filed_at": filed_at.isoformat(),
    }


def canonical_json(document: dict[str, Any]) -> str:
    """The exact text that is stored, hashed and exported: sorted keys, no insignificant spaces."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@transaction.atomic
def case_report_file(*, case_id: int, actor, narrative: str, now: dt.datetime | None = None
                     ) -> SuspiciousActivityReport:
    """File the case's suspicious activity report: build the JSON document, store it (append-only,
    with its SHA-256) and move the case to ``reported``. Needs ``compliance_cases.report_case``, a
    case one may work that is investigating or escalated, every alert decided and a narrative."""
    spec = transitions.REPORT_FILED
    case = case_lock(case_id)
    require_may_work(case, actor)
    if not actor.has_perm(spec.permission):
        raise exc.CasePermissionRefused(f"filing a report needs {spec.permission}")
    if SuspiciousActivityReport.objects.filter(case=case).exists():
        raise exc.ReportAlreadyFiled(f"case {case.number} has been reported already", case=case.number)
    if not can_proceed(getattr(case, spec.name)):
        raise exc.TransitionNotAllowed(
            f"a case that is {case.get_status_display().lower()} cannot be reported; start investigating it first",
            status_from=case.status, action=spec.name)
    narrative = (narrative or "").strip()
    if not narrative:
        raise exc.ReasonRequired(spec.reason_refusal, field="narrative")
    open_alerts = undecided_alerts(case)
    if open_alerts:
        raise exc.AlertsUndecided(f"case {case.number} has {open_alerts} alert(s) not yet cleared or confirmed",
                                  case=case.number, undecided=open_alerts)
    now = now or timezone.now()
    reference = f"SAR-{case.number}"
    text = canonical_json(sar_document(case, narrative=narrative, filed_by=actor, filed_at=now, reference=reference))
    report = SuspiciousActivityReport.objects.create(
        case=case, reference=reference, document=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        filed_by=actor, filed_at=now)
    _fire(case, spec, actor=actor, reason=f"suspicious activity report {reference} filed", now=now)
    audit_record(action="compliance.sar_filed", obj=report, actor=actor,
                 after={"case": case.number, "reference": reference, "sha256": report.sha256})
    return report
