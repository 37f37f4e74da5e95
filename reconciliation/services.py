"""Reconciliation writes: statement import, manual match / unmatch, breaks, safeguarding."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.errors import DomainError
from core_banking.common.history import record_transition

from . import matching, transitions
from .importers import ImportRefused, LineError, ParsedStatement, parser_for, sniff
from .models import (
    Break,
    BreakHistory,
    ExternalAccount,
    Format,
    LineStatus,
    Match,
    MatchLine,
    MatchPosting,
    MatchRule,
    MatchState,
    SafeguardingCheck,
    Statement,
    StatementFile,
    StatementLine,
)
from .roles import IMPORT, MATCH, WORK_BREAK
from .storage import statement_storage


class ReconciliationError(DomainError):
    """A refusal with its own stable code (``duplicate_file``, ``statement_overlap`` ...)."""

    code = "reconciliation_refused"
    status = 422
    title = "The reconciliation request was refused"

    def __init__(self, message: str, code: str = "reconciliation_refused", **extra):
        super().__init__(message, **extra)
        self.code = code
        if code == "permission_denied":
            self.status = 403
        elif code in {"duplicate_file", "statement_overlap", "statement_duplicate", "already_matched",
                      "transition_not_allowed"}:
            self.status = 409
        elif code.endswith("_not_found"):
            self.status = 404


# --- import --------------------------------------------------------------------------------


@dataclass
class ImportResult:
    file: StatementFile
    statements: list[Statement]
    lines: int
    rejected: int
    errors: list[dict]
    skipped_statements: list[dict] = field(default_factory=list)
    matching: list[dict] = field(default_factory=list)


def _normalise(identifier: str) -> str:
    return re.sub(r"\s+", "", identifier or "").upper()


def identifier_matches(statement_identifier: str, account_identifier: str) -> bool:
    """The statement's account (MT940 :25: "BLZ/account", "BIC/account/CCY"; camt IBAN) names the
    external account: equal, or one of its "/"-separated parts is the account's identifier."""
    a, b = _normalise(statement_identifier), _normalise(account_identifier)
    if not a or not b:
        return False
    return a == b or b in a.split("/") or a in b.split("/")


def _read(file) -> tuple[bytes, str]:
    if isinstance(file, bytes | bytearray):
        return bytes(file), ""
    if isinstance(file, str | Path):
        path = Path(file)
        return path.read_bytes(), path.name
    data = file.read()
    return (data.encode() if isinstance(data, str) else data), Path(getattr(file, "name", "") or "").name


def _route(parsed: ParsedStatement, account: ExternalAccount, candidates: list[ExternalAccount]):
    if not parsed.account_identifier or identifier_matches(parsed.account_identifier, account.account_identifier):
        return account
    for other in candidates:
        if identifier_matches(parsed.account_identifier, other.account_identifier) and (
                not parsed.currency or parsed.currency == other.currency_id):
            return other
    return None


def _error_dicts(errors) -> list[dict]:
    return [{"position": e.position, "reason": e.reason, **({"raw": e.raw} if e.raw else {})} for e in errors]


