"""Breaks (detection, state machine with history, resolution by adjustment through
maker-checker), the safeguarding check, and the REST API."""

import datetime as dt
from decimal import Decimal

import pytest
from django_fsm import TransitionNotAllowed

from core_banking.common.maker_checker import Deferred
from reconciliation.models import Break, ExternalAccount, SafeguardingCheck, Statement, StatementFile
from reconciliation.services import (
    ReconciliationError,
    break_assign,
    break_resolve_by_adjustment,
    break_write_off,
    breaks_detect,
    safeguarding_check,
    statement_import,
)
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, grant, sign_in, staff_user

from .conftest import SAMPLES, external_account, post

pytestmark = pytest.mark.django_db

D = dt.date(2024, 3, 11)
MAPPING = {"date": "date", "amount": "amount", "reference": "ref"}


@pytest.fixture
def account(db):
    return external_account("NL00BRK0000000001", csv_mapping=MAPPING)


@pytest.fixture
def finance(db):
    ensure_roles()
    user = staff_user("finance")
    grant(user, "reconciliation.match_manually", "reconciliation.change_break", "reconciliation.resolve_break")
    return user


def test_breaks_are_detected_once_for_old_unmatched_items(account, contra):
    statement_import(external_account=account, file=b"date,amount,ref\n2024-03-01,10.00,X\n2024-03-10,20.00,Y\n",
                     format="csv", actor=None)
    post(account.ledger_account, contra, "33.00", value_date=dt.date(2024, 3, 2))
    assert breaks_detect(as_of=D, older_than_days=5) == 2  # the 10.00 line and the 33.00 posting, not the 20.00
    assert breaks_detect(as_of=D, older_than_days=5) == 0
    assert sorted(Break.objects.values_list("amount", flat=True)) == [Decimal("10.00"), Decimal("33.00")]
    assert all(b.status == "open" for b in Break.objects.all())


def test_break_workflow_with_history_and_protected_status(account, contra, finance):
    statement_import(external_account=account, file=b"date,amount,ref\n2024-03-01,10.00,X\n", format="csv",
                     actor=None)
    breaks_detect(as_of=D, older_than_days=5)
    brk = Break.objects.get()
    break_assign(break_id=brk.pk, actor=finance, owner=finance, root_cause="bank_fee", note="looking")
    brk.refresh_from_db()
    assert (brk.status, brk.owner, brk.root_cause) == ("investigating", finance, "bank_fee")
    with pytest.raises(AttributeError):
        brk.status = "resolved"  # protected FSM field: only transitions change it
    with pytest.raises(ReconciliationError):
        break_write_off(break_id=brk.pk, actor=finance, reason="")
    break_write_off(break_id=brk.pk, actor=finance, reason="immaterial")
    brk.refresh_from_db()
    assert brk.status == "written_off" and brk.resolved_at is not None
    assert [(h.from_status, h.to_status) for h in brk.history.all()] == [("open", "investigating"),
                                                                         ("investigating", "written_off")]
    with pytest.raises(ReconciliationError) as error:
        break_write_off(break_id=brk.pk, actor=finance, reason="again")
    assert error.value.code == "transition_not_allowed"
    with pytest.raises(TransitionNotAllowed):
        brk.resolve(at=None)


def test_break_resolution_by_adjustment_goes_through_maker_checker(account, contra, finance):
    statement_import(external_account=account, file=b"date,amount,ref\n2024-03-01,-2.50,FEE\n", format="csv",
                     actor=None)
    breaks_detect(as_of=D, older_than_days=5)
    brk = Break.objects.get()
    expense = banking._gl("6100", "Bank charges", "expense")
    result = break_resolve_by_adjustment(break_id=brk.pk, contra_account_id=expense.pk, actor=finance,
                                         reason="bank fee not booked", idempotency_key="brk-1")
    assert isinstance(result, Deferred)
    brk.refresh_from_db()
    assert brk.approval_request_id == result.request_id
    assert brk.status == "investigating" and brk.adjustment_entry_id is None


def _safeguarding_statement(account, closing, day):
    record = StatementFile.objects.create(external_account=account, format="csv", file="x", sha256=f"{day:%j}" * 21
                                          + "a")
    Statement.objects.create(file=record, external_account=account, format="csv", period_from=day, period_to=day,
                             currency="EUR", opening_balance=closing, closing_balance=closing,
                             computed_closing=closing, balanced=True)


def test_safeguarding_check_flags_shortfall_and_excess(db):
    bank = banking.setup_bank()
    product = banking.product(bank)
    customer_account = banking.account(banking.customer(), product)
    banking.fund(bank, customer_account, "100.00")
    safeguarding = external_account("NL00SAFE000000001", purpose=ExternalAccount.Purpose.SAFEGUARDING)
    today = dt.date.today()
    _safeguarding_statement(safeguarding, Decimal("80.00"), today - dt.timedelta(days=1))
    [check] = safeguarding_check(date=today)
    assert (check.client_money, check.safeguarded, check.difference, check.outcome) == (
        Decimal("100.00"), Decimal("80.00"), Decimal("-20.00"), "shortfall")
    _safeguarding_statement(safeguarding, Decimal("150.00"), today)
    [check] = safeguarding_check(date=today)  # re-run the same day: replaced, not duplicated
    assert check.outcome == "excess" and SafeguardingCheck.objects.count() == 1


def test_api_upload_list_lines_and_duplicate(client, finance):
    account = external_account("NL71RABO0123456789")
    grant(finance, "reconciliation.add_statementfile", "reconciliation.view_statement",
          "reconciliation.view_statementline", "reconciliation.view_match")
    sign_in(client, finance)
    path = SAMPLES / "mt940" / "jejik_rabobank-iban.sta"
    with path.open("rb") as fh:
        response = client.post("/api/v1/reconciliation/statements/", {"external_account": account.pk, "file": fh})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lines"] == 4 and [s["balanced"] for s in body["statements"]] == [True, True]
    with path.open("rb") as fh:
        again = client.post("/api/v1/reconciliation/statements/", {"external_account": account.pk, "file": fh})
    assert again.status_code == 409 and again.json()["code"] == "duplicate_file"
    listing = client.get("/api/v1/reconciliation/statements/").json()
    assert len(listing["results"]) == 2
    statement_id = body["statements"][0]["id"]
    lines = client.get(f"/api/v1/reconciliation/statements/{statement_id}/lines/").json()
    assert [line["position"] for line in lines["results"]] == [1, 2]
    assert client.get("/api/v1/reconciliation/matches/").status_code == 200


def test_api_refuses_without_permission(client, db):
    ensure_roles()
    user = staff_user("support_agent")
    sign_in(client, user)
    assert client.get("/api/v1/reconciliation/statements/").status_code == 403


def test_eod_steps_for_breaks_and_safeguarding(account, contra):
    from reconciliation.eod import BREAKS, SAFEGUARDING

    statement_import(external_account=account, file=b"date,amount,ref\n2024-03-01,10.00,X\n", format="csv",
                     actor=None)
    ids = list(BREAKS.population(D))
    assert BREAKS.run(D, min(ids), max(ids)) == len(ids)
    assert BREAKS.run(D, min(ids), max(ids)) == len(ids)  # idempotent
    assert Break.objects.count() == 1
    assert list(SAFEGUARDING.population(D)) == []  # no safeguarding account: nothing to do
    external_account("NL00SAFE000000002", purpose=ExternalAccount.Purpose.SAFEGUARDING)
    assert SAFEGUARDING.run(D, 1, 1) == 1
    assert SafeguardingCheck.objects.get(date=D).outcome == "ok"
