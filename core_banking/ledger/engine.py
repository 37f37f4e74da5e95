"""The posting engine: validates journal entries and writes them, their postings and the balance
changes in the caller's database transaction, with as few round trips as possible.

Callers are the services in ``services.py``; nothing else writes ledger rows. The engine assumes
it runs inside ``transaction.atomic()``.

Order of work inside the transaction (PostgreSQL):

1. ``pg_advisory_xact_lock_shared(business-date lock)`` so the business date cannot roll while
   the entry is in flight, and ``pg_advisory_xact_lock(hash of the idempotency key)`` so that
   concurrent retries of one request queue behind each other instead of racing.
2. One query reads the accounts, the open business date and any entry already written under the
   idempotency key (a replay returns it; a different payload is a conflict).
3. Validation: accounts exist, take postings, currencies match, amounts fit the currency
   exponent, debits equal credits per currency.
4. One UPDATE changes every touched balance shard. Its rows are locked first in ascending id
   order (``SELECT ... ORDER BY id FOR UPDATE``), so two entries touching the same accounts
   can never deadlock; the floor check is in the UPDATE's WHERE (a missing row is an
   overdraft) and again as a CHECK constraint on the row.
5. The entry is appended to a hash chain; the entry and its postings are inserted.

A single entry whose accounts and business date this process has read before skips step 2: it
is validated against what was read then and written with its locks in one round trip, the write
checking in SQL that it still holds (``_write_one_taken_for_granted``; docs/ledger.md).

On SQLite (the embedded ``make run`` database) the same steps run without the PostgreSQL-only
statements; SQLite's IMMEDIATE transactions serialize writers, and the balance arithmetic is done
in Python because SQLite would do it in binary floating point.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core_banking.common.idempotency import ReplayRace
from core_banking.common.money import check_fits, to_decimal
from core_banking.common.sqlbatch import Batch
from core_banking.ledger import exceptions as exc
from core_banking.ledger import prepared
from core_banking.ledger.hashing import canonical_json, chain_next, entry_content_digest
from core_banking.ledger.models import DEBIT_NORMAL_TYPES, EntryKind

SHARD_FACTOR = 64  # AccountBalance.id == account_id * SHARD_FACTOR + shard
BUSINESS_DATE_LOCK = 0x4C444752  # "LDGR": shared by postings, exclusive for a business-date roll
ONE_MICROSECOND = dt.timedelta(microseconds=1)


def balance_row_id(account_id: int, shard: int) -> int:
    return account_id * SHARD_FACTOR + shard


def chain_count() -> int:
    return int(getattr(settings, "LEDGER_CHAINS", 16))


@dataclass(frozen=True, slots=True)
class Leg:
    """One posting of an entry: a signed amount (debit positive, credit negative)."""

    account_id: int
    amount: Decimal
    currency: str | None = None
    shard: int | None = None  # forced shard (holds post on the shard they reserved)


@dataclass(slots=True)
class EntrySpec:
    legs: Sequence[Leg]
    idempotency_key: str
    request_hash: str
    kind: str = EntryKind.TRANSFER
    external_ref: str = ""
    description: str = ""
    metadata: dict = field(default_factory=dict)
    value_date: dt.date | None = None
    reverses_id: int | None = None


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    currency: str
    exponent: int
    sign: int
    shard_count: int
    is_synthetic: bool
    is_active: bool
    balance_rule: str


@dataclass(slots=True)
class Written:
    entry_id: int
    replayed: bool
    entry: object | None = None  # the JournalEntry, built without a query when just written


@dataclass(slots=True)
class _Prepared:
    spec: EntrySpec
    legs: list[tuple[AccountInfo, Decimal, int]]  # account, amount, shard
    value_date: dt.date
    metadata: dict


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- step 1 and 2: locks and one read ------------------------------------------------------


def lock_keys(scope: str, keys: Sequence[str]) -> None:
    if not is_postgres():
        return
    prepared.rows("ledger_locks", [BUSINESS_DATE_LOCK, _lock_names(scope, keys)])


def _lock_names(scope: str, keys: Sequence[str]) -> list[str]:
    return sorted({f"{scope}\x1f{k}" for k in keys})


def advisory_lock(*names: str) -> None:
    """Transaction-scoped exclusive locks on names (PostgreSQL), taken in sorted order.
    Used where two requests with *different* idempotency keys must still not race, such as two
    reversals of one entry."""
    if not is_postgres() or not names:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(%s::text[]) AS k",
            [sorted(set(names))],
        )


_ACCOUNTS_SQL = (
    "SELECT a.id, a.currency_id, c.exponent, a.type, a.shard_count, a.is_synthetic, a.is_active, a.balance_rule"
    " FROM ledger_ledgeraccount a JOIN ledger_currency c ON c.code = a.currency_id WHERE a.id {cond}"
)
_EXISTING_SQL = (
    "SELECT idempotency_key, id, request_hash FROM ledger_entry"
    " WHERE idempotency_scope = %s AND idempotency_key {cond}"
)
_OPEN_DAY_SQL = "SELECT date FROM ledger_business_day WHERE closed_at IS NULL"


def _account_info(row) -> AccountInfo:
    return AccountInfo(
        id=row[0], currency=row[1], exponent=row[2], sign=1 if row[3] in DEBIT_NORMAL_TYPES else -1,
        shard_count=row[4], is_synthetic=bool(row[5]), is_active=bool(row[6]), balance_rule=row[7],
    )


def _lock_and_read(account_ids: Sequence[int], scope: str, keys: Sequence[str]):
    """Take the locks, then read accounts, entries already written under the keys, and the open
    business date. On PostgreSQL this is one round trip: a pipeline of statements (``Batch``)
    whose later statements each take a fresh snapshot, after the locks are held."""
    ids = sorted(set(account_ids))
    if is_postgres():
        batch = Batch()
        batch.add(*prepared.inline("ledger_locks", [BUSINESS_DATE_LOCK, _lock_names(scope, keys)]))
        accounts_read = batch.add(*prepared.inline("ledger_accounts", [ids]))
        existing_read = batch.add(*prepared.inline("ledger_existing", [scope, list(keys)]))
        day_read = batch.add(*prepared.inline("ledger_open_day", []))
        batch.run()
        accounts = {row[0]: _account_info(row) for row in accounts_read.rows}
        existing = {row[0]: (row[1], row[2]) for row in existing_read.rows}
        day = day_read.one()
        _remember(accounts_read.rows, day[0] if day else None)
        return accounts, existing, (day[0] if day else None)
    accounts, existing = read_accounts(ids, scope, keys)
    return accounts, existing, None


def read_accounts(account_ids: Sequence[int], scope: str, keys: Sequence[str]):
    """Accounts and already-written entries, without locks (portable)."""
    ids = sorted(set(account_ids))
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNTS_SQL.format(cond=f"IN ({','.join(['%s'] * len(ids))})"), ids)
        accounts = {row[0]: _account_info(row) for row in cursor.fetchall()}
        cursor.execute(_EXISTING_SQL.format(cond=f"IN ({','.join(['%s'] * len(keys))})"), [scope, *keys])
        existing = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    return accounts, existing


def current_business_date() -> dt.date:
    """The open business date; opens today's (in the bank's time zone) on a fresh ledger."""
    from core_banking.ledger.models import BusinessDay

    with connection.cursor() as cursor:
        cursor.execute(_OPEN_DAY_SQL)
        row = cursor.fetchone()
    if row:
        value = row[0]
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    today = timezone.localdate()
    day, _ = BusinessDay.objects.get_or_create(
        date=today, defaults={"opened_at": timezone.now(), "closed_at": None}
    )
    return day.date


# --- step 3: validation --------------------------------------------------------------------


def normalize_metadata(metadata: dict | None) -> dict:
    if not metadata:
        return {}
    if not isinstance(metadata, dict):
        raise exc.InvalidEntry("metadata must be a JSON object")
    return json.loads(canonical_json(metadata))


def _prepare(spec: EntrySpec, accounts: dict[int, AccountInfo], business_date: dt.date) -> _Prepared:
    if len(spec.legs) < 2:
        raise exc.InvalidEntry("an entry needs at least two postings")
    if len(spec.legs) > 500:
        raise exc.InvalidEntry("an entry may have at most 500 postings")
    legs: list[tuple[AccountInfo, Decimal, int]] = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for index, leg in enumerate(spec.legs):
        account = accounts.get(leg.account_id)
        if account is None:
            raise exc.AccountNotFound(f"ledger account {leg.account_id} does not exist", posting=index)
        if account.is_synthetic:
            raise exc.AccountNotPostable(
                f"account {account.id} is a general-ledger header account", posting=index
            )
        if not account.is_active:
            raise exc.AccountNotPostable(f"account {account.id} is not active", posting=index)
        if leg.currency is not None and leg.currency != account.currency:
            raise exc.CurrencyMismatch(
                f"posting {index} is in {leg.currency} but account {account.id} is in {account.currency}",
                posting=index,
            )
        amount = check_fits(to_decimal(leg.amount), account.exponent, currency=account.currency)
        if amount == 0:
            raise exc.InvalidAmount(f"posting {index} has a zero amount", posting=index)
        if leg.shard is not None:
            shard = leg.shard
        elif account.shard_count == 1:
            shard = 0
        else:
            shard = random.randrange(account.shard_count)  # noqa: S311 - load spreading, not security
        legs.append((account, amount, shard))
        totals[account.currency] += amount
    unbalanced = {cur: total for cur, total in totals.items() if total != 0}
    if unbalanced:
        raise exc.UnbalancedEntry(
            "debits and credits differ: "
            + ", ".join(f"{cur} {total:+}" for cur, total in sorted(unbalanced.items())),
            imbalance={cur: str(total) for cur, total in unbalanced.items()},
        )
    value_date = spec.value_date or business_date
    return _Prepared(spec=spec, legs=legs, value_date=value_date, metadata=normalize_metadata(spec.metadata))


# --- step 4: balances ----------------------------------------------------------------------


@dataclass(slots=True)
class ShardChange:
    delta: Decimal = Decimal(0)
    count: int = 0
    held: Decimal = Decimal(0)
    pending_in: Decimal = Decimal(0)
    account: AccountInfo | None = None
    # for intermediate floor checks in a batch: the running delta after each leg
    steps: list[Decimal] = field(default_factory=list)


AppliedShard = tuple[Decimal, dt.datetime | None, Decimal | None, Decimal]


def apply_shard_changes(changes: dict[int, ShardChange]) -> dict[int, AppliedShard]:
    """Apply balance/held changes to shards in one statement; return
    {row id: (new balance, new last_posted_at, floor, new held)}. Rows whose floor check fails
    are missing from the result."""
    ids = sorted(changes)
    if not ids:
        return {}
    if is_postgres():
        columns: tuple[list, ...] = ([], [], [], [], [])
        for row_id in ids:
            ch = changes[row_id]
            for column, value in zip(columns, (row_id, ch.delta, ch.count, ch.held, ch.pending_in), strict=True):
                column.append(value)
        return {row[0]: (row[1], row[2], row[3], row[4])
                for row in prepared.rows("ledger_apply_balances", list(columns))}
    return _apply_shard_changes_python(changes, ids)


def _apply_shard_changes_python(changes, ids):
    from core_banking.ledger.models import AccountBalance

    result = {}
    now = timezone.now()
    rows = {row.id: row for row in AccountBalance.objects.filter(id__in=ids)}
    for row_id in ids:
        row, ch = rows.get(row_id), changes[row_id]
        if row is None:
            continue
        new_balance, new_held = row.balance + ch.delta, row.held + ch.held
        relaxing = ch.delta >= 0 and ch.held <= 0
        if row.floor is not None and not relaxing and new_balance < row.floor + new_held:
            continue
        if ch.count:
            base = max(now, row.last_posted_at + ONE_MICROSECOND) if row.last_posted_at else now
            row.last_posted_at = base + (ch.count - 1) * ONE_MICROSECOND
        row.balance, row.held = new_balance, new_held
        row.pending_in += ch.pending_in
        row.posting_count += ch.count
        row.save(update_fields=["balance", "held", "pending_in", "posting_count", "last_posted_at"])
        result[row_id] = (row.balance, row.last_posted_at, row.floor, row.held)
    return result


def raise_insufficient(changes: dict[int, ShardChange], applied: dict, *, leg_rows: list[list[int]] | None = None):
    refused = [row_id for row_id in changes if row_id not in applied]
    account_ids = sorted({row_id // SHARD_FACTOR for row_id in refused})
    extra: dict = {"accounts": account_ids}
    if leg_rows and len(leg_rows) > 1:
        # The batch as a whole overdraws: name the last entry that lowers a refused shard.
        lowering = [i for i, rows in enumerate(leg_rows) if set(rows) & set(refused)]
        if lowering:
            extra["entry_index"] = lowering[-1]
    raise exc.InsufficientFunds(
        f"insufficient available funds on account{'s' if len(account_ids) > 1 else ''} "
        + ", ".join(str(a) for a in account_ids),
        **extra,
    )


# --- step 5: chain and rows ----------------------------------------------------------------


def _append_to_chain(digests: list[str]) -> tuple[int, list[tuple[int, str]]]:
    """Append content digests to one randomly chosen chain; return (chain id, [(seq, hash)])."""
    chain_id = random.randrange(chain_count())  # noqa: S311
    with connection.cursor() as cursor:
        lock = " FOR UPDATE" if is_postgres() else ""
        cursor.execute(f"SELECT length, head FROM ledger_chain WHERE id = %s{lock}", [chain_id])  # noqa: S608
        length, head = cursor.fetchone()
        links = []
        for content in digests:
            length += 1
            head = chain_next(head, content)
            links.append((length, head))
        cursor.execute("UPDATE ledger_chain SET length = %s, head = %s WHERE id = %s", [length, head, chain_id])
    return chain_id, links


def write_entries(
    *,
    specs: Sequence[EntrySpec],
    scope: str,
    actor_id: int | None,
    balance_effects: dict[int, ShardChange] | None = None,
) -> list[Written]:
    """Validate and write entries atomically (the caller holds the transaction).

    All entries replay (returning the originals) or none may exist; ``balance_effects`` lets a
    caller (holds) add held/pending changes to the same balance statement.
    """
    keys = [s.idempotency_key for s in specs]
    if len(set(keys)) != len(keys):
        raise exc.InvalidEntry("idempotency keys must be unique within a request")
    if len(specs) == 1 and not balance_effects and is_postgres():
        written = _write_one_taken_for_granted(specs[0], scope, actor_id)
        if written is not None:
            return [written]
    account_ids = [leg.account_id for s in specs for leg in s.legs]
    accounts, existing, business_date = _lock_and_read(account_ids, scope, keys)
    if existing:
        return _replay(specs, existing)
    business_date = business_date or current_business_date()
    checked: list[_Prepared] = []
    for index, spec in enumerate(specs):
        try:
            checked.append(_prepare(spec, accounts, business_date))
        except exc.DomainError as error:
            if len(specs) > 1:  # in a batch, say which entry was refused
                error.extra["entry_index"] = index
                error.detail = f"entry {index}: {error.detail}"
            raise

    # Per shard row: the total change and, for batches, the running change after each leg.
    changes: dict[int, ShardChange] = dict(balance_effects or {})
    leg_rows: list[list[int]] = []
    for p in checked:
        leg_rows.append(_add_legs(p, changes))
    now = timezone.now()
    if is_postgres() and len(checked) == 1:
        return [_write_one_pg(checked[0], changes, leg_rows[0], business_date, now, scope, actor_id)]
    applied = apply_shard_changes(changes)
    try:
        if len(applied) != len(changes):
            raise_insufficient(changes, applied, leg_rows=leg_rows)
        _check_intermediate_floors(changes, applied, checked, leg_rows)
    except exc.InsufficientFunds:
        # A retry whose original committed while we waited for the idempotency lock must get the
        # original back, not a refusal caused by the original's own debit.
        _raise_if_written_meanwhile(scope, keys)
        raise

    # Balance after and position of each leg, walking each shard's legs in order.
    cursor_state = {}
    for row_id, (new_balance, last_at, _floor, _held) in applied.items():
        change = changes[row_id]
        first_at = last_at - (change.count - 1) * ONE_MICROSECOND if last_at and change.count else None
        cursor_state[row_id] = [new_balance - change.delta, first_at]
    digests, rows_to_write = [], []
    for p, rows in zip(checked, leg_rows, strict=True):
        posting_rows = []
        for (account, amount, shard), row_id in zip(p.legs, rows, strict=True):
            state = cursor_state[row_id]
            state[0] += amount * account.sign
            posting_rows.append((account.id, account.currency, amount, shard, state[0], state[1]))
            state[1] = state[1] + ONE_MICROSECOND
        spec = p.spec
        digests.append(
            entry_content_digest(
                kind=spec.kind, business_date=business_date, value_date=p.value_date, created_at=now,
                external_ref=spec.external_ref, description=spec.description, metadata=p.metadata,
                created_by_id=actor_id, idempotency_scope=scope, idempotency_key=spec.idempotency_key,
                reverses_id=spec.reverses_id,
                postings=[(r[0], r[1], r[2]) for r in posting_rows],
            )
        )
        rows_to_write.append((p, posting_rows))
    chain_id, links = _append_to_chain(digests)
    ids = _insert_rows(rows_to_write, links, chain_id, business_date, now, scope, actor_id)
    return [Written(entry_id=i, replayed=False) for i in ids]


def _raise_if_written_meanwhile(scope: str, keys: Sequence[str]) -> None:
    if not is_postgres():
        return  # SQLite writers are serialized: nothing can have been written meanwhile
    if prepared.rows("ledger_existing", [scope, list(keys)]):
        raise ReplayRace()


def _write_one_pg(p: _Prepared, changes: dict[int, ShardChange], rows: list[int], business_date, now, scope,
                  actor_id) -> Written:
    """One entry in one statement: balance shards (locked in id order, floor-checked), chain
    link, entry and postings, each posting's balance-after and position computed by PostgreSQL
    from the updated shard. Row locks are held only from this statement to the commit, with no
    Python work in between."""
    params = _write_one_params(p, changes, rows, business_date, now, scope, actor_id)
    [row] = prepared.rows("ledger_write_one", params)
    return _written_one(row, p, changes, business_date, now, scope, actor_id)


# --- one entry in one round trip ------------------------------------------------------------
#
# What the first round trip reads (the accounts, the open business day) rarely changes, so each
# process keeps what it last read: an entry whose accounts and day are all known is validated
# against them and written at once, in one round trip with its locks (``ledger_write_one_checked``),
# the write checking in SQL, after the locks, that the accounts, the day and the key's absence are
# what it took for granted. When one is not (an account changed, the day rolled, a replay), the
# statement writes nothing and the usual path reads and writes (a round trip more, this once).

_KNOWN_LIMIT = 50_000  # accounts remembered per process (all forgotten when full: a bound, not an LRU)
_known_accounts: dict[tuple[str, int], tuple[AccountInfo, str]] = {}
_known_day: dict[str, dt.date] = {}


def _remember(account_rows, business_date: dt.date | None) -> None:
    """Keep what ``_lock_and_read`` read (rows of ``ledger_accounts``) for the next entries."""
    database = connection.settings_dict["NAME"]
    if len(_known_accounts) + len(account_rows) > _KNOWN_LIMIT:
        _known_accounts.clear()
    for row in account_rows:
        _known_accounts[(database, row[0])] = (_account_info(row), f"{row[1]}|{row[2]}|{row[3]}|{row[4]}")
    if business_date is not None:
        _known_day[database] = business_date


def forget_known() -> None:
    """Forget the accounts and the day kept for the one-round-trip path (it never needs this to be
    right: its write checks them; tests use it to take the usual path)."""
    _known_accounts.clear()
    _known_day.clear()


def _write_one_taken_for_granted(spec: EntrySpec, scope: str, actor_id: int | None) -> Written | None:
    """The entry validated against the accounts and business day this process read last, locked
    and written in one round trip; None when one of them is unknown here or is no longer what was
    read (nothing was written: the caller takes the usual path, under the locks already held)."""
    database = connection.settings_dict["NAME"]
    business_date = _known_day.get(database)
    known = {}
    for leg in spec.legs:
        entry = _known_accounts.get((database, leg.account_id))
        if entry is None or business_date is None:
            return None
        known[leg.account_id] = entry
    try:  # a refusal is only ever raised from what was read in this transaction
        p = _prepare(spec, {account_id: info for account_id, (info, _) in known.items()}, business_date)
    except exc.DomainError:
        return None
    changes, rows = _shard_changes(p)
    now = timezone.now()
    ids = sorted(known)
    params = [*_write_one_params(p, changes, rows, business_date, now, scope, actor_id),
              ids, [known[account_id][1] for account_id in ids], business_date]
    batch = Batch()
    batch.add(*prepared.inline("ledger_locks", [BUSINESS_DATE_LOCK, _lock_names(scope, [spec.idempotency_key])]))
    write = batch.add(*prepared.inline("ledger_write_one_checked", params))
    batch.run()
    *row, held = write.one()
    if not held:
        return None
    return _written_one(row, p, changes, business_date, now, scope, actor_id)


def _shard_changes(p: _Prepared) -> tuple[dict[int, ShardChange], list[int]]:
    """One entry's change per balance shard, and each leg's shard row."""
    changes: dict[int, ShardChange] = {}
    return changes, _add_legs(p, changes)


def _add_legs(p: _Prepared, changes: dict[int, ShardChange]) -> list[int]:
    """Add an entry's legs to ``changes`` (per shard row: the total change, the number of legs and
    the running change after each leg); each leg's shard row."""
    rows = []
    for account, amount, shard in p.legs:
        row_id = balance_row_id(account.id, shard)
        ch = changes.setdefault(row_id, ShardChange())
        ch.account = account
        ch.delta += amount * account.sign
        ch.count += 1
        ch.steps.append(ch.delta)
        rows.append(row_id)
    return rows


