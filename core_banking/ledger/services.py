"""Ledger writes. Every balance change in the system goes through one of these functions.

Each function owns its transaction (nesting as a savepoint when the caller already has one),
is idempotent by key, and raises ``core_banking.ledger.exceptions`` errors with stable codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core_banking.audit.services import audit_record, http_request_in_transaction
from core_banking.common.idempotency import idempotency_scope_for, replayed, run_idempotent
from core_banking.common.maker_checker import guarded, passes
from core_banking.common.money import check_fits, quantize, to_decimal
from core_banking.ledger import engine
from core_banking.ledger import exceptions as exc
from core_banking.ledger import transitions as hold_transitions
from core_banking.ledger.engine import EntrySpec, Leg, balance_row_id
from core_banking.ledger.hashing import canonical_amount, digest
from core_banking.ledger.models import (
    AccountBalance,
    AccountType,
    BalanceRule,
    BusinessDay,
    Currency,
    EntryKind,
    Hold,
    JournalEntry,
    LedgerAccount,
)


@dataclass(frozen=True, slots=True)
class PostResult:
    """What a posting service returns: the entry's id, whether this was a replay, and the entry
    itself (built in memory when just written; fetched on first access otherwise)."""

    entry_id: int
    replayed: bool
    _entry: JournalEntry | None = None

    @property
    def entry(self) -> JournalEntry:
        if self._entry is None:
            object.__setattr__(self, "_entry", JournalEntry.objects.get(pk=self.entry_id))
        return self._entry


def _request_hash(kind: str, legs: Sequence[Leg], **fields) -> str:
    return digest(
        {
            "kind": kind,
            "legs": [[leg.account_id, leg.currency, canonical_amount(to_decimal(leg.amount))] for leg in legs],
            **fields,
        }
    )


# --- chart of accounts ---------------------------------------------------------------------


@transaction.atomic
def ledger_account_create(
    *,
    code: str,
    name: str,
    type: str,
    currency: str,
    parent: LedgerAccount | None = None,
    is_synthetic: bool = False,
    balance_rule: str = BalanceRule.UNCONSTRAINED,
    overdraft_limit: Decimal = Decimal(0),
    shard_count: int = 1,
    external_id: str = "",
    created_by=None,
) -> LedgerAccount:
    """Open a ledger account and create its balance shards up front (a balance row always exists
    before anything needs to lock it)."""
    if type not in AccountType.values:
        raise exc.InvalidEntry(f"unknown account type {type!r}")
    try:
        currency_obj = Currency.objects.get(code=currency, is_active=True)
    except Currency.DoesNotExist:
        raise exc.UnknownCurrency(f"unknown or inactive currency {currency!r}", field="currency") from None
    if parent is not None and parent.type != type:
        raise exc.InvalidEntry(f"a {type} account cannot sit under the {parent.type} account {parent.code}")
    overdraft_limit = check_fits(to_decimal(overdraft_limit), currency_obj.exponent, currency=currency)
    if balance_rule != BalanceRule.UNCONSTRAINED and shard_count != 1:
        raise exc.InvalidEntry("a constrained account has exactly one balance shard")
    if LedgerAccount.objects.filter(code=code).exists():
        raise exc.DuplicateAccountCode(f"a ledger account with code {code!r} already exists")
    try:
        with transaction.atomic():
            account = _account_insert(
                code=code, name=name, type=type, currency_obj=currency_obj, parent=parent,
                is_synthetic=is_synthetic, balance_rule=balance_rule, overdraft_limit=overdraft_limit,
                shard_count=shard_count, external_id=external_id, created_by=created_by,
            )
    except IntegrityError as error:  # a concurrent request took the code between check and insert
        if "code" in str(error):
            raise exc.DuplicateAccountCode(f"a ledger account with code {code!r} already exists") from error
        raise
    audit_record(action="ledger.account_opened", obj=account, after={"code": code, "currency": currency})
    return account


def _account_insert(*, code, name, type, currency_obj, parent, is_synthetic, balance_rule, overdraft_limit,
                    shard_count, external_id, created_by=None) -> LedgerAccount:
    account = LedgerAccount.objects.create(
        code=code, name=name, type=type, currency=currency_obj, parent=parent,
        is_synthetic=is_synthetic, balance_rule=balance_rule, overdraft_limit=overdraft_limit,
        shard_count=shard_count, external_id=external_id, created_by=created_by,
    )
    floor = account.floor
    AccountBalance.objects.bulk_create(
        AccountBalance(id=balance_row_id(account.id, shard), account=account, shard=shard, floor=floor)
        for shard in range(shard_count)
    )
    return account


@transaction.atomic
def ledger_account_set_overdraft(*, account: LedgerAccount, limit: Decimal, actor=None) -> LedgerAccount:
    """Change an overdraft limit. Lowering it below what is already drawn is refused."""
    account = LedgerAccount.objects.select_for_update().get(pk=account.pk)
    limit = check_fits(to_decimal(limit), account.currency.exponent, currency=account.currency_id)
    if limit < 0:
        raise exc.InvalidAmount("an overdraft limit cannot be negative")
    before = {"balance_rule": account.balance_rule, "overdraft_limit": str(account.overdraft_limit)}
    account.balance_rule = BalanceRule.OVERDRAFT_LIMIT if limit > 0 else BalanceRule.NON_NEGATIVE
    account.overdraft_limit = limit
    shard = AccountBalance.objects.select_for_update().get(account=account)
    if shard.balance - shard.held < account.floor:
        raise exc.InsufficientFunds(
            f"account {account.pk} has drawn more than the new limit allows", accounts=[account.pk]
        )
    account.save(update_fields=["balance_rule", "overdraft_limit"])
    shard.floor = account.floor
    shard.save(update_fields=["floor"])
    audit_record(action="ledger.overdraft_changed", obj=account, before=before,
                 after={"balance_rule": account.balance_rule, "overdraft_limit": str(limit)}, actor=actor)
    return account


# --- entries -------------------------------------------------------------------------------


def _legs(postings: Sequence[Leg | dict]) -> list[Leg]:
    legs = []
    for p in postings:
        if isinstance(p, Leg):
            legs.append(p)
        else:
            legs.append(Leg(account_id=int(p["account_id"]), amount=to_decimal(p["amount"]),
                            currency=p.get("currency")))
    return legs


def entry_post(
    *,
    postings: Sequence[Leg | dict],
    idempotency_key: str,
    actor=None,
    kind: str = EntryKind.TRANSFER,
    external_ref: str = "",
    description: str = "",
    metadata: dict | None = None,
    value_date: dt.date | None = None,
) -> PostResult:
    """Post a balanced journal entry. Postings are signed: debit positive, credit negative.

    A manual ``adjustment`` passes the maker-checker gate (``core_banking/common/maker_checker.py``):
    unless an approved (or policy-exempt) request is being executed it returns the ``Deferred``
    approval request instead of posting."""
    if kind not in {EntryKind.TRANSFER, EntryKind.ADJUSTMENT, EntryKind.FX}:
        raise exc.InvalidEntry(f"entries of kind {kind!r} are written by their own service")
    legs = _legs(postings)
    if kind == EntryKind.ADJUSTMENT and not passes("ledger_adjustment"):
        payload = {
            "postings": [{"account_id": leg.account_id, "amount": str(leg.amount),
                          **({"currency": leg.currency} if leg.currency else {})} for leg in legs],
            "description": description, "external_ref": external_ref, "metadata": metadata or {},
            "value_date": value_date.isoformat() if value_date else None,
        }
        return guarded("ledger_adjustment", payload=payload, actor=actor, reason=description,
                       execute=lambda: entry_post(postings=legs, idempotency_key=idempotency_key, actor=actor,
                                                  kind=kind, external_ref=external_ref, description=description,
                                                  metadata=metadata, value_date=value_date))
    spec = _spec(legs=legs, idempotency_key=idempotency_key, kind=kind, external_ref=external_ref,
                 description=description, metadata=metadata, value_date=value_date)
    return entries_post([spec], actor=actor)[0]


def transfer(
    *,
    debit_account_id: int,
    credit_account_id: int,
    amount: Decimal,
    idempotency_key: str,
    actor=None,
    **options,
) -> PostResult:
    """The common two-legged case: move ``amount`` from the debit side to the credit side."""
    amount = to_decimal(amount)
    if amount <= 0:
        raise exc.InvalidAmount("a transfer amount must be positive")
    return entry_post(
        postings=[Leg(debit_account_id, amount), Leg(credit_account_id, -amount)],
        idempotency_key=idempotency_key, actor=actor, **options,
    )


def _results(written: list[engine.Written]) -> list[PostResult]:
    return [PostResult(entry_id=w.entry_id, replayed=w.replayed, _entry=w.entry) for w in written]


def entry_spec(
    *,
    postings: Sequence[Leg | dict],
    idempotency_key: str,
    kind: str = EntryKind.TRANSFER,
    external_ref: str = "",
    description: str = "",
    metadata: dict | None = None,
    value_date: dt.date | None = None,
) -> EntrySpec:
    """The entry ``entry_post`` would post (a transfer or an FX entry; an adjustment goes through
    ``entry_post`` and maker-checker), for a caller that writes it through ``entry_plan``."""
    if kind not in {EntryKind.TRANSFER, EntryKind.FX}:
        raise exc.InvalidEntry(f"entries of kind {kind!r} are not written through an entry plan")
    return _spec(legs=_legs(postings), idempotency_key=idempotency_key, kind=kind, external_ref=external_ref,
                 description=description, metadata=metadata, value_date=value_date)


def _spec(*, legs: list[Leg], idempotency_key: str, kind: str, external_ref: str, description: str,
          metadata: dict | None, value_date: dt.date | None) -> EntrySpec:
    """One entry as the engine takes it, with the digest of the request (``request_hash``)."""
    return EntrySpec(
        legs=legs, idempotency_key=idempotency_key, kind=kind, external_ref=external_ref,
        description=description, metadata=metadata or {}, value_date=value_date,
        request_hash=_request_hash(kind, legs, external_ref=external_ref, description=description,
                                   metadata=metadata or {}, value_date=value_date),
    )


def entry_plan(*, account_ids: Sequence[int], idempotency_key: str, actor=None) -> engine.EntryPlan:
    """One entry written inside the caller's own round trips (``engine.EntryPlan``: ``read`` into
    the caller's read batch, ``check(entry_spec(...))``, ``write`` into its write batch,
    ``result``), in the caller's transaction. ``account_ids``: every ledger account the entry
    may touch (it is locked and read before the legs are final)."""
    return engine.EntryPlan(account_ids=account_ids, key=idempotency_key, scope=idempotency_scope_for(actor),
                            actor_id=getattr(actor, "pk", None))


def entry_planned(plan: engine.EntryPlan) -> PostResult:
    """What an entry plan wrote (after its write batch ran), as ``entry_post`` returns it."""
    return _results([plan.result()])[0]


def entries_post(specs: Sequence[EntrySpec], *, actor=None) -> list[PostResult]:
    """Post one or many entries in one database transaction: all are written or none. A manual
    adjustment is refused here unless maker-checker let it through (``entry_post`` asks)."""
    if not specs:
        raise exc.InvalidEntry("nothing to post")
    if any(spec.kind == EntryKind.ADJUSTMENT for spec in specs) and not passes("ledger_adjustment"):
        raise exc.InvalidEntry("a manual adjustment is posted alone, through entry_post and maker-checker")
    scope = idempotency_scope_for(actor)

    def write() -> list[engine.Written]:
        http_request_in_transaction()  # the request's audit event commits with the entries
        return engine.write_entries(specs=specs, scope=scope, actor_id=getattr(actor, "pk", None))

    return _results(run_idempotent(write))


def entries_post_bulk(
    *, entries: Sequence[dict], idempotency_key: str, actor=None
) -> list[PostResult]:
    """Bulk path for connectivity layers and imports: many entries, one transaction, set-based
    writes. Item ``i`` is keyed ``<idempotency_key>#<i>`` unless it names its own key."""
    parsed = []
    for index, item in enumerate(entries):
        legs = _legs(item["postings"])
        kind = item.get("kind", EntryKind.TRANSFER)
        if kind not in {EntryKind.TRANSFER, EntryKind.FX}:
            raise exc.InvalidEntry(f"entry {index}: kind {kind!r} is not allowed in bulk (a manual adjustment is "
                                   "posted alone and needs approval)", entry_index=index)
        fields = {
            "external_ref": item.get("external_ref", ""), "description": item.get("description", ""),
            "metadata": item.get("metadata") or {}, "value_date": item.get("value_date"),
        }
        parsed.append((item.get("idempotency_key"), kind, legs, fields))
    # Items keyed by the batch share one digest of the whole request (one hash, not thousands).
    # (The request exactly as given: a retry must resend the same batch.)
    batch_hash = digest(list(entries))
    specs = []
    for index, (own_key, kind, legs, fields) in enumerate(parsed):
        if own_key:
            request_hash = _request_hash(kind, legs, **fields)
        else:
            request_hash = hashlib.sha256(f"{batch_hash}#{index}".encode()).hexdigest()
        specs.append(EntrySpec(legs=legs, idempotency_key=own_key or f"{idempotency_key}#{index}", kind=kind,
                               request_hash=request_hash, **fields))
    return entries_post(specs, actor=actor)


