"""Automatic matching of statement lines against ledger postings, set-based in SQL.

The two sides, per external account:

* statement lines of the account not yet matched (``status <> 'matched'``);
* postings of the account's mapped ledger account that are in no active match. The ledger
  account mirrors our account at the bank (an asset), so a credit on the statement (money in,
  positive) is a debit posting (positive): the amounts compare as they are.

Rules run in the order of ``ExternalAccount.matching_config["rules"]``; each sees only what the
previous ones left:

``reference``
    line reference (end-to-end id / customer reference) == the entry's ``external_ref`` or its
    ``metadata["payment_reference"]``, amounts equal (within ``amount_tolerance``).
``amount_date``
    amounts equal (within ``amount_tolerance``) and the posting's value date within
    ``date_tolerance_days`` of the line's value date (inclusive).
``sum``
    one line == the exact sum of several postings sharing a reference (the line's) or a value
    date (the line's): a batch settlement; or several lines sharing a reference == one posting
    whose entry carries that reference.

Each rule yields *candidates* (a set of lines and postings). A candidate becomes a match only when
none of its lines or postings is in another candidate of the same rule (a unique answer); the
others are kept and, if their items are still open after every rule, written as ``suggested``
matches (at most ``SUGGESTIONS_PER_LINE`` per line) for a person to confirm: ambiguity is never
resolved by guessing.

Each run replaces the previous run's suggestions and holds a transaction-level advisory lock per
external account, so two runs on one account queue instead of racing; the partial unique indexes
on active match links are the final guard.

On a database other than PostgreSQL (``make run``'s embedded SQLite, one writer at a time) the
same rules run in Python over the same two sides (``_automatch_in_python``): the results are the
same, which ``tests/reconciliation/test_matching.py`` checks by running every worked example both
ways.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .models import ExternalAccount

SUGGESTIONS_PER_LINE = 5
RULES = ("reference", "amount_date", "sum")
_LOCK_NAMESPACE = 0x5245_4300  # "REC"


@dataclass
class MatchRun:
    external_account_id: int
    lines_open: int = 0
    postings_open: int = 0
    matched: dict = field(default_factory=dict)  # rule -> matches created
    lines_matched: int = 0
    postings_matched: int = 0
    suggestions: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _amount_condition(tolerance: Decimal, left: str, right: str) -> tuple[str, list]:
    if tolerance == 0:
        return f"{left} = {right}", []
    return f"{left} BETWEEN {right} - %s AND {right} + %s", [tolerance, tolerance]


def _candidates_reference(cur, account: ExternalAccount) -> None:
    cond, params = _amount_condition(account.amount_tolerance, "p.amount", "l.amount")
    cur.execute(f"""
        INSERT INTO rec_pair (lid, pid)
        SELECT l.id, p.id FROM rec_l l JOIN rec_p p ON p.ref = l.reference WHERE l.reference <> '' AND {cond}
        UNION
        SELECT l.id, p.id FROM rec_l l JOIN rec_p p ON p.pref = l.reference
        WHERE l.reference <> '' AND p.pref <> '' AND {cond}""", params + params)


def _candidates_amount_date(cur, account: ExternalAccount) -> None:
    cond, params = _amount_condition(account.amount_tolerance, "p.amount", "l.amount")
    days = account.date_tolerance_days
    cur.execute(f"""
        INSERT INTO rec_pair (lid, pid)
        SELECT l.id, p.id FROM rec_l l JOIN rec_p p ON {cond}
           AND p.value_date BETWEEN l.value_date - %s AND l.value_date + %s""", params + [days, days])


def _candidates_sum(cur, account: ExternalAccount) -> None:
    """Groups: one line = Σ postings (same reference, or same value date); Σ lines (same
    reference) = one posting. Groups of one are left to the other rules."""
    cur.execute("""
        CREATE TEMP TABLE rec_groups ON COMMIT DROP AS
        -- one line, several postings sharing its reference
        SELECT 'l' AS kind, l.id AS single, g.ids AS many FROM rec_l l
        JOIN (SELECT ref, array_agg(id) AS ids, sum(amount) AS total FROM rec_p WHERE ref <> ''
              GROUP BY ref HAVING count(*) >= 2) g ON g.ref = l.reference AND g.total = l.amount
        WHERE l.reference <> ''
        UNION ALL
        -- one line, all open postings of its value date (a daily batch settlement)
        SELECT 'l', l.id, g.ids FROM rec_l l
        JOIN (SELECT value_date, array_agg(id) AS ids, sum(amount) AS total FROM rec_p
              GROUP BY value_date HAVING count(*) >= 2) g ON g.value_date = l.value_date AND g.total = l.amount
        UNION ALL
        -- several lines sharing a reference, one posting whose entry carries it
        SELECT 'p', p.id, g.ids FROM rec_p p
        JOIN (SELECT reference, array_agg(id) AS ids, sum(amount) AS total FROM rec_l WHERE reference <> ''
              GROUP BY reference HAVING count(*) >= 2) g
          ON (g.reference = p.ref OR g.reference = p.pref) AND g.total = p.amount""")
    cur.execute("""
        INSERT INTO rec_gi (cid, kind, item)
        SELECT DISTINCT c.cid, k.kind, k.item
        FROM (SELECT row_number() OVER () AS cid, kind, single, many FROM rec_groups) c
        CROSS JOIN LATERAL (
            SELECT c.kind AS kind, c.single AS item
            UNION ALL
            SELECT CASE c.kind WHEN 'l' THEN 'p' ELSE 'l' END, unnest(c.many)) AS k(kind, item)""")
    cur.execute("DROP TABLE rec_groups")


_CANDIDATES = {"reference": _candidates_reference, "amount_date": _candidates_amount_date, "sum": _candidates_sum}


_PAIR_RULES = {"reference", "amount_date"}


def _apply_rule(cur, account: ExternalAccount, rule: str, run: MatchRun) -> None:
    cur.execute("TRUNCATE rec_gi")
    if rule in _PAIR_RULES:
        # One line, one posting: a pair is accepted when neither side has another candidate.
        cur.execute("TRUNCATE rec_pair")
        _CANDIDATES[rule](cur, account)
        cur.execute("""
            CREATE TEMP TABLE rec_acc ON COMMIT DROP AS
            SELECT p.lid, p.pid, nextval(pg_get_serial_sequence('reconciliation_match', 'id')) AS mid
            FROM rec_pair p
            JOIN (SELECT lid FROM rec_pair GROUP BY lid HAVING count(*) = 1) ul ON ul.lid = p.lid
            JOIN (SELECT pid FROM rec_pair GROUP BY pid HAVING count(*) = 1) up ON up.pid = p.pid""")
        cur.execute("""
            INSERT INTO rec_gi (cid, kind, item)
            SELECT c.cid, k.kind, k.item
            FROM (SELECT row_number() OVER () AS cid, lid, pid FROM rec_pair p
                  WHERE NOT EXISTS (SELECT 1 FROM rec_acc a WHERE a.lid = p.lid)) c
            CROSS JOIN LATERAL (VALUES ('l', c.lid), ('p', c.pid)) AS k(kind, item)""")
        line_links = "SELECT mid, lid FROM rec_acc"
        posting_links = "SELECT mid, pid FROM rec_acc"
        suggestions = "SELECT %s, cid, kind, item FROM rec_gi"
    else:
        _CANDIDATES[rule](cur, account)
        # A candidate is accepted when each of its items is in no other candidate of this rule.
        cur.execute("""
            CREATE TEMP TABLE rec_acc ON COMMIT DROP AS
            SELECT cid, nextval(pg_get_serial_sequence('reconciliation_match', 'id')) AS mid
            FROM (SELECT gi.cid FROM rec_gi gi
                  JOIN (SELECT kind, item, count(DISTINCT cid) AS n FROM rec_gi GROUP BY kind, item) c
                    ON c.kind = gi.kind AND c.item = gi.item
                  GROUP BY gi.cid HAVING max(c.n) = 1) ok""")
        line_links = "SELECT a.mid, gi.item FROM rec_acc a JOIN rec_gi gi ON gi.cid = a.cid AND gi.kind = 'l'"
        posting_links = "SELECT a.mid, gi.item FROM rec_acc a JOIN rec_gi gi ON gi.cid = a.cid AND gi.kind = 'p'"
        suggestions = """SELECT %s, gi.cid, gi.kind, gi.item FROM rec_gi gi
                         WHERE NOT EXISTS (SELECT 1 FROM rec_acc a WHERE a.cid = gi.cid)"""
    cur.execute("""
        INSERT INTO reconciliation_match (id, external_account_id, rule, state, matched_by_id, matched_at, note,
                                          unmatched_by_id, unmatched_at, unmatch_reason)
        SELECT mid, %s, %s, 'matched', NULL, now(), '', NULL, NULL, '' FROM rec_acc""", [account.pk, rule])
    run.matched[rule] = cur.rowcount
    cur.execute(f"CREATE TEMP TABLE rec_done_l ON COMMIT DROP AS {line_links}")
    cur.execute(f"CREATE TEMP TABLE rec_done_p ON COMMIT DROP AS {posting_links}")
    cur.execute("INSERT INTO reconciliation_matchline (match_id, line_id, state) "
                "SELECT mid, lid, 'matched' FROM rec_done_l AS d(mid, lid)")
    run.lines_matched += cur.rowcount
    cur.execute("INSERT INTO reconciliation_matchposting (match_id, posting_id, state) "
                "SELECT mid, pid, 'matched' FROM rec_done_p AS d(mid, pid)")
    run.postings_matched += cur.rowcount
    cur.execute("INSERT INTO rec_matched (id) SELECT lid FROM rec_done_l AS d(mid, lid)")
    cur.execute("DELETE FROM rec_l l USING rec_done_l AS d(mid, lid) WHERE d.lid = l.id")
    cur.execute("DELETE FROM rec_p p USING rec_done_p AS d(mid, pid) WHERE d.pid = p.id")
    # The ambiguous candidates wait as suggestions (written at the end if still open).
    cur.execute(f"INSERT INTO rec_sugg (rule, cid, kind, item) {suggestions}", [rule])
    for name in ("rec_acc", "rec_done_l", "rec_done_p"):
        cur.execute(f"DROP TABLE {name}")


def _write_suggestions(cur, account: ExternalAccount, run: MatchRun) -> None:
    cur.execute("""
        CREATE TEMP TABLE rec_sacc ON COMMIT DROP AS
        SELECT rule, cid, nextval(pg_get_serial_sequence('reconciliation_match', 'id')) AS mid FROM (
            SELECT rule, cid, row_number() OVER (PARTITION BY line ORDER BY rule_rank, cid) AS rank FROM (
                SELECT s.rule, s.cid, min(s.item) FILTER (WHERE s.kind = 'l') AS line,
                       array_position(%s::text[], s.rule) AS rule_rank
                FROM rec_sugg s
                GROUP BY s.rule, s.cid
                HAVING bool_and(CASE s.kind WHEN 'l' THEN EXISTS (SELECT 1 FROM rec_l l WHERE l.id = s.item)
                                            ELSE EXISTS (SELECT 1 FROM rec_p p WHERE p.id = s.item) END)) g
        ) r WHERE rank <= %s""", [list(RULES), SUGGESTIONS_PER_LINE])
    cur.execute("""
        INSERT INTO reconciliation_match (id, external_account_id, rule, state, matched_by_id, matched_at, note,
                                          unmatched_by_id, unmatched_at, unmatch_reason)
        SELECT mid, %s, rule, 'suggested', NULL, now(), '', NULL, NULL, '' FROM rec_sacc""", [account.pk])
    run.suggestions = cur.rowcount
    cur.execute("""
        INSERT INTO reconciliation_matchline (match_id, line_id, state)
        SELECT a.mid, s.item, 'suggested' FROM rec_sacc a
        JOIN rec_sugg s ON s.rule = a.rule AND s.cid = a.cid AND s.kind = 'l'""")
    cur.execute("""
        INSERT INTO reconciliation_matchposting (match_id, posting_id, state)
        SELECT a.mid, s.item, 'suggested' FROM rec_sacc a
        JOIN rec_sugg s ON s.rule = a.rule AND s.cid = a.cid AND s.kind = 'p'""")
    cur.execute("DROP TABLE rec_sacc")


def set_based() -> bool:
    """Whether the set-based SQL runs here (PostgreSQL); elsewhere the rules run in Python."""
    return connection.vendor == "postgresql"


def automatch(external_account: ExternalAccount | int) -> MatchRun:
    """Match what can be matched on one external account; returns the counts."""
    account = (external_account if isinstance(external_account, ExternalAccount)
               else ExternalAccount.objects.get(pk=external_account))
    rules = [r for r in account.rules if r in _CANDIDATES]
    run = MatchRun(external_account_id=account.pk)
    if not set_based():
        with transaction.atomic():
            _automatch_in_python(account, rules, run)
        return run
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, account.pk])
        # The previous run's suggestions are recomputed.
        cur.execute("""
            WITH old AS (SELECT id FROM reconciliation_match WHERE external_account_id = %s AND state = 'suggested'),
                 dl AS (DELETE FROM reconciliation_matchline WHERE match_id IN (SELECT id FROM old)),
                 dp AS (DELETE FROM reconciliation_matchposting WHERE match_id IN (SELECT id FROM old))
            SELECT count(*) FROM old""", [account.pk])
        cur.execute("DELETE FROM reconciliation_match WHERE external_account_id = %s AND state = 'suggested'",
                    [account.pk])
        cur.execute("""
            CREATE TEMP TABLE rec_l ON COMMIT DROP AS
            SELECT id, amount, reference, value_date FROM reconciliation_statementline
            WHERE external_account_id = %s AND status <> 'matched'""", [account.pk])
        run.lines_open = cur.rowcount
        cur.execute("""
            CREATE TEMP TABLE rec_p ON COMMIT DROP AS
            SELECT p.id, p.amount, p.value_date, e.external_ref AS ref,
                   COALESCE(e.metadata ->> 'payment_reference', '') AS pref
            FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id
            WHERE p.account_id = %s
              AND NOT EXISTS (SELECT 1 FROM reconciliation_matchposting mp
                              WHERE mp.posting_id = p.id AND mp.state = 'matched')""",
                    [account.ledger_account_id])
        run.postings_open = cur.rowcount
        cur.execute("CREATE INDEX ON rec_l (id)")
        cur.execute("CREATE INDEX ON rec_p (id)")
        cur.execute("CREATE INDEX ON rec_p (amount, value_date)")
        cur.execute("ANALYZE rec_l")
        cur.execute("ANALYZE rec_p")
        cur.execute("CREATE TEMP TABLE rec_gi (cid bigint, kind text, item bigint) ON COMMIT DROP")
        cur.execute("CREATE TEMP TABLE rec_pair (lid bigint, pid bigint) ON COMMIT DROP")
        cur.execute("CREATE TEMP TABLE rec_matched (id bigint) ON COMMIT DROP")
        cur.execute("CREATE TEMP TABLE rec_sugg (rule text, cid bigint, kind text, item bigint) ON COMMIT DROP")
        if run.lines_open and run.postings_open:
            for rule in rules:
                _apply_rule(cur, account, rule, run)
            _write_suggestions(cur, account, run)
        # Only the lines whose status changes are written.
        cur.execute("""
            UPDATE reconciliation_statementline s SET status = 'matched' FROM rec_matched m WHERE s.id = m.id""")
        cur.execute("""
            UPDATE reconciliation_statementline s SET status = 'suggested'
            FROM (SELECT DISTINCT ml.line_id FROM reconciliation_match m
                  JOIN reconciliation_matchline ml ON ml.match_id = m.id
                  WHERE m.external_account_id = %s AND m.state = 'suggested') g
            WHERE s.id = g.line_id AND s.status <> 'suggested'""", [account.pk])
        cur.execute("""
            UPDATE reconciliation_statementline s SET status = 'unmatched'
            WHERE s.external_account_id = %s AND s.status = 'suggested'
              AND NOT EXISTS (SELECT 1 FROM reconciliation_matchline ml
                              WHERE ml.line_id = s.id AND ml.state <> 'matched'
                                AND ml.state = 'suggested')""", [account.pk])
        for name in ("rec_l", "rec_p", "rec_gi", "rec_pair", "rec_matched", "rec_sugg"):
            cur.execute(f"DROP TABLE {name}")
    return run


# --- the same rules in Python (databases other than PostgreSQL) ---------------------------------


@dataclass(frozen=True)
class _Item:
    id: int
    amount: Decimal
    value_date: dt.date
    reference: str = ""  # a line's reference
    ref: str = ""  # a posting's entry external_ref
    pref: str = ""  # a posting's entry metadata["payment_reference"]


def _open_sides(account: ExternalAccount) -> tuple[dict[int, _Item], dict[int, _Item]]:
    from django.db.models import Exists, OuterRef
    from django.db.models.fields.json import KeyTextTransform

    from core_banking.ledger.models import Posting

    from .models import LineStatus, MatchPosting, MatchState, StatementLine

    lines = {row["id"]: _Item(row["id"], row["amount"], row["value_date"], reference=row["reference"])
             for row in StatementLine.objects.filter(external_account=account).exclude(status=LineStatus.MATCHED)
             .values("id", "amount", "value_date", "reference")}
    active = MatchPosting.objects.filter(posting_id=OuterRef("pk"), state=MatchState.MATCHED)
    postings = {row["id"]: _Item(row["id"], row["amount"], row["value_date"], ref=row["entry__external_ref"] or "",
                                 pref=row["pref"] or "")
                for row in Posting.objects.filter(account_id=account.ledger_account_id).filter(~Exists(active))
                .annotate(pref=KeyTextTransform("payment_reference", "entry__metadata"))
                .values("id", "amount", "value_date", "entry__external_ref", "pref")}
    return lines, postings


def _candidates_in_python(rule: str, account: ExternalAccount, lines: dict[int, _Item],
                          postings: dict[int, _Item]) -> list[frozenset[tuple[str, int]]]:
    """The rule's candidates, each a set of ("l", line id) and ("p", posting id) items."""
    tolerance = account.amount_tolerance

    def amounts_agree(line: _Item, posting: _Item) -> bool:
        return abs(posting.amount - line.amount) <= tolerance

    if rule == "reference":
        return [frozenset({("l", line.id), ("p", posting.id)}) for line in lines.values() if line.reference
                for posting in postings.values()
                if line.reference in (posting.ref, posting.pref) and amounts_agree(line, posting)]
    if rule == "amount_date":
        window = dt.timedelta(days=account.date_tolerance_days)
        return [frozenset({("l", line.id), ("p", posting.id)}) for line in lines.values()
                for posting in postings.values()
                if amounts_agree(line, posting) and line.value_date - window <= posting.value_date
                <= line.value_date + window]
    # sum: groups of two or more on the other side, added up exactly.
    by_ref: dict[str, list[_Item]] = defaultdict(list)
    by_date: dict[dt.date, list[_Item]] = defaultdict(list)
    for posting in postings.values():
        if posting.ref:
            by_ref[posting.ref].append(posting)
        by_date[posting.value_date].append(posting)
    lines_by_ref: dict[str, list[_Item]] = defaultdict(list)
    for line in lines.values():
        if line.reference:
            lines_by_ref[line.reference].append(line)
    candidates = []
    for line in lines.values():
        for group in (by_ref.get(line.reference, []) if line.reference else [], by_date.get(line.value_date, [])):
            if len(group) >= 2 and sum(p.amount for p in group) == line.amount:
                candidates.append(frozenset({("l", line.id), *(("p", p.id) for p in group)}))
    for posting in postings.values():
        for reference, group in lines_by_ref.items():
            if (len(group) >= 2 and reference in (posting.ref, posting.pref)
                    and sum(line.amount for line in group) == posting.amount):
                candidates.append(frozenset({("p", posting.id), *(("l", line.id) for line in group)}))
    return candidates