def _write_one_params(p: _Prepared, changes: dict[int, ShardChange], rows: list[int], business_date, now, scope,
                      actor_id) -> list:
    """The parameters of ``ledger_write_one`` for one prepared entry."""
    spec = p.spec
    content_digest = entry_content_digest(
        kind=spec.kind, business_date=business_date, value_date=p.value_date, created_at=now,
        external_ref=spec.external_ref, description=spec.description, metadata=p.metadata,
        created_by_id=actor_id, idempotency_scope=scope, idempotency_key=spec.idempotency_key,
        reverses_id=spec.reverses_id,
        postings=[(account.id, account.currency, amount) for account, amount, _ in p.legs],
    )
    ids = sorted(changes)
    shard_columns = [ids, *([] for _ in range(4))]
    for row_id in ids:
        ch = changes[row_id]
        for column, value in zip(shard_columns[1:], (ch.delta, ch.count, ch.held, ch.pending_in), strict=True):
            column.append(value)
    leg_columns: tuple[list, ...] = ([], [], [], [], [], [])
    for (account, amount, shard), row_id in zip(p.legs, rows, strict=True):
        for column, value in zip(leg_columns, (account.id, account.currency, amount, shard, row_id,
                                               amount * account.sign), strict=True):
            column.append(value)
    chain_id = random.randrange(chain_count())  # noqa: S311
    return [*shard_columns, content_digest, chain_id, spec.kind, business_date, p.value_date, now,
            spec.external_ref, spec.description, json.dumps(p.metadata), actor_id, scope, spec.idempotency_key,
            spec.request_hash, spec.reverses_id, *leg_columns]