def entry_reverse(*, entry_id: int, idempotency_key: str, actor=None, reason: str = "") -> PostResult:
    """Post the compensating entry of ``entry_id`` (every posting negated), linked to it.

    Passes the maker-checker gate: unless an approved request is being executed it returns the
    ``Deferred`` approval request. An entry that belongs to a payment is refused
    (``payment_entry``): the payment's return or refund undoes it, so payment and books agree."""
    original = JournalEntry.objects.filter(pk=entry_id).first()
    if original is None:
        raise exc.EntryNotFound(f"journal entry {entry_id} does not exist")
    if original.kind == EntryKind.REVERSAL:
        raise exc.InvalidEntry("a reversal cannot itself be reversed; post a new entry instead")
    if (original.metadata or {}).get("payment"):
        raise exc.PaymentEntry(f"entry {original.pk} belongs to payment {original.metadata['payment']}; "
                               "undo it through the payment (return or refund), not by a raw reversal",
                               payment=original.metadata["payment"])
    return guarded("reversal", payload={"entry_id": original.pk, "reason": reason}, actor=actor, reason=reason,
                   execute=lambda: _entry_reverse(original, idempotency_key=idempotency_key, actor=actor,
                                                  reason=reason))


def _entry_reverse(original: JournalEntry, *, idempotency_key: str, actor, reason: str) -> PostResult:
    legs = [
        Leg(account_id=p.account_id, amount=-p.amount, currency=p.currency_id, shard=p.shard)
        for p in original.postings.order_by("id")
    ]
    spec = EntrySpec(
        legs=legs, idempotency_key=idempotency_key, kind=EntryKind.REVERSAL,
        external_ref=original.external_ref, description=reason or f"Reversal of entry {original.pk}",
        metadata={"reason": reason} if reason else {}, reverses_id=original.pk,
        request_hash=digest({"reverse": original.pk, "reason": reason}),
    )
    scope = idempotency_scope_for(actor)

    def write():
        # Reversals of one entry queue here, so the second sees the first and is refused
        # cleanly instead of failing on the balance or the unique constraint.
        engine.advisory_lock(f"reverse:{original.pk}")
        already = JournalEntry.objects.filter(reverses_id=original.pk).values_list(
            "idempotency_scope", "idempotency_key"
        ).first()
        if already and already != (scope, idempotency_key):
            raise exc.AlreadyReversed(f"entry {original.pk} has already been reversed")
        written = engine.write_entries(specs=[spec], scope=scope, actor_id=getattr(actor, "pk", None))[0]
        if not written.replayed:
            audit_record(action="ledger.entry_reversed", obj=original, reason=reason,
                         after={"reversal_entry": written.entry_id}, actor=actor)
        return written

    try:
        written = run_idempotent(write)
    except IntegrityError as error:
        if "reverses" in str(error):
            raise exc.AlreadyReversed(f"entry {original.pk} has already been reversed") from error
        raise
    return _results([written])[0]


