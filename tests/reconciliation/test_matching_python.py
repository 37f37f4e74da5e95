"""The matcher and the break detection on a database other than PostgreSQL (``make run``'s
SQLite) run the same rules in Python: on the same data they give the same answer as the
set-based SQL. (``test_matching.py`` runs each worked example both ways; here seeded random
books, with references, shared amounts, batches and split lines, are matched both ways.)"""

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import transaction

from reconciliation import matching
from reconciliation.models import Break, Match, StatementLine
from reconciliation.services import breaks_detect, statement_import

from .conftest import external_account, post

pytestmark = pytest.mark.django_db

D = dt.date(2024, 3, 11)
MAPPING = {"date": "date", "value_date": "value_date", "amount": "amount", "reference": "ref"}


class _Rollback(Exception):
    pass


def outcome(account) -> dict:
    """What a matcher run left, independent of ids it chose itself."""
    matches = set()
    for match in Match.objects.filter(external_account=account).prefetch_related("line_links", "posting_links"):
        matches.add((match.rule, match.state, frozenset(link.line_id for link in match.line_links.all()),
                     frozenset(link.posting_id for link in match.posting_links.all())))
    return {"matches": matches,
            "lines": dict(StatementLine.objects.filter(external_account=account).values_list("pk", "status"))}


def matched(result: dict) -> set:
    return {match for match in result["matches"] if match[1] == "matched"}


def suggested_per_line(result: dict) -> dict[int, set]:
    """The suggestions of each line (the first line of a group: what the cap counts by)."""
    per_line = defaultdict(set)
    for match in result["matches"]:
        if match[1] == "suggested":
            per_line[min(match[2])].add(match)
    return per_line


def run_with(account, *, set_based: bool, monkeypatch) -> tuple[dict, dict]:
    """(the run's counts, what it left), rolled back afterwards."""
    monkeypatch.setattr(matching, "set_based", lambda: set_based)
    try:
        with transaction.atomic():
            run = matching.automatch(account).as_dict()
            result = outcome(account)
            raise _Rollback
    except _Rollback:
        pass
    return run, result


def random_books(account, contra, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - test data
    nostro = account.ledger_account
    rows = []
    for n in range(40):
        amount = Decimal(rng.choice([1000, 2500, 4999, rng.randint(100, 99999)])) / 100 * rng.choice([1, -1])
        offset = rng.randint(-4, 4)
        reference = rng.choice(["", "", f"E2E-{n}", f"E2E-{n % 7}"])
        kind = rng.random()
        if kind < 0.6:  # booked on both sides, perhaps with another date or without the reference
            post(nostro, contra, amount, value_date=D + dt.timedelta(days=offset), ref=reference)
            rows.append((amount, reference if rng.random() < 0.7 else "", rng.randint(-3, 3)))
        elif kind < 0.7:  # a batch: one line for three postings of a reference or of a date
            parts = [Decimal(rng.randint(100, 9999)) / 100 for _ in range(3)]
            batch = f"BATCH-{n}" if rng.random() < 0.5 else ""
            for part in parts:
                post(nostro, contra, part, value_date=D + dt.timedelta(days=offset), ref=batch)
            rows.append((sum(parts), batch, offset))
        elif kind < 0.8:  # one posting paid in two lines sharing its reference
            post(nostro, contra, amount, value_date=D, ref=f"SPLIT-{n}")
            half = (amount / 2).quantize(Decimal("0.01"))
            rows += [(half, f"SPLIT-{n}", 0), (amount - half, f"SPLIT-{n}", 1)]
        elif kind < 0.9:  # only in the ledger
            post(nostro, contra, amount, value_date=D + dt.timedelta(days=offset))
        else:  # only at the bank
            rows.append((amount, reference, offset))
    text = "date,value_date,amount,ref\n" + "".join(
        f"{D.isoformat()},{(D + dt.timedelta(days=offset)).isoformat()},{amount},{ref}\n"
        for amount, ref, offset in rows)
    statement_import(external_account=account, file=text.encode(), format="csv", actor=None, automatch=False)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_python_rules_match_what_the_sql_matches(contra, monkeypatch, seed):
    account = external_account(f"NL00PY{seed:012d}", csv_mapping=MAPPING)
    random_books(account, contra, seed)

    sql_run, by_sql = run_with(account, set_based=True, monkeypatch=monkeypatch)
    python_run, by_python = run_with(account, set_based=False, monkeypatch=monkeypatch)

    assert by_python["lines"] == by_sql["lines"]
    assert matched(by_python) == matched(by_sql)
    python_suggestions, sql_suggestions = suggested_per_line(by_python), suggested_per_line(by_sql)
    assert python_suggestions.keys() == sql_suggestions.keys()
    for line, suggestions in sql_suggestions.items():
        if len(suggestions) < matching.SUGGESTIONS_PER_LINE:
            assert python_suggestions[line] == suggestions
        else:  # the cap: the same number of each rule, whichever of equally ranked candidates
            assert Counter(rule for rule, *_ in python_suggestions[line]) == Counter(rule for rule, *_ in suggestions)
    assert python_run == sql_run
    assert sql_run["lines_matched"] > 0 and sql_run["suggestions"] > 0


def test_python_break_detection_opens_the_same_breaks(contra, monkeypatch):
    account = external_account("NL00PYBRK000000001", csv_mapping=MAPPING)
    statement_import(external_account=account, file=b"date,value_date,amount,ref\n2024-03-01,2024-03-01,10.00,X\n"
                     b"2024-03-10,2024-03-10,20.00,Y\n", format="csv", actor=None)
    post(account.ledger_account, contra, "33.00", value_date=dt.date(2024, 3, 2))
    post(account.ledger_account, contra, "44.00", value_date=dt.date(2024, 3, 9))

    found = {}
    for set_based in (True, False):
        monkeypatch.setattr(matching, "set_based", lambda set_based=set_based: set_based)
        try:
            with transaction.atomic():
                assert breaks_detect(as_of=D, older_than_days=5) == 2
                assert breaks_detect(as_of=D, older_than_days=5) == 0  # once per line or posting
                found[set_based] = set(Break.objects.values_list("external_account_id", "line_id", "posting_id",
                                                                 "amount", "item_date", "status"))
                raise _Rollback
        except _Rollback:
            pass

    assert found[False] == found[True]
    assert {(amount, status) for *_ids, amount, _date, status in found[True]} == {
        (Decimal("10.00"), "open"), (Decimal("33.00"), "open")}
