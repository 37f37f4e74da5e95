"""The posting path's statements (PostgreSQL), prepared once per database session.

Planning the posting statements costs PostgreSQL more than running them (about 0.8 ms of
planning against 0.3 ms of execution for the balance UPDATE), so each is bound on the server and
prepared on its first use in a session by ``core_banking.common.sqlbatch`` (the mechanism the
payment path's batches use too); later uses send only the parameters. Every statement has a fixed
shape (arrays through ``unnest``, never a variable number of placeholders), so one prepared
statement serves any number of postings.

Behind a transaction-mode connection pooler (PgBouncer) sessions are shared: set
``LEDGER_PREPARED_STATEMENTS = False`` and the same statements are sent unprepared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core_banking.common.sqlbatch import fetch, prepared_statements_enabled

# Shared by the batch and the single-entry statements, which both provide `d` (the shard changes)
# and $1 (their ids): lock every touched shard in id order first (no deadlock between two
# writers), then apply the changes; a shard that would go below its floor is not updated.
_LOCK_SHARDS = "l AS (SELECT b.id FROM ledger_balance b WHERE b.id = ANY($1) ORDER BY b.id FOR UPDATE)"
_UPDATE_SHARDS = """
        UPDATE ledger_balance b
           SET balance = b.balance + d.delta,
               held = b.held + d.held,
               pending_in = b.pending_in + d.pin,
               posting_count = b.posting_count + d.n,
               last_posted_at = CASE WHEN d.n = 0 THEN b.last_posted_at ELSE
                   GREATEST(clock_timestamp(), b.last_posted_at + interval '1 microsecond')
                   + (d.n - 1) * interval '1 microsecond' END
          FROM d
         WHERE b.id = d.id AND (SELECT count(*) FROM l) > 0
           AND (b.floor IS NULL OR (d.delta >= 0 AND d.held <= 0)
                OR b.balance + d.delta >= b.floor + b.held + d.held)