def statement_import(*, external_account: ExternalAccount, file, format: str | None = None, actor=None,
                     automatch: bool = True) -> ImportResult:
    """Import a statement file into ``external_account``.

    Refused as a whole (``ReconciliationError``, nothing written): the same file twice (sha256),
    an unreadable file, no statement for this account, a statement overlapping one already
    imported (same account, overlapping period or same numbered statement). Not refused: a
    statement that does not balance (``balanced=False``, flagged), lines that cannot be read
    (reported with position and reason; the others load). A statement of the file for another
    external account known here is imported into that one; one for an unknown account is skipped
    and reported. Auto-matching runs for each account afterwards."""
    _require(actor, IMPORT, "you may not import statements")
    data, name = _read(file)
    if not data:
        raise ReconciliationError("the file is empty", "empty_file")
    sha = hashlib.sha256(data).hexdigest()
    existing = StatementFile.objects.filter(sha256=sha).first()
    if existing is not None:
        raise ReconciliationError(
            f"this file was already imported (file {existing.pk}, {existing.imported_at:%Y-%m-%d})",
            "duplicate_file", file_id=existing.pk)
    fmt = format or sniff(data)
    if fmt not in Format.values:
        raise ReconciliationError(f"unknown statement format {fmt!r}", "unknown_format")
    try:
        parsed_list = parser_for(fmt)(data, external_account=external_account)
    except ImportRefused as error:
        raise ReconciliationError(str(error), error.code) from error
    except Exception as error:  # noqa: BLE001 - a parser crash on a hostile file is a refusal
        raise ReconciliationError(f"the file could not be read as {fmt}: {error}", "unreadable_file") from error
    others = list(ExternalAccount.objects.filter(is_active=True).exclude(pk=external_account.pk))
    routed, skipped = [], []
    for index, parsed in enumerate(parsed_list, start=1):
        target = _route(parsed, external_account, others)
        if target is None:
            skipped.append({"position": index, "reason": f"statement for account {parsed.account_identifier}: "
                            "no external account with that identifier", "statement_id": parsed.statement_id})
        elif parsed.currency and parsed.currency != target.currency_id:
            skipped.append({"position": index, "reason": f"statement in {parsed.currency}, the account is in "
                            f"{target.currency_id}", "statement_id": parsed.statement_id})
        else:
            routed.append((index, parsed, target))
    if not routed:
        raise ReconciliationError(
            "no statement in the file belongs to this external account: "
            + "; ".join(s["reason"] for s in skipped), "account_mismatch", skipped=skipped)
    actor_user = user_or_none(actor)
    stored_name = None
    try:
        with transaction.atomic():
            stored_name = statement_storage().save(f"statements/{timezone.now():%Y/%m}/{sha}.{fmt}", ContentFile(data))
            record = StatementFile.objects.create(
                external_account=external_account, format=fmt, file=stored_name, original_name=name[:255],
                size=len(data), sha256=sha, imported_by=actor_user)
            statements, all_errors, total_lines, total_rejected = [], [], 0, 0
            for index, parsed, target in routed:
                statement = _statement_create(record, index, parsed, target, fmt, actor_user)
                statements.append(statement)
                total_lines += statement.line_count
                total_rejected += statement.rejected_count
                all_errors += [{"statement": index, **e} for e in statement.error_report]
            record.statement_count = len(statements)
            record.line_count = total_lines
            record.rejected_count = total_rejected
            record.error_report = all_errors + [{"statement": s["position"], "position": 0, "reason": s["reason"]}
                                                for s in skipped]
            record.save(update_fields=["statement_count", "line_count", "rejected_count", "error_report"])
            audit_record(action="reconciliation.statement_imported", obj=record, actor=actor_user,
                         after={"sha256": sha, "format": fmt, "statements": len(statements), "lines": total_lines,
                                "rejected": total_rejected,
                                "unbalanced": [s.pk for s in statements if not s.balanced]})
    except Exception:
        if stored_name:
            statement_storage().delete(stored_name)
        raise
    result = ImportResult(file=record, statements=statements, lines=total_lines, rejected=total_rejected,
                          errors=record.error_report, skipped_statements=skipped)
    if automatch:
        for account_id in sorted({s.external_account_id for s in statements}):
            result.matching.append(matching.automatch(account_id).as_dict())
    return result


