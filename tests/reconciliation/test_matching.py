"""Worked examples of the matching rules, tolerance edges, many-to-one, ambiguity, manual match."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from core_banking.audit.models import AuditEvent
from reconciliation import matching
from reconciliation.models import Match, MatchPosting, StatementLine
from reconciliation.services import ReconciliationError, match_confirm, match_create, match_unmatch, statement_import

from .conftest import external_account, post

pytestmark = pytest.mark.django_db

D = dt.date(2024, 3, 11)
MAPPING = {"date": "date", "value_date": "value_date", "amount": "amount", "reference": "ref"}


def day(offset: int) -> dt.date:
    return D + dt.timedelta(days=offset)


@pytest.fixture(autouse=True, params=["sql", "python"])
def matcher(request, monkeypatch):
    """Every worked example twice: the set-based SQL (PostgreSQL) and the same rules in Python
    (``matching._automatch_in_python``, what ``make run``'s SQLite runs)."""
    if request.param == "python":
        monkeypatch.setattr(matching, "set_based", lambda: False)
    return request.param


@pytest.fixture
def account(db):
    return external_account("NL00TEST0000000001", csv_mapping=MAPPING,
                            matching_config={"rules": ["reference", "amount_date", "sum"], "date_tolerance_days": 2,
                                             "amount_tolerance": "0"})


@pytest.fixture
def nostro(account):
    return account.ledger_account


def import_lines(account, rows, *, automatch=True, booked=0):
    """rows: (amount, reference, value_date offset); all booked on D + ``booked`` days."""
    text = "date,value_date,amount,ref\n" + "".join(
        f"{day(booked).isoformat()},{day(offset).isoformat()},{amount},{ref}\n" for amount, ref, offset in rows)
    result = statement_import(external_account=account, file=text.encode(), format="csv", actor=None,
                              automatch=automatch)
    return list(result.statements[0].lines.order_by("position"))


def status(line):
    line.refresh_from_db()
    return line.status


def matched_postings(line):
    return set(MatchPosting.objects.filter(match__line_links__line=line, state="matched")
               .values_list("posting_id", flat=True))


def test_reference_rule_matches_external_ref_whatever_the_date(account, nostro, contra):
    p = post(nostro, contra, "100.00", value_date=day(-10), ref="E2E-1")
    post(nostro, contra, "100.00", value_date=day(0))  # same amount and date, no reference: not chosen
    [line] = import_lines(account, [("100.00", "E2E-1", 0)])
    assert status(line) == "matched"
    assert matched_postings(line) == {p.pk}
    assert Match.objects.get(line_links__line=line, state="matched").rule == "reference"
    assert Match.objects.get(line_links__line=line).matched_by is None


def test_reference_rule_matches_payment_reference_in_metadata(account, nostro, contra):
    p = post(nostro, contra, "-42.50", value_date=day(-30), payment_reference="PAY-77")
    [line] = import_lines(account, [("-42.50", "PAY-77", 0)])
    assert matched_postings(line) == {p.pk}


def test_reference_with_another_amount_is_not_a_match(account, nostro, contra):
    post(nostro, contra, "99.00", value_date=day(-10), ref="E2E-2")
    [line] = import_lines(account, [("100.00", "E2E-2", 0)])
    assert status(line) == "unmatched"


@pytest.mark.parametrize(("offset", "expected"), [(-2, "matched"), (2, "matched"), (0, "matched"),
                                                  (3, "unmatched"), (-3, "unmatched")])
def test_amount_and_date_window_edges(account, nostro, contra, offset, expected):
    post(nostro, contra, "250.00", value_date=day(offset))
    [line] = import_lines(account, [("250.00", "", 0)])
    assert status(line) == expected
    if expected == "matched":
        assert Match.objects.get(line_links__line=line, state="matched").rule == "amount_date"


def test_date_tolerance_is_configured_per_account(account, nostro, contra):
    account.matching_config = {**account.matching_config, "date_tolerance_days": 5}
    account.save()
    post(nostro, contra, "250.00", value_date=day(5))
    [line] = import_lines(account, [("250.00", "", 0)])
    assert status(line) == "matched"


def test_amount_tolerance(account, nostro, contra):
    account.matching_config = {**account.matching_config, "amount_tolerance": "0.05"}
    account.save()
    post(nostro, contra, "10.04", value_date=day(0))
    post(nostro, contra, "20.06", value_date=day(0))
    inside, outside = import_lines(account, [("10.00", "", 0), ("20.00", "", 0)])
    assert status(inside) == "matched"
    assert status(outside) == "unmatched"


def test_ambiguous_candidates_become_suggestions_not_a_match(account, nostro, contra):
    a = post(nostro, contra, "75.00", value_date=day(-1))
    b = post(nostro, contra, "75.00", value_date=day(1))
    [line] = import_lines(account, [("75.00", "", 0)])
    assert status(line) == "suggested"
    suggestions = Match.objects.filter(state="suggested", line_links__line=line)
    assert {s.posting_links.get().posting_id for s in suggestions} == {a.pk, b.pk}
    assert not Match.objects.filter(state="matched").exists()
    # Running again does not pile up suggestions.
    matching.automatch(account)
    assert Match.objects.filter(state="suggested").count() == 2
    # A person confirms one.
    user = _matcher()
    chosen = suggestions.get(posting_links__posting=b)
    match = match_confirm(match_id=chosen.pk, actor=user)
    assert match.rule == "manual" and match.matched_by == user
    assert status(line) == "matched"
    assert not Match.objects.filter(state="suggested").exists()


def test_two_lines_competing_for_one_posting_are_suggestions(account, nostro, contra):
    post(nostro, contra, "30.00", value_date=day(0))
    first, second = import_lines(account, [("30.00", "", 0), ("30.00", "", 1)])
    assert status(first) == status(second) == "suggested"


def test_one_line_to_many_postings_by_reference(account, nostro, contra):
    parts = [post(nostro, contra, amount, value_date=day(i), ref="BATCH-7") for i, amount in
             enumerate(["100.00", "150.00", "50.00"])]
    [line] = import_lines(account, [("300.00", "BATCH-7", 0)])
    assert status(line) == "matched"
    assert matched_postings(line) == {p.pk for p in parts}
    assert Match.objects.get(state="matched").rule == "sum"


def test_one_line_to_the_postings_of_its_value_date(account, nostro, contra):
    parts = [post(nostro, contra, amount, value_date=day(0)) for amount in ["25.00", "50.00", "-5.00"]]
    post(nostro, contra, "999.00", value_date=day(-1))  # another day: not in the batch
    [line] = import_lines(account, [("70.00", "", 0)])
    assert matched_postings(line) == {p.pk for p in parts}


def test_many_lines_to_one_posting(account, nostro, contra):
    p = post(nostro, contra, "100.00", value_date=day(0), ref="INV-9")
    a, b = import_lines(account, [("40.00", "INV-9", 0), ("60.00", "INV-9", 0)])
    assert status(a) == status(b) == "matched"
    match = Match.objects.get(state="matched")
    assert match.rule == "sum"
    assert set(match.line_links.values_list("line_id", flat=True)) == {a.pk, b.pk}
    assert set(match.posting_links.values_list("posting_id", flat=True)) == {p.pk}


def test_rules_follow_the_account_configuration(account, nostro, contra):
    account.matching_config = {**account.matching_config, "rules": ["amount_date"]}
    account.save()
    post(nostro, contra, "100.00", value_date=day(-10), ref="E2E-1")
    [line] = import_lines(account, [("100.00", "E2E-1", 0)])
    assert status(line) == "unmatched"


def test_matched_posting_is_not_matched_again(account, nostro, contra):
    post(nostro, contra, "12.00", value_date=day(0))
    [first] = import_lines(account, [("12.00", "", 0)])
    assert status(first) == "matched"
    account2_lines = import_lines(account, [("12.00", "", 10)], booked=10)  # a later statement, same amount
    assert status(account2_lines[0]) == "unmatched"


def _matcher():
    user = get_user_model().objects.create_user(username="finance1", password="x")  # noqa: S106
    user.user_permissions.add(Permission.objects.get(codename="match_manually"))
    return get_user_model().objects.get(pk=user.pk)


def test_manual_match_and_unmatch_keep_an_audit_trail(account, nostro, contra):
    p1 = post(nostro, contra, "10.00", value_date=day(-20))
    p2 = post(nostro, contra, "5.00", value_date=day(-20))
    [line] = import_lines(account, [("15.00", "", 0)], automatch=False)
    user = _matcher()
    with pytest.raises(ReconciliationError) as error:
        match_create(line_ids=[line.pk], posting_ids=[p1.pk], actor=user)
    assert error.value.code == "match_amounts_differ"
    match = match_create(line_ids=[line.pk], posting_ids=[p1.pk, p2.pk], actor=user, note="by hand")
    assert status(line) == "matched"
    with pytest.raises(ReconciliationError) as error:
        match_create(line_ids=[line.pk], posting_ids=[p1.pk, p2.pk], actor=user)
    assert error.value.code == "already_matched"
    with pytest.raises(ReconciliationError):
        match_unmatch(match_id=match.pk, actor=user, reason="")
    match_unmatch(match_id=match.pk, actor=user, reason="wrong batch")
    match.refresh_from_db()
    assert (match.state, match.unmatched_by, match.unmatch_reason) == ("unmatched", user, "wrong batch")
    assert status(line) == "unmatched"
    assert AuditEvent.objects.filter(action__in=["reconciliation.matched", "reconciliation.unmatched"]).count() == 2
    # Open again: can be matched anew; the old match stays.
    match_create(line_ids=[line.pk], posting_ids=[p1.pk, p2.pk], actor=user)
    assert Match.objects.filter(line_links__line=line).count() == 2


def test_manual_match_needs_the_permission(account, nostro, contra):
    p = post(nostro, contra, "10.00", value_date=day(-20))
    [line] = import_lines(account, [("10.00", "", 0)], automatch=False)
    nobody = get_user_model().objects.create_user(username="nobody", password="x")  # noqa: S106
    with pytest.raises(ReconciliationError) as error:
        match_create(line_ids=[line.pk], posting_ids=[p.pk], actor=nobody)
    assert error.value.code == "permission_denied"


def test_eod_step_matches_every_account(account, nostro, contra):
    from reconciliation.eod import AUTOMATCH

    [line] = import_lines(account, [("64.00", "", 0)])
    assert status(line) == "unmatched"
    post(nostro, contra, "64.00", value_date=day(1))
    ids = list(AUTOMATCH.population(D))
    assert account.pk in ids
    assert AUTOMATCH.run(D, min(ids), max(ids)) == len(ids)
    assert status(line) == "matched"
    assert AUTOMATCH.run(D, min(ids), max(ids)) == len(ids)  # idempotent
    assert Match.objects.filter(state="matched").count() == 1
    assert StatementLine.objects.get(pk=line.pk).amount == Decimal("64.00")