def _written_one(row, p: _Prepared, changes: dict[int, ShardChange], business_date, now, scope,
                 actor_id) -> Written:
    """What ``ledger_write_one`` returned: the entry written, or the refusal (a shard below its
    floor: ``InsufficientFunds``; the key written meanwhile: ``ReplayRace``)."""
    from core_banking.ledger.models import JournalEntry

    spec = p.spec
    updated, entry_id, chain_id, chain_seq, link = row
    if len(updated or ()) != len(changes):
        applied = dict.fromkeys(updated or ())
        try:
            raise_insufficient(changes, applied)
        except exc.InsufficientFunds:
            _raise_if_written_meanwhile(scope, [spec.idempotency_key])
            raise
    if entry_id is None:
        raise ReplayRace()
    entry = JournalEntry(
        id=entry_id, kind=spec.kind, business_date=business_date, value_date=p.value_date, created_at=now,
        external_ref=spec.external_ref, description=spec.description, metadata=p.metadata,
        created_by_id=actor_id, idempotency_scope=scope, idempotency_key=spec.idempotency_key,
        request_hash=spec.request_hash, reverses_id=spec.reverses_id, chain_id=chain_id, chain_seq=chain_seq,
        hash=link,
    )
    entry._state.adding = False
    entry._state.db = connection.alias
    return Written(entry_id=entry_id, replayed=False, entry=entry)