def _statement_create(record, index, parsed: ParsedStatement, account: ExternalAccount, fmt: str, actor):
    if fmt == Format.CSV and not getattr(parsed, "balances_given", True):
        previous = (Statement.objects.filter(external_account=account, period_to__lt=parsed.period_from)
                    .order_by("-period_to", "-id").first())
        parsed.opening_balance = previous.closing_balance if previous else Decimal(0)
        parsed.closing_balance = parsed.computed_closing
        parsed.errors.insert(0, LineError(0, "no balances in the file: opening taken from the previous statement, "
                                             "closing computed"))
    overlap = Statement.objects.filter(external_account=account, period_from__lte=parsed.period_to,
                                       period_to__gte=parsed.period_from).first()
    if overlap is not None:
        raise ReconciliationError(
            f"statement {index} ({parsed.period_from}..{parsed.period_to}) overlaps statement {overlap.pk} "
            f"({overlap.period_from}..{overlap.period_to}) of {account.name}", "statement_overlap",
            statement_id=overlap.pk)
    key = parsed.statement_key
    if key and Statement.objects.filter(external_account=account, statement_key=key).exists():
        raise ReconciliationError(f"statement {key} of {account.name} was already imported", "statement_duplicate")
    computed = parsed.computed_closing
    rejected = sum(1 for e in parsed.errors if e.position)
    try:
        with transaction.atomic():
            statement = Statement.objects.create(
                file=record, external_account=account, format=fmt, statement_id=parsed.statement_id[:64],
                sequence=parsed.sequence[:32], statement_key=key[:128], position_in_file=index,
                period_from=parsed.period_from, period_to=parsed.period_to,
                currency=parsed.currency or account.currency_id,
                opening_balance=parsed.opening_balance, closing_balance=parsed.closing_balance,
                computed_closing=computed, balanced=computed == parsed.closing_balance,
                line_count=len(parsed.lines), rejected_count=rejected, error_report=_error_dicts(parsed.errors),
                imported_by=actor)
    except IntegrityError as error:  # a concurrent import of an overlapping statement
        raise ReconciliationError(f"statement {index} overlaps an imported statement: {error}",
                                  "statement_overlap") from error
    StatementLine.objects.bulk_create([
        StatementLine(statement=statement, external_account=account, position=line.position,
                      booking_date=line.booking_date, value_date=line.value_date, amount=line.amount,
                      currency=line.currency or account.currency_id, reference=line.reference,
                      bank_reference=line.bank_reference, counterparty_name=line.counterparty_name,
                      counterparty_iban=line.counterparty_iban, description=line.description, details=line.details)
        for line in parsed.lines], batch_size=2000)
    return statement


# --- manual matching -------------------------------------------------------------------------


def _require(actor, perm: str, message: str = "you may not match or unmatch statement lines") -> None:
    """Refuse a person without ``perm`` (``actor=None``: the system, e.g. the EOD or a command)."""
    if actor is not None and not actor.has_perm(perm):
        raise ReconciliationError(message, "permission_denied")


@transaction.atomic
def match_create(*, line_ids: list[int], posting_ids: list[int], actor, note: str = "",
                 allow_difference: bool = False) -> Match:
    """Match lines to postings by hand (also: confirm a suggestion). The lines and postings must
    belong to one external account (its ledger account), be in no active match, and add up to
    the same amount unless ``allow_difference`` (the difference then needs a break)."""
    from core_banking.ledger.models import Posting

    _require(actor, MATCH)
    if not line_ids and not posting_ids:
        raise ReconciliationError("name at least one line or posting", "match_empty")
    lines = list(StatementLine.objects.select_for_update().filter(pk__in=line_ids).order_by("pk"))
    if len(lines) != len(set(line_ids)):
        raise ReconciliationError("unknown statement line", "line_not_found")
    accounts = {line.external_account_id for line in lines}
    if len(accounts) != 1:
        raise ReconciliationError("the lines must belong to one external account", "match_accounts_differ")
    account = ExternalAccount.objects.get(pk=accounts.pop())
    postings = list(Posting.objects.filter(pk__in=posting_ids).order_by("pk"))
    if len(postings) != len(set(posting_ids)):
        raise ReconciliationError("unknown posting", "posting_not_found")
    if any(p.account_id != account.ledger_account_id for p in postings):
        raise ReconciliationError("the postings must be on the external account's ledger account",
                                  "posting_wrong_account")
    if any(line.status == LineStatus.MATCHED for line in lines) or MatchPosting.objects.filter(
            posting_id__in=posting_ids, state=MatchState.MATCHED).exists():
        raise ReconciliationError("a line or posting is already matched", "already_matched")
    line_sum = sum((line.amount for line in lines), Decimal(0))
    posting_sum = sum((p.amount for p in postings), Decimal(0))
    if line_sum != posting_sum and not allow_difference:
        raise ReconciliationError(f"the lines ({line_sum}) and postings ({posting_sum}) do not add up",
                                  "match_amounts_differ")
    now = timezone.now()
    # Suggestions on these items are settled by this decision.
    stale = set(MatchLine.objects.filter(line__in=lines, state=MatchState.SUGGESTED).values_list("match_id", flat=True))
    stale |= set(MatchPosting.objects.filter(posting_id__in=posting_ids, state=MatchState.SUGGESTED)
                 .values_list("match_id", flat=True))
    _drop_suggestions(stale)
    match = Match.objects.create(external_account=account, rule=MatchRule.MANUAL, state=MatchState.MATCHED,
                                 matched_by=user_or_none(actor), matched_at=now, note=note[:500])
    MatchLine.objects.bulk_create([MatchLine(match=match, line=line, state=MatchState.MATCHED) for line in lines])
    MatchPosting.objects.bulk_create([MatchPosting(match=match, posting=p, state=MatchState.MATCHED)
                                      for p in postings])
    StatementLine.objects.filter(pk__in=[line.pk for line in lines]).update(status=LineStatus.MATCHED)
    _refresh_line_status(account)
    audit_record(action="reconciliation.matched", obj=match, actor=user_or_none(actor), reason=note,
                 after={"lines": [line.pk for line in lines], "postings": [p.pk for p in postings],
                        "lines_total": str(line_sum), "postings_total": str(posting_sum)})
    return match


