"""Screening writes: loading a list version, recording hits (and their alerts), deciding hits.

``version_load`` parses the file, refuses a file already loaded into the list (sha256), writes
the version and its entries and makes it the list's active version, all in one transaction (the
list row is locked: two loads of one list queue up). After the commit the customers are
rescreened (Celery ``compliance.rescreen_customers``).

``record_hits`` turns the candidates of one subject into ``ScreeningHit`` rows (one per subject,
list and entry id: screening again finds the same hit) and, for a known customer, raises an alert
through ``compliance.cases.services.alert_raise``. What the subject's outcome is follows from its
hits: a cleared hit no longer counts, a confirmed one is a match, an open one counts at its score.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.kyc import screening as kyc
from compliance.cases.services import alert_raise
from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none

from . import exceptions as exc
from . import loader, matching
from .models import ListEntry, ListVersion, ScreeningHit, WatchList
from .roles import DECIDE

log = logging.getLogger(__name__)
BATCH = 2000


@dataclass
class LoadResult:
    version: ListVersion
    rejected: list[dict[str, Any]]
    skipped: int


def watchlist_get(code: str) -> WatchList:
    try:
        return WatchList.objects.get(code=code)
    except WatchList.DoesNotExist:
        raise exc.WatchListNotFound(f"no watch list {code!r}", list=code) from None


def watchlist_ensure(*, code: str, name: str = "", kind: str = WatchList.Kind.SANCTIONS, source: str = "") -> WatchList:
    wl, _ = WatchList.objects.get_or_create(code=code, defaults={"name": name or code, "kind": kind, "source": source})
    return wl


def version_load(*, list_code: str, content: bytes, file_name: str, fmt: str = "opensanctions-csv", actor=None,
                 rescreen: bool = True) -> LoadResult:
    """Load a file as the new active version of the list; the previous one is kept, inactive."""
    digest = hashlib.sha256(content).hexdigest()
    wl = watchlist_get(list_code)
    if ListVersion.objects.filter(list=wl, sha256=digest).exists():
        raise exc.WatchListFileDuplicate(f"{file_name} (sha256 {digest[:12]}...) was already loaded into {wl.code}",
                                         sha256=digest)
    parsed = loader.parse(content, fmt)
    try:
        with transaction.atomic():
            wl = WatchList.objects.select_for_update().get(pk=wl.pk)
            version = ListVersion.objects.create(
                list=wl, file_name=file_name[:255], format=fmt, sha256=digest, entry_count=len(parsed.entries),
                rejected_count=len(parsed.rejected), rejected=parsed.rejected[:1000], loaded_by=user_or_none(actor))
            for start in range(0, len(parsed.entries), BATCH):
                ListEntry.objects.bulk_create([ListEntry(version=version, **e)
                                               for e in parsed.entries[start:start + BATCH]])
            previous = list(ListVersion.objects.filter(list=wl, is_active=True).values_list("id", flat=True))
            ListVersion.objects.filter(list=wl, is_active=True).update(is_active=False)
            version.is_active = True
            version.save(update_fields=["is_active"])
            audit_record(action="screening.list_loaded", obj=version, actor=actor,
                         after={"list": wl.code, "sha256": digest, "entries": version.entry_count,
                                "rejected": version.rejected_count, "replaces": previous})
            if rescreen:
                transaction.on_commit(_enqueue_rescreen)
    except IntegrityError as error:
        if "screening_version_file_once" in str(error):
            raise exc.WatchListFileDuplicate(f"{file_name} was already loaded into {wl.code}", sha256=digest) from error
        raise
    return LoadResult(version=version, rejected=parsed.rejected, skipped=parsed.skipped)


def _enqueue_rescreen() -> None:
    from .tasks import rescreen_customers

    try:
        rescreen_customers.delay()
    except Exception:  # the broker is down: the list is loaded; the beat or an operator reruns it
        log.exception("could not enqueue compliance.rescreen_customers")


# --- hits ------------------------------------------------------------------------------------


def customer_for_reference(reference: str) -> int | None:
    """The customer a subject reference belongs to: ``C0000012`` or ``C0000012/owner/3``."""
    from core_banking.customers.models import Customer

    number = (reference or "").split("/")[0]
    if not number:
        return None
    return Customer.objects.filter(number=number).values_list("id", flat=True).first()


def _effective(hit: ScreeningHit, outcome: str) -> str:
    if hit.status == ScreeningHit.Status.CLEARED:
        return kyc.CLEAR
    if hit.status == ScreeningHit.Status.CONFIRMED:
        return kyc.MATCH
    return outcome


def record_hits(*, reference: str, name: str, candidates: list[matching.Candidate], context: str,
                customer_id: int | None = None, payment=None) -> tuple[str, list[dict[str, Any]]]:
    """Record each candidate as a hit of the subject; returns (outcome, the hits as dicts)."""
    match_at, possible_at = matching.thresholds()
    outcomes, found = [], []
    for candidate in candidates:
        if candidate.score < possible_at:
            continue
        outcome = kyc.MATCH if candidate.score >= match_at else kyc.POSSIBLE_MATCH
        evidence = candidate.as_dict()
        hit, created = ScreeningHit.objects.get_or_create(
            subject_reference=reference[:100], list_id=candidate.entry.list_id,
            external_id=candidate.entry.external_id,
            defaults={"subject_name": name[:300], "context": context, "customer_id": customer_id, "payment": payment,
                      "entry_id": candidate.entry.id, "score": candidate.score, "outcome": outcome,
                      "evidence": evidence})
        if hit.status == ScreeningHit.Status.OPEN and customer_id is not None and hit.alert_id is None:
            e = candidate.entry
            if payment is not None:
                dedup = f"payment:{payment.pk}:{e.external_id}"
            else:
                dedup = f"customer:{customer_id}:{e.external_id}"
            alert, _ = alert_raise(
                customer_id=customer_id, source="screening", rule_code=e.list_code[:64], rule_version=e.version_id,
                score=candidate.score, dedup_key=dedup, payment_id=payment.pk if payment is not None else None,
                summary=f"{name} ({reference}) ~ {e.name} on {e.list_code} ({candidate.score}, {outcome})",
                facts={"subject": reference, "subject_name": name, "hit": hit.pk, "context": context, **evidence})
            hit.alert = alert
            hit.save(update_fields=["alert"])
        effective = _effective(hit, outcome)
        outcomes.append(effective)
        found.append({"hit": hit.pk, "status": hit.status, "created": created, "outcome": effective, **evidence})
    return kyc.worst(outcomes), found


HIT_TO_ALERT = {ScreeningHit.Status.CLEARED: "clear", ScreeningHit.Status.CONFIRMED: "confirm"}


def hit_decide(*, hit_id: int, status: str, note: str, actor) -> ScreeningHit:
    """Clear (a false positive) or confirm an open hit, with a note.

    A hit with an open alert (a known customer's hit) is decided through its alert, so there is one
    decision and one place for it: ``compliance.cases.services.alert_decide`` applies the case's
    rules (the case's assignee or a manager), releases or rejects a payment held for the hit, and
    decides every open hit of the alert. A hit without an alert is decided here."""
    from compliance.cases.models import Alert
    from compliance.cases.services import alert_decide

    if status not in HIT_TO_ALERT:
        raise exc.ScreeningHitDecided(f"a hit is decided cleared or confirmed, not {status!r}")
    if not (actor is not None and actor.is_active and actor.has_perm(DECIDE)):
        raise exc.ScreeningPermissionRefused("you may not decide screening hits (compliance_screening."
                                             "decide_screeninghit)")
    row = ScreeningHit.objects.filter(pk=hit_id).values("status", "alert_id", "alert__status").first()
    if row is None:
        raise exc.ScreeningHitNotFound(f"no screening hit {hit_id}", hit=hit_id)
    if not (note or "").strip():
        raise exc.ReasonRequired("deciding a hit needs a note")
    if row["status"] == ScreeningHit.Status.OPEN and row["alert__status"] == Alert.Status.OPEN:
        alert_decide(alert_id=row["alert_id"], decision=HIT_TO_ALERT[status], note=note, actor=actor)
        hit = ScreeningHit.objects.get(pk=hit_id)
        if hit.status != status:  # the alert was decided the other way meanwhile
            raise exc.ScreeningHitDecided(f"hit {hit_id} is {hit.status}", hit_status=hit.status)
        return hit
    return _hit_decide_alone(hit_id=hit_id, status=status, note=note, actor=actor)


@transaction.atomic
def _hit_decide_alone(*, hit_id: int, status: str, note: str, actor) -> ScreeningHit:
    hit = ScreeningHit.objects.select_for_update().get(pk=hit_id)
    if hit.status != ScreeningHit.Status.OPEN:
        raise exc.ScreeningHitDecided(f"hit {hit_id} is already {hit.status}", hit_status=hit.status)
    note = (note or "").strip()
    if not note:
        raise exc.ReasonRequired("deciding a hit needs a note")
    hit.status, hit.decided_by, hit.decided_at, hit.decision_note = status, actor, timezone.now(), note
    hit.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(action=f"screening.hit_{status}", obj=hit, actor=actor, reason=note,
                 before={"status": "open"}, after={"status": status}, changes=["status"])
    return hit


def hits_decide_with_alert(*, alert, status: str, note: str, actor, at) -> list[int]:
    """Called by ``alert_decide`` inside its transaction: decide the alert's open hits the same way
    (a cleared alert clears its hits: screening that subject again is clear; a confirmed one
    confirms them: a match). Returns the ids of the hits decided."""
    hits = list(ScreeningHit.objects.select_for_update().filter(alert=alert, status=ScreeningHit.Status.OPEN))
    for hit in hits:
        hit.status, hit.decided_by, hit.decided_at, hit.decision_note = status, actor, at, note
        hit.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(action=f"screening.hit_{status}", obj=hit, actor=actor, reason=note,
                     before={"status": "open"}, after={"status": status, "alert": alert.pk}, changes=["status"])
    return [h.pk for h in hits]