# --- one entry in its caller's round trips -------------------------------------------------


class EntryPlan:
    """One entry written inside its caller's round trips, for a caller that batches its own
    statements (the payment path, ``core_banking.common.sqlbatch``) on PostgreSQL:

    1. ``read(batch)``: the locks and reads of ``write_entries`` (idempotency-key lock, the
       accounts, an entry already written under the key, the open business date) and the
       balances of the constrained accounts, added to the caller's read batch;
    2. ``check(spec)``, after that batch ran: the entry validated as ``write_entries`` does,
       and refused at once (``InsufficientFunds``, nothing written) when the balances just read
       cannot take it, so a refusal costs no write. The final word stays with the write;
    3. ``write(batch)``: the one statement of ``_write_one_pg``, added to the caller's write
       batch;
    4. ``result()``, after that batch ran: the ``Written`` entry, or the refusal.

    The entry's id is taken from its sequence by ``read`` (``entry_id``), so that the caller's
    rows written in the same batch can refer to it (their foreign keys are checked at commit; a
    refused entry rolls the whole transaction back). Elsewhere (SQLite) ``read`` adds nothing,
    ``write`` posts through ``write_entries`` at once and ``entry_id`` is known after it.
    """

    def __init__(self, *, account_ids: Sequence[int], key: str, scope: str, actor_id: int | None):
        self.account_ids = sorted(set(account_ids))
        self.key, self.scope, self.actor_id = key, scope, actor_id
        self._reads: tuple | None = None
        self._checked: tuple | None = None
        self._statement = None
        self._written: Written | None = None
        self.entry_id: int | None = None

    def read(self, batch) -> None:
        if not is_postgres():
            return
        parts = [
            prepared.inline("ledger_locks", [BUSINESS_DATE_LOCK, _lock_names(self.scope, [self.key])]),
            prepared.inline("ledger_accounts", [self.account_ids]),
            prepared.inline("ledger_existing", [self.scope, [self.key]]),
            prepared.inline("ledger_open_day", []),
        ]
        statements = [batch.add(sql, values) for sql, values in parts]
        balances = batch.add(
            "SELECT id, balance, held, floor FROM ledger_balance WHERE account_id = ANY(%s) AND floor IS NOT NULL",
            [self.account_ids])
        self._reads = (*statements[1:], balances, batch.add(prepared.ENTRY_ID_SQL))

    def check(self, spec: EntrySpec) -> Written | None:
        """Validate ``spec`` against what ``read`` found; the original entry when the key was
        used before (a replay), else None (to be written)."""
        if spec.idempotency_key != self.key:
            raise ValueError("the entry's key is the one the plan locked")
        if self._reads is None:  # not PostgreSQL: write_entries does it all in write()
            self._checked = (spec,)
            return None
        accounts_rows, existing_rows, day_rows, balance_rows, entry_id_rows = (s.rows for s in self._reads)
        self.entry_id = entry_id_rows[0][0]
        accounts = {row[0]: _account_info(row) for row in accounts_rows}
        existing = {row[0]: (row[1], row[2]) for row in existing_rows}
        if existing:
            self._written = _replay([spec], existing)[0]
            self.entry_id = self._written.entry_id
            return self._written
        business_date = day_rows[0][0] if day_rows else current_business_date()
        p = _prepare(spec, accounts, business_date)
        changes, rows = _shard_changes(p)
        floors = {row[0]: row[1:] for row in balance_rows}
        short = {row_id: None for row_id, ch in changes.items() if row_id in floors and ch.delta < 0
                 and floors[row_id][0] + ch.delta < floors[row_id][2] + floors[row_id][1]}
        if short:
            raise_insufficient({row_id: changes[row_id] for row_id in short}, {})
        self._checked = (p, changes, rows, business_date)
        return None

    def write(self, batch) -> None:
        if self._written is not None:  # replayed: nothing to write
            return
        if self._checked is None:
            raise RuntimeError("check() the entry before writing it")
        if len(self._checked) == 1:
            self._written = write_entries(specs=list(self._checked), scope=self.scope, actor_id=self.actor_id)[0]
            self.entry_id = self._written.entry_id
            return
        p, changes, rows, business_date = self._checked
        now = timezone.now()
        params = _write_one_params(p, changes, rows, business_date, now, self.scope, self.actor_id)
        sql, values = prepared.inline("ledger_write_one_id", [*params, self.entry_id])
        self._statement = (batch.add(sql, values), now)

    def result(self) -> Written:
        if self._written is not None:
            return self._written
        statement, now = self._statement
        p, changes, _rows, business_date = self._checked
        self._written = _written_one(statement.one(), p, changes, business_date, now, self.scope, self.actor_id)
        return self._written