# --- holds (two-phase transfers) ------------------------------------------------------------


def _hold_sides(debit: engine.AccountInfo, credit: engine.AccountInfo, amount: Decimal, debit_shard: int,
                credit_shard: int, direction: int) -> dict[int, engine.ShardChange]:
    """Balance effects of a hold: a side whose balance the transfer will lower has the amount
    held (reducing its available balance); a side it will raise shows it as pending income.
    ``direction`` is +1 to place the hold and -1 to release it."""
    effects: dict[int, engine.ShardChange] = {}
    for info, shard, signed in ((debit, debit_shard, amount), (credit, credit_shard, -amount)):
        change = effects.setdefault(balance_row_id(info.id, shard), engine.ShardChange())
        if signed * info.sign < 0:
            change.held += direction * amount
        else:
            change.pending_in += direction * amount
    return effects


def hold_create(
    *,
    debit_account_id: int,
    credit_account_id: int,
    amount: Decimal,
    idempotency_key: str,
    actor=None,
    expires_at: dt.datetime | None = None,
    external_ref: str = "",
    description: str = "",
    metadata: dict | None = None,
) -> tuple[Hold, bool]:
    """Reserve ``amount`` for a later transfer. Returns (hold, replayed)."""
    amount = to_decimal(amount)
    scope = idempotency_scope_for(actor)
    request_hash = digest({"hold": [debit_account_id, credit_account_id, canonical_amount(amount)],
                           "expires_at": expires_at, "external_ref": external_ref,
                           "description": description, "metadata": metadata or {}})
    with transaction.atomic():
        http_request_in_transaction()
        engine.lock_keys(scope, [f"hold:{idempotency_key}"])
        existing = replayed(Hold.objects, scope=scope, key=idempotency_key, request_hash=request_hash)
        if existing is not None:
            return existing, True
        if debit_account_id == credit_account_id:
            raise exc.InvalidEntry("a hold needs two different accounts")
        accounts, _ = engine.read_accounts([debit_account_id, credit_account_id], scope, ["-"])
        for account_id in (debit_account_id, credit_account_id):
            info = accounts.get(account_id)
            if info is None:
                raise exc.AccountNotFound(f"ledger account {account_id} does not exist")
            if info.is_synthetic or not info.is_active:
                raise exc.AccountNotPostable(f"account {account_id} does not take postings")
        debit, credit = accounts[debit_account_id], accounts[credit_account_id]
        if debit.currency != credit.currency:
            raise exc.CurrencyMismatch(f"{debit.currency} and {credit.currency} accounts cannot share a hold")
        amount = check_fits(amount, debit.exponent, currency=debit.currency)
        if amount <= 0:
            raise exc.InvalidAmount("a hold amount must be positive")
        debit_shard = 0 if debit.shard_count == 1 else random.randrange(debit.shard_count)  # noqa: S311
        credit_shard = 0 if credit.shard_count == 1 else random.randrange(credit.shard_count)  # noqa: S311
        effects = _hold_sides(debit, credit, amount, debit_shard, credit_shard, +1)
        applied = engine.apply_shard_changes(effects)
        if len(applied) != len(effects):
            engine.raise_insufficient(effects, applied)
        hold = Hold.objects.create(
            debit_account_id=debit.id, credit_account_id=credit.id, currency_id=debit.currency,
            amount=amount, debit_shard=debit_shard, credit_shard=credit_shard, expires_at=expires_at,
            external_ref=external_ref, description=description, metadata=engine.normalize_metadata(metadata),
            idempotency_scope=scope, idempotency_key=idempotency_key, request_hash=request_hash,
            created_by=actor,
        )
    return hold, False