def _accepted(rule: str, candidates: list[frozenset]) -> tuple[list[frozenset], list[frozenset]]:
    """(accepted, left as suggestions): a pair rule accepts a pair whose line and posting are in
    no other pair; the sum rule a group none of whose items is in another group."""
    if rule in _PAIR_RULES:
        candidates = list(dict.fromkeys(candidates))  # the SQL's UNION
        uses = Counter(item for candidate in candidates for item in candidate)
        accepted = [c for c in candidates if all(uses[item] == 1 for item in c)]
        taken = {item for c in accepted for item in c if item[0] == "l"}
        return accepted, [c for c in candidates if not (c & taken)]
    # Every group counts, the same set found twice (by reference and by date) too: then neither is
    # unique and both wait as suggestions, as in SQL.
    uses = Counter(item for group in candidates for item in group)
    unique = [all(uses[item] == 1 for item in group) for group in candidates]
    return ([g for g, ok in zip(candidates, unique, strict=True) if ok],
            [g for g, ok in zip(candidates, unique, strict=True) if not ok])


def _match_write(account: ExternalAccount, rule: str, state: str, groups: list[frozenset]) -> int:
    from .models import Match, MatchLine, MatchPosting

    now = timezone.now()
    matches = Match.objects.bulk_create([Match(external_account=account, rule=rule, state=state, matched_at=now)
                                         for _ in groups])
    MatchLine.objects.bulk_create([MatchLine(match=match, line_id=item, state=state)
                                   for match, group in zip(matches, groups, strict=True)
                                   for kind, item in sorted(group) if kind == "l"])
    MatchPosting.objects.bulk_create([MatchPosting(match=match, posting_id=item, state=state)
                                      for match, group in zip(matches, groups, strict=True)
                                      for kind, item in sorted(group) if kind == "p"])
    return len(matches)