def _check_intermediate_floors(changes, applied, prepared, leg_rows) -> None:
    """In a batch, a constrained shard must stay above its floor after every leg, not only at the
    end (the final state is checked by the UPDATE itself)."""
    for row_id, ch in changes.items():
        new_balance, _last_at, floor, held = applied[row_id]
        if floor is None or len(ch.steps) < 2:
            continue
        start = new_balance - ch.delta
        previous = Decimal(0)
        for step_index, running in enumerate(ch.steps):
            if running < previous and start + running < floor + held:
                entry_index = _entry_of_step(row_id, step_index, leg_rows)
                raise exc.InsufficientFunds(
                    f"insufficient available funds on account {row_id // SHARD_FACTOR} "
                    f"at entry {entry_index} of the batch",
                    accounts=[row_id // SHARD_FACTOR],
                    entry_index=entry_index,
                )
            previous = running


def _entry_of_step(row_id: int, step_index: int, leg_rows: list[list[int]]) -> int:
    seen = -1
    for entry_index, rows in enumerate(leg_rows):
        seen += rows.count(row_id)
        if seen >= step_index:
            return entry_index
    return len(leg_rows) - 1


def _insert_rows(rows_to_write, links, chain_id, business_date, now, scope, actor_id) -> list[int]:
    if is_postgres() and len(rows_to_write) > 1:
        return _copy_rows(rows_to_write, links, chain_id, business_date, now, scope, actor_id)
    ids = []
    with connection.cursor() as cursor:
        for (p, posting_rows), (seq, link) in zip(rows_to_write, links, strict=True):
            spec = p.spec
            cursor.execute(
                "INSERT INTO ledger_entry (kind, business_date, value_date, created_at, external_ref, "
                "description, metadata, created_by_id, idempotency_scope, idempotency_key, request_hash, "
                "reverses_id, chain_id, chain_seq, hash) VALUES "
                "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                [spec.kind, business_date, p.value_date, now, spec.external_ref, spec.description,
                 json.dumps(p.metadata), actor_id, scope, spec.idempotency_key, spec.request_hash,
                 spec.reverses_id, chain_id, seq, link],
            )
            entry_id = cursor.fetchone()[0]
            values = ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(posting_rows))
            params: list = []
            for account_id, currency, amount, shard, balance_after, posted_at in posting_rows:
                params += [entry_id, account_id, currency, amount, shard, balance_after, posted_at,
                           business_date, p.value_date]
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, currency_id, amount, shard, "
                f"balance_after, posted_at, business_date, value_date) VALUES {values}",  # noqa: S608
                params,
            )
            ids.append(entry_id)
    return ids