def _drop_suggestions(match_ids) -> None:
    if match_ids:
        MatchLine.objects.filter(match_id__in=match_ids).delete()
        MatchPosting.objects.filter(match_id__in=match_ids).delete()
        Match.objects.filter(pk__in=match_ids, state=MatchState.SUGGESTED).delete()


def _refresh_line_status(account: ExternalAccount) -> None:
    from django.db import connection

    # The table's own name rather than an alias: SQLite (make run) allows no alias here.
    with connection.cursor() as cur:
        cur.execute("""
            UPDATE reconciliation_statementline SET status = CASE
                WHEN EXISTS (SELECT 1 FROM reconciliation_matchline m
                             WHERE m.line_id = reconciliation_statementline.id AND m.state = 'matched')
                    THEN 'matched'
                WHEN EXISTS (SELECT 1 FROM reconciliation_matchline m
                             WHERE m.line_id = reconciliation_statementline.id AND m.state = 'suggested')
                    THEN 'suggested'
                ELSE 'unmatched' END
            WHERE external_account_id = %s AND status = 'suggested'""", [account.pk])


@transaction.atomic
def match_confirm(*, match_id: int, actor, note: str = "") -> Match:
    """Confirm a suggestion: it becomes a manual match of the same lines and postings."""
    suggestion = Match.objects.select_for_update().filter(pk=match_id, state=MatchState.SUGGESTED).first()
    if suggestion is None:
        raise ReconciliationError("no such suggestion", "suggestion_not_found")
    lines = list(suggestion.line_links.values_list("line_id", flat=True))
    postings = list(suggestion.posting_links.values_list("posting_id", flat=True))
    return match_create(line_ids=lines, posting_ids=postings, actor=actor,
                        note=note or f"confirmed suggestion {suggestion.pk} ({suggestion.rule})")


@transaction.atomic
def match_unmatch(*, match_id: int, actor, reason: str) -> Match:
    """Undo a match. The match stays (state ``unmatched``, who, when, why) for the audit trail;
    its lines and postings are open again."""
    _require(actor, MATCH)
    if not (reason or "").strip():
        raise ReconciliationError("a reason is required to unmatch", "reason_required")
    match = Match.objects.select_for_update().filter(pk=match_id).first()
    if match is None:
        raise ReconciliationError("no such match", "match_not_found")
    if match.state != MatchState.MATCHED:
        raise ReconciliationError(f"the match is {match.state}, not matched", "transition_not_allowed")
    match.state = MatchState.UNMATCHED
    match.unmatched_by = user_or_none(actor)
    match.unmatched_at = timezone.now()
    match.unmatch_reason = reason[:500]
    match.save(update_fields=["state", "unmatched_by", "unmatched_at", "unmatch_reason"])
    match.line_links.update(state=MatchState.UNMATCHED)
    match.posting_links.update(state=MatchState.UNMATCHED)
    line_ids = list(match.line_links.values_list("line_id", flat=True))
    StatementLine.objects.filter(pk__in=line_ids).update(status=LineStatus.UNMATCHED)
    audit_record(action="reconciliation.unmatched", obj=match, actor=user_or_none(actor), reason=reason,
                 after={"lines": line_ids, "postings": list(match.posting_links.values_list("posting_id", flat=True))})
    return match