def _locked_pending_hold(hold_id: int) -> Hold:
    hold = Hold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None:
        raise exc.HoldNotFound(f"hold {hold_id} does not exist")
    return hold


def _hold_release_effects(hold: Hold) -> dict[int, engine.ShardChange]:
    accounts, _ = engine.read_accounts([hold.debit_account_id, hold.credit_account_id], "-", ["-"])
    return _hold_sides(accounts[hold.debit_account_id], accounts[hold.credit_account_id], hold.amount,
                       hold.debit_shard, hold.credit_shard, -1)


def hold_post(*, hold_id: int, idempotency_key: str, amount: Decimal | None = None, actor=None) -> PostResult:
    """Post a pending hold, in full or for less; the reservation is released in the same
    transaction as the entry is written."""
    scope = idempotency_scope_for(actor)
    return run_idempotent(lambda: _hold_post(hold_id, idempotency_key, amount, actor, scope))


def _hold_post(hold_id, idempotency_key, amount, actor, scope) -> PostResult:
    """Runs inside run_idempotent's transaction."""
    http_request_in_transaction()
    hold = _locked_pending_hold(hold_id)
    if hold.status == Hold.Status.POSTED and hold.entry and hold.entry.idempotency_key == idempotency_key \
            and hold.entry.idempotency_scope == scope:
        requested = hold.amount if amount is None else to_decimal(amount)
        if requested != hold.posted_amount:
            raise exc.IdempotencyConflict(
                f"idempotency key {idempotency_key!r} posted hold {hold.pk} for {hold.posted_amount}, not {requested}"
            )
        return PostResult(entry_id=hold.entry_id, replayed=True, _entry=hold.entry)
    if hold.status != Hold.Status.PENDING:
        raise exc.HoldNotPending(f"hold {hold.pk} is {hold.status}")
    post_amount = hold.amount if amount is None else check_fits(
        to_decimal(amount), hold.currency.exponent, currency=hold.currency_id)
    if post_amount <= 0 or post_amount > hold.amount:
        raise exc.InvalidAmount(f"a hold of {hold.amount} can be posted for more than 0 and at most its amount")
    spec = EntrySpec(
        legs=[Leg(hold.debit_account_id, post_amount, shard=hold.debit_shard),
              Leg(hold.credit_account_id, -post_amount, shard=hold.credit_shard)],
        idempotency_key=idempotency_key, kind=EntryKind.HOLD_POSTING, external_ref=hold.external_ref,
        description=hold.description, metadata={"hold": hold.pk},
        request_hash=digest({"post_hold": hold.pk, "amount": canonical_amount(post_amount)}),
    )
    written = engine.write_entries(specs=[spec], scope=scope, actor_id=getattr(actor, "pk", None),
                                   balance_effects=_hold_release_effects(hold))[0]
    entry = _results([written])[0].entry
    hold.mark_posted(amount=post_amount, entry=entry, at=timezone.now())
    hold.save(update_fields=["status", "posted_amount", "entry", "resolved_at"])
    return PostResult(entry_id=entry.pk, replayed=written.replayed, _entry=entry)