"""

STATEMENTS: dict[str, tuple[str, str]] = {
    "ledger_locks": (
        "bigint, text[]",
        # One lock per idempotency key; a large batch folds its keys into at most 1,024 slots so
        # that it cannot exhaust PostgreSQL's lock table (max_locks_per_transaction).
        "SELECT pg_advisory_xact_lock_shared($1),"
        " (SELECT count(pg_advisory_xact_lock(h)) FROM ("
        "   SELECT DISTINCT CASE WHEN cardinality($2) > 64 THEN hashtextextended(k, 0) & 1023"
        "                        ELSE hashtextextended(k, 0) END AS h"
        "     FROM unnest($2) AS k ORDER BY h) AS slots)",
    ),
    "ledger_accounts": (
        "bigint[]",
        # (as for the keys below: primary-key probes, never a plan that scans the table)
        "SELECT a.id, a.currency_id, c.exponent, a.type, a.shard_count, a.is_synthetic, a.is_active,"
        " a.balance_rule FROM unnest($1) AS k(id)"
        " CROSS JOIN LATERAL (SELECT * FROM ledger_ledgeraccount WHERE id = k.id) AS a"
        " JOIN ledger_currency c ON c.code = a.currency_id",
    ),
    "ledger_existing": (
        "text, text[]",
        # One unique-index probe per key, whatever the statistics were when the session prepared
        # it (a generic plan made on a near-empty table would otherwise scan the whole table).
        "SELECT e.idempotency_key, e.id, e.request_hash FROM unnest($2) AS k(key)"
        " CROSS JOIN LATERAL (SELECT idempotency_key, id, request_hash FROM ledger_entry"
        "   WHERE idempotency_scope = $1 AND idempotency_key = k.key LIMIT 1) AS e",
    ),
    "ledger_open_day": ("", "SELECT date FROM ledger_business_day WHERE closed_at IS NULL"),
    "ledger_apply_balances": (
        "bigint[], numeric[], int[], numeric[], numeric[]",
        """
        WITH d AS (SELECT * FROM unnest($1, $2, $3, $4, $5) AS d(id, delta, n, held, pin)),
        """ + _LOCK_SHARDS + _UPDATE_SHARDS + """
     RETURNING b.id, b.balance, b.last_posted_at, b.floor, b.held
        """,
    ),
    "ledger_write_one": (
        # $1-$5 shard changes, $6-$19 entry, $20-$25 legs
        "bigint[], numeric[], int[], numeric[], numeric[], text, smallint, varchar, date, date, timestamptz,"
        " varchar, varchar, jsonb, bigint, varchar, varchar, varchar, bigint,"
        " bigint[], varchar[], numeric[], smallint[], bigint[], numeric[]",
        """
        WITH d AS (SELECT * FROM unnest($1, $2, $3, $4, $5) AS d(id, delta, n, held, pin)),
        """ + _LOCK_SHARDS + """,
        u AS (""" + _UPDATE_SHARDS + """
         RETURNING b.id, b.balance, b.last_posted_at
        ), ok AS (
            SELECT count(*) = cardinality($1) AS all_applied FROM u
        ), c AS (
            UPDATE ledger_chain
               SET length = length + 1, head = encode(sha256(decode(head, 'hex') || decode($6, 'hex')), 'hex')
             WHERE id = $7 AND (SELECT all_applied FROM ok)
         RETURNING id, length, head
        ), e AS (
            INSERT INTO ledger_entry (kind, business_date, value_date, created_at, external_ref, description,
                                      metadata, created_by_id, idempotency_scope, idempotency_key, request_hash,
                                      reverses_id, chain_id, chain_seq, hash)
            SELECT $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, c.id, c.length, c.head FROM c
                ON CONFLICT ON CONSTRAINT ledger_entry_idempotency DO NOTHING
         RETURNING id, chain_id, chain_seq, hash
        ), g AS (
            SELECT * FROM unnest($20, $21, $22, $23, $24, $25) WITH ORDINALITY
                   AS g(account_id, currency_id, amount, shard, row_id, delta, ord)
        ), p AS (
            -- each leg's balance after it and its position: the shard's new balance and position,
            -- less what the legs after it (on the same shard) added
            INSERT INTO ledger_posting (entry_id, account_id, currency_id, amount, shard, balance_after, posted_at,
                                        business_date, value_date)
            SELECT e.id, g.account_id, g.currency_id, g.amount, g.shard,
                   u.balance - COALESCE(sum(g.delta) OVER later, 0),
                   u.last_posted_at - (count(*) OVER later) * interval '1 microsecond',
                   $9, $10
              FROM e, g JOIN u ON u.id = g.row_id
            WINDOW later AS (PARTITION BY g.row_id ORDER BY g.ord DESC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
             ORDER BY g.ord  -- posting ids follow the order of the legs (the content digest's order)
         RETURNING 1
        )
        SELECT (SELECT array_agg(id) FROM u), e.id, e.chain_id, e.chain_seq, e.hash
          FROM (SELECT count(*) FROM p) AS written LEFT JOIN e ON true
        """,
    ),
}

# The same write with the entry's id chosen by the caller ($26, from the entry id sequence): a
# caller that batches its statements (``engine.EntryPlan``) writes rows that refer to the entry
# in the same round trip as the entry itself.
_types, _body = STATEMENTS["ledger_write_one"]
_COLUMNS = "INSERT INTO ledger_entry (kind, "
_VALUES = "SELECT $8, $9, "
assert _body.count(_COLUMNS) == 1 and _body.count(_VALUES) == 1
STATEMENTS["ledger_write_one_id"] = (
    _types + ", bigint",
    _body.replace(_COLUMNS, "INSERT INTO ledger_entry (id, kind, ").replace(_VALUES, "SELECT $26, $8, $9, "),
)
ENTRY_ID_SQL = "SELECT nextval(pg_get_serial_sequence('ledger_entry', 'id'))"

# The same write checked against what the writer took for granted instead of reading it first
# (``engine.write_entries``' one-round-trip path): the accounts' facts it validated the entry with
# ($26 ids, $27 each one's "currency|exponent|type|shard count", postable), the open business day
# it hashed the entry with ($28), and that no entry holds the key yet. When any of them does not
# hold, nothing is locked or written and the last column says so (false); the writer then reads
# them and writes as usual.
_GUARD = (
    "gd AS (SELECT (SELECT count(*) FROM unnest($26, $27) AS x(id, fact)"
    "   CROSS JOIN LATERAL (SELECT * FROM ledger_ledgeraccount WHERE id = x.id) AS a"
    "   JOIN ledger_currency cu ON cu.code = a.currency_id"
    "  WHERE a.is_active AND NOT a.is_synthetic"
    "    AND x.fact = a.currency_id || '|' || cu.exponent || '|' || a.type || '|' || a.shard_count"
    " ) = cardinality($26)"
    " AND EXISTS (SELECT 1 FROM ledger_business_day WHERE closed_at IS NULL AND date = $28)"
    " AND NOT EXISTS (SELECT 1 FROM ledger_entry WHERE idempotency_scope = $16 AND idempotency_key = $17)"
    " AS ok),\n        "
)
_LOCKED = "ORDER BY b.id FOR UPDATE)"
_RESULT = "SELECT (SELECT array_agg(id) FROM u), e.id, e.chain_id, e.chain_seq, e.hash"
assert _body.count(_LOCK_SHARDS) == 1 and _LOCK_SHARDS.count(_LOCKED) == 1 and _body.count(_RESULT) == 1
STATEMENTS["ledger_write_one_checked"] = (
    _types + ", bigint[], text[], date",
    _body.replace(_LOCK_SHARDS, _GUARD + _LOCK_SHARDS.replace(_LOCKED, "AND (SELECT ok FROM gd) " + _LOCKED))
    .replace(_RESULT, _RESULT + ", (SELECT ok FROM gd)"),
)

_PLACEHOLDER = re.compile(r"\$(\d+)")


def enabled() -> bool:
    return prepared_statements_enabled()


def rows(name: str, params: Sequence = ()) -> list[tuple]:
    """Run statement ``name`` (bound on the server, prepared once per session unless prepared
    statements are disabled); its rows."""
    sql, values = inline(name, params)
    return fetch(sql, values) or []


def inline(name: str, params: Sequence) -> tuple[str, list]:
    """Statement ``name`` itself, each ``$n`` turned into a typed placeholder: for a caller that
    binds on the server and prepares it (``core_banking.common.sqlbatch``)."""
    form = _INLINE.get(name)
    if form is None:
        types, body = STATEMENTS[name]
        type_list = [t.strip() for t in types.split(",")] if types else []
        order: list[int] = []

        def placeholder(match: re.Match) -> str:
            index = int(match.group(1)) - 1
            order.append(index)
            return f"%s::{type_list[index]}"

        form = _INLINE[name] = (_PLACEHOLDER.sub(placeholder, body), order)
    sql, order = form
    return sql, [params[index] for index in order]


_INLINE: dict[str, tuple[str, list[int]]] = {}