_COPY_CHUNK = 250  # COPY lines sent at a time

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value) -> str:
    """One field of PostgreSQL's text COPY format (\\N for NULL, backslash escapes)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)  # int, Decimal, date


def _copy_rows(rows_to_write, links, chain_id, business_date, now, scope, actor_id) -> list[int]:
    """Entries and postings of a batch with two COPY statements, formatted here: about three
    times cheaper than handing psycopg one row tuple at a time."""
    field = _copy_field
    with connection.cursor() as cursor:
        cursor.execute(
            # The sequence's name in a scalar subquery, looked up once: as a plain call it was
            # looked up for every row (5-8 us an id instead of 0.6).
            "SELECT nextval((SELECT pg_get_serial_sequence('ledger_entry', 'id')::regclass))"
            " FROM generate_series(1, %s)",
            [len(rows_to_write)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.cursor
        # Fields that are the same for the whole batch are formatted once.
        bd = field(business_date)
        created = field(now)
        actor = field(actor_id)
        scope_text = field(scope)
        # Sent in chunks as they are formatted: PostgreSQL inserts one chunk (on its own core)
        # while the next is formatted here, instead of waiting for the whole batch.
        with raw.copy(
            "COPY ledger_entry (id, kind, business_date, value_date, created_at, external_ref, description, "
            "metadata, created_by_id, idempotency_scope, idempotency_key, request_hash, reverses_id, "
            "chain_id, chain_seq, hash) FROM STDIN"
        ) as copy:
            lines = []
            for entry_id, (p, _), (seq, link) in zip(ids, rows_to_write, links, strict=True):
                spec = p.spec
                lines.append("\t".join((
                    str(entry_id), field(spec.kind), bd, field(p.value_date), created,
                    field(spec.external_ref), field(spec.description), field(json.dumps(p.metadata)), actor,
                    scope_text, field(spec.idempotency_key), field(spec.request_hash), field(spec.reverses_id),
                    str(chain_id), str(seq), link,
                )))
                if len(lines) == _COPY_CHUNK:
                    copy.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
        with raw.copy(
            "COPY ledger_posting (entry_id, account_id, currency_id, amount, shard, balance_after, "
            "posted_at, business_date, value_date) FROM STDIN"
        ) as copy:
            lines = []
            for entry_id, (p, posting_rows) in zip(ids, rows_to_write, strict=True):
                tail = f"{bd}\t{field(p.value_date)}"
                for account_id, currency, amount, shard, balance_after, posted_at in posting_rows:
                    lines.append(f"{entry_id}\t{account_id}\t{currency}\t{amount}\t{shard}\t{balance_after}\t"
                                 f"{posted_at.isoformat()}\t{tail}")
                if len(lines) >= _COPY_CHUNK:
                    copy.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
    return ids


def _replay(specs: Sequence[EntrySpec], existing: dict[str, tuple[int, str]]) -> list[Written]:
    if len(existing) != len(specs):
        raise exc.IdempotencyConflict(
            "some of these idempotency keys were used before and some were not",
            used=sorted(existing),
        )
    written = []
    for spec in specs:
        entry_id, request_hash = existing[spec.idempotency_key]
        if request_hash != spec.request_hash:
            raise exc.IdempotencyConflict(
                f"idempotency key {spec.idempotency_key!r} was used for a different request",
                entry_id=entry_id,
            )
        written.append(Written(entry_id=entry_id, replayed=True))
    return written