def _hold_release(hold_id: int, *, expire: bool, actor=None, reason: str = "") -> Hold:
    with transaction.atomic():
        hold = _locked_pending_hold(hold_id)
        target = Hold.Status.EXPIRED if expire else Hold.Status.VOIDED
        if hold.status == target:
            return hold  # a repeated void is a no-op
        if hold.status != Hold.Status.PENDING:
            raise exc.HoldNotPending(f"hold {hold.pk} is {hold.status}")
        effects = _hold_release_effects(hold)
        applied = engine.apply_shard_changes(effects)
        if len(applied) != len(effects):  # releasing never lowers availability; defensive only
            engine.raise_insufficient(effects, applied)
        step = hold_transitions.EXPIRE if expire else hold_transitions.VOID
        getattr(hold, step.name)(at=timezone.now())
        hold.save(update_fields=["status", "resolved_at"])
        audit_record(action=step.audit_action, obj=hold, reason=reason, actor=actor)
    return hold


def hold_void(*, hold_id: int, actor=None, reason: str = "") -> Hold:
    return _hold_release(hold_id, expire=False, actor=actor, reason=reason)


def holds_expire(*, now: dt.datetime | None = None, limit: int | None = 1000, first_id: int | None = None,
                 last_id: int | None = None, reason: str = "expired") -> int:
    """Expire pending holds whose expiry time is at or before ``now``, each in its own
    transaction; returns how many were expired now. The periodic Celery task calls it with the
    defaults (the oldest ``limit`` first); the end of day (``ledger.eod.expire``) with the close
    of a business date as ``now`` and a chunk of hold ids (``first_id <= id <= last_id``), no
    limit. Safe to run twice or concurrently: a hold no longer pending is skipped."""
    now = now or timezone.now()
    expired = 0
    due = Hold.objects.filter(status=Hold.Status.PENDING, expires_at__lte=now)
    if first_id is not None:
        due = due.filter(pk__gte=first_id)
    if last_id is not None:
        due = due.filter(pk__lte=last_id)
    due = due.order_by("expires_at", "pk").values_list("pk", flat=True)
    ids = list(due if limit is None else due[:limit])
    for hold_id in ids:
        try:
            _hold_release(hold_id, expire=True, reason=reason)
            expired += 1
        except exc.HoldNotPending:
            continue  # posted or voided meanwhile
    return expired