def _automatch_in_python(account: ExternalAccount, rules: list[str], run: MatchRun) -> None:
    """``automatch`` on any database: the previous suggestions dropped, each rule on what the
    previous ones left, the ambiguous candidates written as suggestions, the line statuses set."""
    from django.db.models import Exists, OuterRef

    from .models import LineStatus, Match, MatchLine, MatchPosting, MatchState, StatementLine

    old = list(Match.objects.filter(external_account=account, state=MatchState.SUGGESTED).values_list("pk", flat=True))
    MatchLine.objects.filter(match_id__in=old).delete()
    MatchPosting.objects.filter(match_id__in=old).delete()
    Match.objects.filter(pk__in=old).delete()
    lines, postings = _open_sides(account)
    run.lines_open, run.postings_open = len(lines), len(postings)
    matched_lines: list[int] = []
    waiting: list[tuple[str, frozenset]] = []
    if lines and postings:
        for rule in rules:
            accepted, left = _accepted(rule, _candidates_in_python(rule, account, lines, postings))
            run.matched[rule] = _match_write(account, rule, MatchState.MATCHED, accepted)
            for group in accepted:
                for kind, item in group:
                    if kind == "l":
                        matched_lines.append(lines.pop(item).id)
                        run.lines_matched += 1
                    else:
                        postings.pop(item)
                        run.postings_matched += 1
            waiting += [(rule, group) for group in left]
        # Suggestions whose items are all still open, at most SUGGESTIONS_PER_LINE per line.
        still_open = [(rule, group) for rule, group in waiting
                      if all((item in lines) if kind == "l" else (item in postings) for kind, item in group)]
        per_line: dict[int, list[tuple[str, frozenset]]] = defaultdict(list)
        for position, (rule, group) in enumerate(still_open):
            per_line[min(item for kind, item in group if kind == "l")].append((RULES.index(rule), position, rule,
                                                                                group))
        for rule in RULES:
            chosen = [group for ranked in per_line.values() for _rank, _pos, r, group in sorted(ranked)[
                :SUGGESTIONS_PER_LINE] if r == rule]
            run.suggestions += _match_write(account, rule, MatchState.SUGGESTED, chosen)
    StatementLine.objects.filter(pk__in=matched_lines).update(status=LineStatus.MATCHED)
    suggested = MatchLine.objects.filter(line_id=OuterRef("pk"), state=MatchState.SUGGESTED)
    lines_of = StatementLine.objects.filter(external_account=account)
    lines_of.filter(Exists(suggested)).exclude(status=LineStatus.SUGGESTED).update(status=LineStatus.SUGGESTED)
    lines_of.filter(status=LineStatus.SUGGESTED).exclude(Exists(suggested)).update(status=LineStatus.UNMATCHED)


def automatch_all() -> list[MatchRun]:
    return [automatch(account) for account in ExternalAccount.objects.filter(is_active=True).order_by("pk")]