def automatch_run(*, external_account_id: int, actor) -> matching.MatchRun:
    """Run the automatic matcher on one account now (a person's request; the EOD step runs it
    for every account): needs ``match_manually``; recorded in the audit trail."""
    _require(actor, MATCH, "you may not run the matcher")
    account = ExternalAccount.objects.filter(pk=external_account_id).first()
    if account is None:
        raise ReconciliationError("no such external account", "external_account_not_found")
    if not account.is_active:
        raise ReconciliationError(f"{account.name} is not active", "external_account_inactive")
    run = matching.automatch(account)
    audit_record(action="reconciliation.automatch_run", obj=account, actor=user_or_none(actor),
                 after=run.as_dict())
    return run


# --- breaks ---------------------------------------------------------------------------------


def breaks_detect(*, as_of: dt.date, older_than_days: int = 5, external_account: ExternalAccount | None = None) -> int:
    """Open a break for every unmatched line or posting whose value date is more than
    ``older_than_days`` before ``as_of`` and that has none yet (set-based; idempotent)."""
    from django.db import connection

    cutoff = as_of - dt.timedelta(days=older_than_days)
    if not matching.set_based():
        with transaction.atomic():
            return _breaks_detect_in_python(cutoff, external_account)
    params = {"cutoff": cutoff, "account": external_account.pk if external_account else None}
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("""
            INSERT INTO reconciliation_break (external_account_id, line_id, posting_id, amount, item_date, status,
                                              root_cause, owner_id, note, created_at)
            SELECT l.external_account_id, l.id, NULL, l.amount, l.value_date, 'open', '', NULL, '', now()
            FROM reconciliation_statementline l
            WHERE l.status <> 'matched' AND l.value_date < %(cutoff)s
              AND (%(account)s::bigint IS NULL OR l.external_account_id = %(account)s)
              AND NOT EXISTS (SELECT 1 FROM reconciliation_break b WHERE b.line_id = l.id)""", params)
        created = cur.rowcount
        cur.execute("""
            INSERT INTO reconciliation_break (external_account_id, line_id, posting_id, amount, item_date, status,
                                              root_cause, owner_id, note, created_at)
            SELECT a.id, NULL, p.id, p.amount, p.value_date, 'open', '', NULL, '', now()
            FROM reconciliation_externalaccount a JOIN ledger_posting p ON p.account_id = a.ledger_account_id
            WHERE a.is_active AND p.value_date < %(cutoff)s
              AND (%(account)s::bigint IS NULL OR a.id = %(account)s)
              AND NOT EXISTS (SELECT 1 FROM reconciliation_matchposting mp WHERE mp.posting_id = p.id
                              AND mp.state = 'matched')
              AND NOT EXISTS (SELECT 1 FROM reconciliation_break b WHERE b.posting_id = p.id)""", params)
        created += cur.rowcount
    return created


def _breaks_detect_in_python(cutoff: dt.date, external_account: ExternalAccount | None) -> int:
    """``breaks_detect`` on a database other than PostgreSQL (``make run``'s SQLite): the same
    rows, read and written through the ORM."""
    from django.db.models import Exists, OuterRef

    from core_banking.ledger.models import Posting

    lines = (StatementLine.objects.exclude(status=LineStatus.MATCHED).filter(value_date__lt=cutoff)
             .filter(~Exists(Break.objects.filter(line_id=OuterRef("pk")))))
    accounts = ExternalAccount.objects.filter(is_active=True)
    if external_account is not None:
        lines = lines.filter(external_account=external_account)
        accounts = accounts.filter(pk=external_account.pk)
    new = [Break(external_account_id=line.external_account_id, line_id=line.pk, amount=line.amount,
                 item_date=line.value_date) for line in lines.order_by("pk")]
    for account in accounts.order_by("pk"):
        active = MatchPosting.objects.filter(posting_id=OuterRef("pk"), state=MatchState.MATCHED)
        postings = (Posting.objects.filter(account_id=account.ledger_account_id, value_date__lt=cutoff)
                    .filter(~Exists(active)).filter(~Exists(Break.objects.filter(posting_id=OuterRef("pk")))))
        new += [Break(external_account=account, posting_id=posting.pk, amount=posting.amount,
                      item_date=posting.value_date) for posting in postings.order_by("pk")]
    Break.objects.bulk_create(new)
    return len(new)