# --- FX ------------------------------------------------------------------------------------


def business_date_open() -> dt.date:
    """The open business date, opening today's (in the bank's time zone) on a fresh ledger. For
    writers: a posting belongs to it. Readers use ``selectors.business_date_current``."""
    return engine.current_business_date()


def fx_position_account(currency: str) -> LedgerAccount:
    code = settings.LEDGER_FX_POSITION_CODE.format(currency=currency)
    account = LedgerAccount.objects.filter(code=code, currency_id=currency).first()
    if account is None:
        raise exc.AccountNotFound(f"no FX position account {code} for {currency}")
    return account


def fx_bought(sell_amount: Decimal, rate: Decimal, exponent: int) -> Decimal:
    """What ``sell_amount`` buys at ``rate``, rounded once (half even) to the bought currency's
    ``exponent``; an amount that rounds to nothing is refused."""
    bought = quantize(sell_amount * rate, exponent)
    if bought <= 0:
        raise exc.InvalidAmount("the converted amount rounds to zero")
    return bought


def fx_legs(*, from_account_id: int, to_account_id: int, sell_currency: str, buy_currency: str, sold: Decimal,
            bought: Decimal) -> list[Leg]:
    """The four legs of a conversion, the one place they are built (``fx_convert`` and the FX
    payments use it), signed like every leg: debit positive. ``from_account_id`` is debited
    ``sold`` against the sold currency's position account (``FXPOS-<CUR>``), and the bought
    currency's position is debited ``bought`` against ``to_account_id``. A customer's account
    (credit-normal) pays by a debit, so a payment passes its amounts as they are."""
    sell_position = fx_position_account(sell_currency).pk
    buy_position = fx_position_account(buy_currency).pk
    return [
        Leg(from_account_id, sold, sell_currency),
        Leg(sell_position, -sold, sell_currency),
        Leg(buy_position, bought, buy_currency),
        Leg(to_account_id, -bought, buy_currency),
    ]