OPEN_BREAK_STATES = (Break.Status.OPEN, Break.Status.INVESTIGATING)


def _break_locked(break_id: int) -> Break:
    brk = Break.objects.select_for_update().filter(pk=break_id).first()
    if brk is None:
        raise ReconciliationError("no such break", "break_not_found")
    return brk


def _break_transition(brk: Break, spec: transitions.BreakTransition, *, actor, reason: str, **kwargs) -> Break:
    """Fire the table's transition ``spec`` (``transitions.py``): the history row and the audit event."""
    from django_fsm import can_proceed

    before = brk.status
    if not can_proceed(getattr(brk, spec.name)):
        raise ReconciliationError(f"a {before} break cannot {spec.verb}", "transition_not_allowed")
    getattr(brk, spec.name)(**kwargs)
    brk.save()
    record_transition(BreakHistory, brk, from_status=before, actor=user_or_none(actor), reason=reason[:500])
    audit_record(action=spec.audit_action, obj=brk, actor=user_or_none(actor), reason=reason,
                 before={"status": before}, after={"status": brk.status})
    return brk


def may_work_breaks(user) -> bool:
    return bool(user.is_active and user.has_perm(WORK_BREAK))


@transaction.atomic
def break_assign(*, break_id: int, actor, owner=None, root_cause: str | None = None, note: str = "") -> Break:
    """Set the owner (who must be able to work breaks), the root cause and a note; an open break
    moves to ``investigating``. Needs ``change_break``; recorded in the audit trail."""
    _require(actor, WORK_BREAK, "you may not work breaks")
    brk = _break_locked(break_id)
    if brk.status not in OPEN_BREAK_STATES:
        raise ReconciliationError(f"a {brk.status} break cannot be assigned", "transition_not_allowed")
    before = {"owner": brk.owner_id, "root_cause": brk.root_cause}
    if root_cause is not None:
        if root_cause not in Break.RootCause.values:
            raise ReconciliationError(f"unknown root cause {root_cause!r}", "invalid_root_cause")
        brk.root_cause = root_cause
    if owner is not None:
        if not may_work_breaks(owner):
            raise ReconciliationError(f"{owner.get_username()} may not work breaks", "invalid_owner")
        brk.owner = owner
    if note:
        brk.note = note
    brk.save(update_fields=["root_cause", "owner", "note"])
    audit_record(action="reconciliation.break_assigned", obj=brk, actor=user_or_none(actor), reason=note,
                 before=before, after={"owner": brk.owner_id, "root_cause": brk.root_cause})
    if brk.status == Break.Status.OPEN:
        _break_transition(brk, transitions.INVESTIGATE, actor=actor, reason=note or "assigned")
    return brk


@transaction.atomic
def break_investigate(*, break_id: int, actor, note: str = "") -> Break:
    """Start investigating an open break (without changing its owner). Needs ``change_break``."""
    spec = transitions.INVESTIGATE
    _require(actor, spec.permission, spec.permission_refusal)
    brk = _break_locked(break_id)
    return _break_transition(brk, spec, actor=actor, reason=note or spec.default_reason)


@transaction.atomic
def break_write_off(*, break_id: int, actor, reason: str) -> Break:
    spec = transitions.WRITE_OFF
    _require(actor, spec.permission, spec.permission_refusal)
    if not (reason or "").strip():
        raise ReconciliationError(spec.reason_refusal, "reason_required")
    brk = _break_locked(break_id)
    return _break_transition(brk, spec, actor=actor, reason=reason, at=timezone.now())