def fx_convert(
    *,
    from_account_id: int,
    to_account_id: int,
    sell_amount: Decimal,
    rate: Decimal,
    idempotency_key: str,
    actor=None,
    external_ref: str = "",
    description: str = "",
    metadata: dict | None = None,
) -> PostResult:
    """Convert between two accounts in different currencies: one entry through the per-currency
    position accounts, with the rate recorded. The bought amount is rounded once (half even)."""
    rate = to_decimal(rate)
    if rate <= 0:
        raise exc.InvalidAmount("an FX rate must be positive")
    sell_amount = to_decimal(sell_amount)
    if sell_amount <= 0:
        raise exc.InvalidAmount("the amount to convert must be positive")
    source = LedgerAccount.objects.select_related("currency").filter(pk=from_account_id).first()
    target = LedgerAccount.objects.select_related("currency").filter(pk=to_account_id).first()
    if source is None or target is None:
        raise exc.AccountNotFound("both accounts of a conversion must exist")
    if source.currency_id == target.currency_id:
        raise exc.CurrencyMismatch("a conversion needs two different currencies")
    buy_amount = fx_bought(sell_amount, rate, target.currency.exponent)
    # The source account's balance falls by the amount sold and the target's rises by the amount
    # bought, each in its normal orientation: a credit-normal account (a customer's deposit) gives
    # up money by a debit, a debit-normal one (cash, a nostro) by a credit. ``fx_legs`` takes
    # debits, so each amount is turned by its account's sign.
    legs = fx_legs(from_account_id=source.pk, to_account_id=target.pk, sell_currency=source.currency_id,
                   buy_currency=target.currency_id, sold=-sell_amount * source.sign, bought=-buy_amount * target.sign)
    fx = {"pair": f"{source.currency_id}/{target.currency_id}", "rate": str(rate),
          "sell": str(sell_amount), "buy": str(buy_amount)}
    return entry_post(
        postings=legs, idempotency_key=idempotency_key, actor=actor, kind=EntryKind.FX,
        external_ref=external_ref, description=description or f"FX {fx['pair']} at {rate}",
        metadata={**(metadata or {}), "fx": fx},
    )


# --- business date -------------------------------------------------------------------------


def business_date_roll(*, to_date: dt.date | None = None, actor=None) -> BusinessDay:
    """Close the open business date and open the next one. Waits for postings in flight (they
    hold the business-date lock shared), so no entry straddles the roll."""
    with transaction.atomic():
        if engine.is_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [engine.BUSINESS_DATE_LOCK])
        current = engine.current_business_date()
        new_date = to_date or current + dt.timedelta(days=1)
        if new_date <= current:
            raise exc.InvalidEntry(f"the business date can only move forward from {current}")
        now = timezone.now()
        BusinessDay.objects.filter(date=current).update(closed_at=now)
        day = BusinessDay.objects.create(date=new_date, opened_at=now)
        audit_record(action="ledger.business_date_rolled", object_type="ledger.businessday",
                     object_id=str(new_date), before={"date": current}, after={"date": new_date}, actor=actor)
    return day