@transaction.atomic
def break_resolve_by_adjustment(*, break_id: int, contra_account_id: int, actor, reason: str,
                                idempotency_key: str):
    """Resolve a break with a ledger adjustment between the external account's ledger account and
    ``contra_account_id`` (a bank-fee expense, a suspense account ...). The adjustment passes
    maker-checker: usually this returns the ``Deferred`` approval request, which is recorded on
    the break (still under investigation until the adjustment is approved and posted); when the
    gate lets it through at once, the break is resolved with the entry recorded."""
    from core_banking.common.maker_checker import Deferred
    from core_banking.ledger.services import entry_post

    spec = transitions.RESOLVE
    _require(actor, spec.permission, spec.permission_refusal)
    if not (reason or "").strip():
        raise ReconciliationError(spec.reason_refusal, "reason_required")
    brk = _break_locked(break_id)
    if brk.status not in OPEN_BREAK_STATES:
        raise ReconciliationError(f"a {brk.status} break cannot be resolved", "transition_not_allowed")
    account = brk.external_account
    # A line the ledger lacks is booked on the mirror account; a posting the bank lacks is reversed.
    amount = brk.amount if brk.line_id else -brk.amount
    result = entry_post(
        postings=[{"account_id": account.ledger_account_id, "amount": str(amount)},
                  {"account_id": contra_account_id, "amount": str(-amount)}],
        idempotency_key=idempotency_key, actor=actor, kind="adjustment",
        external_ref=f"recon-break-{brk.pk}", description=f"Reconciliation break {brk.pk}: {reason}"[:500],
        metadata={"reconciliation_break": brk.pk})
    if isinstance(result, Deferred):
        brk.approval_request_id = result.request_id
        brk.save(update_fields=["approval_request_id"])
        if brk.status == Break.Status.OPEN:
            _break_transition(brk, transitions.INVESTIGATE, actor=actor, reason=f"adjustment requested: {reason}")
        audit_record(action="reconciliation.break_adjustment_requested", obj=brk, actor=user_or_none(actor),
                     reason=reason, after={"approval_request": result.request_id})
        return result
    brk.adjustment_entry_id = result.entry_id
    brk.save(update_fields=["adjustment_entry_id"])
    return _break_transition(brk, spec, actor=actor, reason=reason, at=timezone.now())


# --- safeguarding ---------------------------------------------------------------------------


def safeguarding_check(*, date: dt.date) -> list[SafeguardingCheck]:
    """Per currency: client money owed (the customer accounts' ledger balances, credit-normal, as
    of the end of business date ``date``: postings of business dates up to it) against the safeguarding accounts'
    latest statement closing balance
    up to ``date``. One row per (date, currency), replaced when re-run the same day."""
    from core_banking.accounts.models import Account
    from core_banking.ledger.models import Posting

    from .selectors import amount_plain, currency_exponents

    currencies = set(ExternalAccount.objects.filter(purpose=ExternalAccount.Purpose.SAFEGUARDING, is_active=True)
                     .values_list("currency_id", flat=True))
    exponents = currency_exponents() if currencies else {}
    checks = []
    for currency in sorted(currencies):
        ledger_ids = Account.objects.filter(currency_id=currency).values("ledger_account_id")
        # Customer accounts are liabilities: credits (negative postings) are money owed.
        owed = -(Posting.objects.filter(account_id__in=ledger_ids, business_date__lte=date)
                 .aggregate(total=Sum("amount"))["total"] or Decimal(0))
        details, safeguarded = {}, Decimal(0)
        for account in ExternalAccount.objects.filter(purpose=ExternalAccount.Purpose.SAFEGUARDING,
                                                      currency_id=currency, is_active=True):
            latest = (Statement.objects.filter(external_account=account, period_to__lte=date)
                      .order_by("-period_to", "-id").first())
            balance = latest.closing_balance if latest else Decimal(0)
            safeguarded += balance
            details[account.account_identifier] = {"statement": latest.pk if latest else None,
                                                   "as_of": latest.period_to.isoformat() if latest else None,
                                                   # in the currency's decimals, as people read it
                                                   "closing_balance": format(amount_plain(
                                                       balance, exponents.get(currency, 2)), "f")}
        difference = safeguarded - owed
        outcome = (SafeguardingCheck.Outcome.OK if difference == 0 else
                   SafeguardingCheck.Outcome.SHORTFALL if difference < 0 else SafeguardingCheck.Outcome.EXCESS)
        check, _ = SafeguardingCheck.objects.update_or_create(
            date=date, currency_id=currency,
            defaults={"client_money": owed, "safeguarded": safeguarded, "difference": difference,
                      "outcome": outcome, "details": details})
        checks.append(check)
    return checks


__all__ = ["ReconciliationError", "statement_import", "match_create", "match_confirm", "match_unmatch",
           "automatch_run", "breaks_detect", "break_assign", "break_investigate", "break_write_off",
           "break_resolve_by_adjustment", "safeguarding_check", "identifier_matches"]
