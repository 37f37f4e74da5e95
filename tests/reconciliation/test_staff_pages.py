"""The reconciliation staff pages: who sees them, upload, the workspace (confirm a suggestion,
manual match, unmatch), the breaks board and break page, the ageing report and the safeguarding
report with its CSV export. Every change goes through the services (audit trail)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from backoffice.approvals.models import ApprovalRequest
from core_banking.audit.models import AuditEvent
from reconciliation.models import (
    Break,
    Match,
    SafeguardingCheck,
    Statement,
    StatementFile,
    StatementLine,
)
from reconciliation.selectors import account_overview, breaks_ageing
from reconciliation.services import breaks_detect, statement_import
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, grant, sign_in, staff_user

from .conftest import SAMPLES, external_account, post

pytestmark = pytest.mark.django_db

MAPPING = {"date": "date", "value_date": "value_date", "amount": "amount", "reference": "ref"}
RABO = SAMPLES / "mt940" / "jejik_rabobank-iban.sta"


def url(name, *args):
    return reverse(f"reconciliation_staff:{name}", args=args)


@pytest.fixture
def people(db):
    ensure_roles()
    return SimpleNamespace(finance=staff_user("finance"), ops=staff_user("operations"),
                           support=staff_user("support_agent"), compliance=staff_user("compliance_reviewer"))


@pytest.fixture
def account(db):
    return external_account("NL00STAFF000000001", csv_mapping=MAPPING)


def import_csv(account, rows, *, automatch=False):
    """rows: (value date, amount, reference); nothing matched unless ``automatch``."""
    text = "date,value_date,amount,ref\n" + "".join(f"{d.isoformat()},{d.isoformat()},{a},{r}\n" for d, a, r in rows)
    result = statement_import(external_account=account, file=text.encode(), format="csv", actor=None,
                              automatch=automatch)
    return list(result.statements[0].lines.order_by("position"))


def signed_in(client, user):
    return sign_in(type(client)(), user)


def test_every_page_renders_for_finance_and_operations_only(people, account, client):
    today = timezone.localdate()
    import_csv(account, [(today - dt.timedelta(days=9), "10.00", "X")])
    breaks_detect(as_of=today, older_than_days=5)
    brk = Break.objects.get()
    SafeguardingCheck.objects.create(date=today, currency_id="EUR", client_money=Decimal("1"),
                                     safeguarded=Decimal("1"), difference=Decimal("0"), outcome="ok")
    pages = [url("index"), url("upload"), url("workspace", account.pk), url("breaks"), url("ageing"),
             url("break", brk.pk), url("safeguarding"), url("safeguarding-export")]
    for user in (people.finance, people.ops):
        c = signed_in(client, user)
        for page in pages:
            assert c.get(page).status_code == 200, (user.username, page)
        home = c.get(reverse("staff:home")).content.decode()
        assert url("index") in home
        index = c.get(url("index")).content.decode()
        assert account.name in index and account.ledger_account.code in index
    for user in (people.support, people.compliance):
        c = signed_in(client, user)
        for page in pages:
            assert c.get(page).status_code == 403, (user.username, page)
        assert url("index") not in c.get(reverse("staff:home")).content.decode()
        assert c.post(url("workspace-action", account.pk, "automatch")).status_code == 403
    anonymous = type(client)().get(url("workspace", account.pk))
    assert anonymous.status_code == 302 and reverse("staff:login") in anonymous["Location"]
    assert signed_in(client, people.finance).get(url("workspace", 999999)).status_code == 404
    assert signed_in(client, people.finance).get(url("break", 999999)).status_code == 404


def test_index_counts_what_is_open_per_account(people, account, contra, client):
    nostro = account.ledger_account
    post(nostro, contra, "15.00", value_date=dt.date(2024, 3, 1))
    post(nostro, contra, "99.00", value_date=dt.date(2024, 3, 1))
    post(nostro, contra, "99.00", value_date=dt.date(2024, 3, 2))
    import_csv(account, [(dt.date(2024, 3, 1), "15.00", ""), (dt.date(2024, 3, 1), "99.00", ""),
                         (dt.date(2024, 3, 9), "7.00", "")], automatch=True)
    row = next(r for r in account_overview() if r["account"].pk == account.pk)
    a = row["account"]
    # 15.00 matched; 99.00 has two candidate postings (suggestions); 7.00 has none.
    assert (a.open_lines, a.open_postings, a.suggestions, a.open_breaks) == (2, 2, 2, 0)
    assert row["last_statement"].period_to == dt.date(2024, 3, 9)
    page = signed_in(client, people.finance).get(url("index")).content.decode()
    assert "2024-03-09" in page and "121.00" in page  # closing balance (no balances in the CSV: computed)


def test_upload_a_shared_sample_and_a_duplicate_is_refused_writing_nothing(people, client):
    account = external_account("NL71RABO0123456789")
    c = signed_in(client, people.ops)
    with RABO.open("rb") as fh:
        page = c.post(url("upload"), {"external_account": account.pk, "file": fh})
    assert page.status_code == 200, page.content.decode()[:2000]
    body = page.content.decode()
    assert "Lines imported</dt><dd>4</dd>" in body and body.count("Balances") == 2
    assert "Auto-match" in body and "0 of 4 open line(s)" in body
    assert Statement.objects.filter(external_account=account).count() == 2
    assert StatementFile.objects.get().imported_by == people.ops
    counts = (StatementFile.objects.count(), Statement.objects.count(), StatementLine.objects.count(),
              AuditEvent.objects.filter(action="reconciliation.statement_imported").count())
    assert counts == (1, 2, 4, 1)
    with RABO.open("rb") as fh:
        again = c.post(url("upload"), {"external_account": account.pk, "file": fh})
    assert again.status_code == 400
    assert "duplicate_file" in again.content.decode() and "already imported" in again.content.decode()
    assert (StatementFile.objects.count(), Statement.objects.count(), StatementLine.objects.count(),
            AuditEvent.objects.filter(action="reconciliation.statement_imported").count()) == counts
    missing = c.post(url("upload"), {"external_account": account.pk})
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()


def test_upload_reports_bad_lines_with_position_and_reason(people, account, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = signed_in(client, people.finance)
    upload = SimpleUploadedFile("march.csv", b"date,value_date,amount,ref\n2024-03-01,2024-03-01,10.00,A\n"
                                             b"2024-03-02,2024-03-02,not-a-number,B\n")
    page = c.post(url("upload"), {"external_account": account.pk, "file": upload, "format": "csv"})
    assert page.status_code == 200
    body = page.content.decode()
    error = StatementFile.objects.get().error_report
    bad = next(e for e in error if e["position"])
    assert bad["position"] == 3  # the file line number
    assert f"<td>{bad['position']}</td><td>{escape(bad['reason'])}</td>" in body
    assert "Lines imported</dt><dd>1</dd>" in body and "Lines rejected</dt><dd>1</dd>" in body


def test_confirm_a_suggestion_in_one_click(people, account, contra, client):
    nostro = account.ledger_account
    p1 = post(nostro, contra, "99.00", value_date=dt.date(2024, 3, 1))
    post(nostro, contra, "99.00", value_date=dt.date(2024, 3, 2))
    [line] = import_csv(account, [(dt.date(2024, 3, 1), "99.00", "")], automatch=True)
    suggestions = list(Match.objects.filter(state="suggested").order_by("pk"))
    assert len(suggestions) == 2
    chosen = next(m for m in suggestions if m.posting_links.get().posting_id == p1.pk)
    c = signed_in(client, people.ops)
    page = c.get(url("workspace", account.pk)).content.decode()
    assert page.count("Confirm<span") == 2
    done = c.post(url("workspace-action", account.pk, "confirm"), {"match": chosen.pk})
    assert done.status_code == 302
    match = Match.objects.get(state="matched")
    assert (match.rule, match.matched_by) == ("manual", people.ops)
    assert list(match.posting_links.values_list("posting_id", flat=True)) == [p1.pk]
    assert not Match.objects.filter(state="suggested").exists()
    line.refresh_from_db()
    assert line.status == "matched"
    assert AuditEvent.objects.filter(action="reconciliation.matched", object_id=str(match.pk)).exists()
    again = c.post(url("workspace-action", account.pk, "confirm"), {"match": chosen.pk})
    assert again.status_code == 400 and "not on this account" in again.content.decode()


def test_manual_match_of_two_lines_with_one_posting(people, account, contra, client):
    nostro = account.ledger_account
    posting = post(nostro, contra, "10.00", value_date=dt.date(2024, 3, 1), payment_reference="PAY-SPLIT")
    lines = import_csv(account, [(dt.date(2024, 3, 1), "6.00", "A"), (dt.date(2024, 3, 2), "4.00", "B")])
    c = signed_in(client, people.finance)
    page = c.get(url("workspace", account.pk)).content.decode()
    assert f'name="line" value="{lines[0].pk}"' in page and f'name="posting" value="{posting.pk}"' in page
    assert "<td>PAY-SPLIT</td>" in page
    done = c.post(url("workspace-action", account.pk, "match"),
                  {"line": [lines[0].pk, lines[1].pk], "posting": [posting.pk], "note": "split by the bank"})
    assert done.status_code == 302
    match = Match.objects.get()
    assert (match.rule, match.state, match.matched_by, match.note) == ("manual", "matched", people.finance,
                                                                         "split by the bank")
    assert sorted(match.line_links.values_list("line_id", flat=True)) == [lines[0].pk, lines[1].pk]
    assert set(StatementLine.objects.values_list("status", flat=True)) == {"matched"}
    event = AuditEvent.objects.get(action="reconciliation.matched")
    assert event.after["lines_total"] == event.after["postings_total"] and Decimal(event.after["lines_total"]) == 10
    page = c.get(url("workspace", account.pk)).content.decode()
    assert "No unmatched statement lines" in page and "No unmatched postings" in page and "split by the bank" in page


def test_a_manual_match_that_does_not_add_up_is_refused_and_writes_nothing(people, account, contra, client):
    posting = post(account.ledger_account, contra, "9.00", value_date=dt.date(2024, 3, 1))
    [line] = import_csv(account, [(dt.date(2024, 3, 1), "10.00", "A")])
    c = signed_in(client, people.ops)
    refused = c.post(url("workspace-action", account.pk, "match"), {"line": [line.pk], "posting": [posting.pk]})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "do not add up" in body
    assert f'value="{line.pk}" id="line-{line.pk}" checked' in body  # the selection is kept
    assert not Match.objects.exists() and not AuditEvent.objects.filter(action="reconciliation.matched").exists()
    line.refresh_from_db()
    assert line.status == "unmatched"
    nothing = c.post(url("workspace-action", account.pk, "match"), {"posting": [posting.pk]})
    assert nothing.status_code == 400 and "Select at least one statement line" in nothing.content.decode()


def test_unmatch_needs_a_reason_and_is_recorded(people, account, contra, client):
    posting = post(account.ledger_account, contra, "12.00", value_date=dt.date(2024, 3, 1))
    [line] = import_csv(account, [(dt.date(2024, 3, 1), "12.00", "")], automatch=True)
    match = Match.objects.get(state="matched")
    assert match.rule == "amount_date"
    c = signed_in(client, people.finance)
    page = c.get(url("workspace", account.pk)).content.decode()
    assert f'id="reason-{match.pk}"' in page
    refused = c.post(url("workspace-action", account.pk, "unmatch"), {"match": match.pk, "reason": ""})
    assert refused.status_code == 400 and "Give the reason for unmatching" in refused.content.decode()
    assert Match.objects.get(pk=match.pk).state == "matched"
    done = c.post(url("workspace-action", account.pk, "unmatch"), {"match": match.pk, "reason": "wrong payer"})
    assert done.status_code == 302
    match.refresh_from_db()
    assert (match.state, match.unmatched_by, match.unmatch_reason) == ("unmatched", people.finance, "wrong payer")
    event = AuditEvent.objects.get(action="reconciliation.unmatched", object_id=str(match.pk))
    assert (event.actor, event.reason, event.after["postings"]) == (people.finance, "wrong payer", [posting.pk])
    line.refresh_from_db()
    assert line.status == "unmatched"
    # Run the matcher again from the page: it finds the pair again (recorded in the audit trail).
    rerun = c.post(url("workspace-action", account.pk, "automatch"))
    assert rerun.status_code == 302
    assert Match.objects.filter(state="matched").count() == 1
    assert AuditEvent.objects.filter(action="reconciliation.automatch_run", object_id=str(account.pk)).count() == 1


def test_a_viewer_without_match_permission_gets_no_forms_and_is_refused(account, contra, client, db):
    ensure_roles()
    viewer = staff_user()
    grant(viewer, "reconciliation.view_statementline", "reconciliation.view_break",
          "reconciliation.view_safeguardingcheck")
    posting = post(account.ledger_account, contra, "10.00", value_date=dt.date(2024, 3, 1))
    [line] = import_csv(account, [(dt.date(2024, 3, 1), "10.00", "")])
    c = signed_in(client, viewer)
    page = c.get(url("workspace", account.pk)).content.decode()
    assert "Match selected" not in page and "Run auto-match" not in page and 'type="checkbox"' not in page
    assert "10.00" in page and "Unmatched items" in page
    refused = c.post(url("workspace-action", account.pk, "match"), {"line": [line.pk], "posting": [posting.pk]})
    assert refused.status_code == 403 and "may not match" in refused.content.decode()
    assert not Match.objects.exists()
    assert c.get(url("upload")).status_code == 403


@pytest.fixture
def open_break(account):
    today = timezone.localdate()
    import_csv(account, [(today - dt.timedelta(days=10), "-2.50", "FEE")])
    breaks_detect(as_of=today, older_than_days=5)
    return Break.objects.get()


def test_break_assign_then_write_off_with_history(people, open_break, client):
    brk = open_break
    ops = signed_in(client, people.ops)
    page = ops.get(url("break", brk.pk)).content.decode()
    assert "Assign to me" in page and "Start investigating" in page
    assert "Write off" not in page and "Request the adjustment" not in page  # operations may not resolve
    refused = ops.post(url("break-action", brk.pk, "write_off"), {"reason": "small"})
    assert refused.status_code == 403 and Break.objects.get(pk=brk.pk).status == "open"
    claimed = ops.post(url("break-action", brk.pk, "assign"),
                       {"owner": people.ops.pk, "root_cause": "bank_fee", "note": "fee"})
    assert claimed.status_code == 302
    brk.refresh_from_db()
    assert (brk.status, brk.owner, brk.root_cause) == ("investigating", people.ops, "bank_fee")
    bad_owner = ops.post(url("break-action", brk.pk, "assign"), {"owner": people.support.pk})
    assert bad_owner.status_code == 400 and Break.objects.get(pk=brk.pk).owner == people.ops
    fin = signed_in(client, people.finance)
    empty = fin.post(url("break-action", brk.pk, "write_off"), {"reason": ""})
    assert empty.status_code == 400 and Break.objects.get(pk=brk.pk).status == "investigating"
    done = fin.post(url("break-action", brk.pk, "write_off"), {"reason": "immaterial bank fee"})
    assert done.status_code == 302
    brk.refresh_from_db()
    assert brk.status == "written_off" and brk.resolved_at is not None
    assert [(h.from_status, h.to_status, h.actor) for h in brk.history.all()] == [
        ("open", "investigating", people.ops), ("investigating", "written_off", people.finance)]
    assert AuditEvent.objects.filter(object_type="reconciliation.break", object_id=str(brk.pk)).filter(
        action="reconciliation.break_assigned", actor=people.ops).exists()
    page = fin.get(url("break", brk.pk)).content.decode()
    assert "immaterial bank fee" in page and "Write off" not in page and "Assign to me" not in page
    board = fin.get(url("breaks"), {"status": "written_off", "root_cause": "bank_fee"}).content.decode()
    assert f"Break {brk.pk}<" in board
    assert f"Break {brk.pk}<" not in fin.get(url("breaks")).content.decode()  # outstanding only by default


def test_start_investigating_and_claim(people, open_break, client):
    c = signed_in(client, people.ops)
    assert c.post(url("break-action", open_break.pk, "investigate"), {"note": "asking the bank"}).status_code == 302
    open_break.refresh_from_db()
    assert open_break.status == "investigating" and open_break.owner is None
    assert open_break.history.get().reason == "asking the bank"
    again = c.post(url("break-action", open_break.pk, "investigate"), {})
    assert again.status_code == 400 and "cannot investigate" in again.content.decode()
    assert c.post(url("break-action", open_break.pk, "claim")).status_code == 302
    assert Break.objects.get(pk=open_break.pk).owner == people.ops


def test_resolve_by_adjustment_creates_an_approval_request(people, open_break, client):
    expense = banking._gl("6100", "Bank charges", "expense")
    c = signed_in(client, people.finance)
    page = c.get(url("break", open_break.pk)).content.decode()
    assert f'value="{expense.pk}"' in page
    assert f">{open_break.external_account.ledger_account.code} " not in page  # not the mirror itself
    before = ApprovalRequest.objects.count()
    form = {"contra_account": expense.pk, "reason": "bank fee not booked", "idempotency_key": "staff-brk-1"}
    done = c.post(url("break-action", open_break.pk, "resolve"), form, follow=True)
    assert done.status_code == 200
    assert ApprovalRequest.objects.count() == before + 1
    request = ApprovalRequest.objects.latest("pk")
    open_break.refresh_from_db()
    assert open_break.approval_request_id == request.pk and open_break.status == "investigating"
    assert f"awaits approval (approval request {request.pk})" in done.content.decode()
    assert AuditEvent.objects.filter(action="reconciliation.break_adjustment_requested",
                                     object_id=str(open_break.pk)).exists()
    ops = signed_in(client, people.ops)
    assert ops.post(url("break-action", open_break.pk, "resolve"), form).status_code == 403


def test_ageing_report_figures(people, account, client):
    today = timezone.localdate()
    import_csv(account, [(today - dt.timedelta(days=days), amount, "") for days, amount in
                         [(1, "10.00"), (5, "-2.50"), (10, "7.00"), (40, "100.00"), (45, "-50.00")]])
    breaks_detect(as_of=today, older_than_days=0)
    rows = {(r["status"], r["bucket"]): (r["count"], str(r["amount"]), str(r["net"])) for r in breaks_ageing()}
    assert rows == {("open", "0-2d"): (1, "10.00", "10.00"), ("open", "3-7d"): (1, "2.50", "-2.50"),
                    ("open", "8-30d"): (1, "7.00", "7.00"), ("open", "over-30d"): (2, "150.00", "50.00")}
    brk = Break.objects.get(amount=Decimal("7.00"))
    c = signed_in(client, people.finance)
    c.post(url("break-action", brk.pk, "write_off"), {"reason": "ok"})
    page = c.get(url("ageing")).content.decode()
    assert "<th scope=\"row\">Open</th><td class=\"num\">1 · 10.00</td><td class=\"num\">1 · 2.50</td>" \
           "<td class=\"num\">0 · 0.00</td><td class=\"num\">2 · 150.00</td><td class=\"num\">4 · 162.50</td>" in page
    assert "Written off" not in page
    closed = c.get(url("ageing"), {"include_closed": "1"}).content.decode()
    assert "<th scope=\"row\">Written off</th><td class=\"num\">0 · 0.00</td><td class=\"num\">0 · 0.00</td>" \
           "<td class=\"num\">1 · 7.00</td>" in closed
    board = c.get(url("breaks"), {"age": "over-30d"}).content.decode()
    assert board.count("<td>over-30d</td>") == 2 and "<td>0-2d</td>" not in board


def test_safeguarding_report_highlights_shortfalls_and_exports_csv(people, client, db):
    SafeguardingCheck.objects.create(date=dt.date(2024, 3, 1), currency_id="EUR", client_money=Decimal("100.00"),
                                     safeguarded=Decimal("80.00"), difference=Decimal("-20.00"), outcome="shortfall")
    SafeguardingCheck.objects.create(date=dt.date(2024, 3, 2), currency_id="EUR", client_money=Decimal("100.00"),
                                     safeguarded=Decimal("150.5"), difference=Decimal("50.5"), outcome="excess")
    SafeguardingCheck.objects.create(date=dt.date(2024, 3, 2), currency_id="USD", client_money=Decimal("0"),
                                     safeguarded=Decimal("0"), difference=Decimal("0"), outcome="ok")
    c = signed_in(client, people.finance)
    page = c.get(url("safeguarding")).content.decode()
    assert '<tr class="shortfall">' in page and page.count('class="shortfall"') == 2  # the row and the alert
    assert "1 shortfall in this period" in page and "Balanced" in page and "-20.00" in page
    export = c.get(url("safeguarding-export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert export.content.decode().splitlines() == [
        "date,currency,client_money,safeguarded,difference,outcome",
        "2024-03-02,EUR,100.00,150.50,50.50,excess",
        "2024-03-02,USD,0.00,0.00,0.00,ok",
        "2024-03-01,EUR,100.00,80.00,-20.00,shortfall",
    ]
    filtered = c.get(url("safeguarding-export"), {"date_to": "2024-03-01", "currency": "EUR"})
    assert filtered.content.decode().splitlines()[1:] == ["2024-03-01,EUR,100.00,80.00,-20.00,shortfall"]
    history = c.get(url("safeguarding"), {"date_from": "2024-03-02"}).content.decode()
    assert "2024-03-01" not in history and "2024-03-02" in history
    bad = c.get(url("safeguarding-export"), {"date_from": "2024-03-05", "date_to": "2024-03-01"})
    assert bad.status_code == 400


def test_the_staff_pages_are_mounted_before_the_staff_catch_all():
    assert url("index") == "/staff/reconciliation/"
    assert url("safeguarding-export") == "/staff/reconciliation/safeguarding/export.csv"


def test_the_admin_auto_match_action_goes_through_the_service(people, account, contra, client):
    post(account.ledger_account, contra, "12.00", value_date=dt.date(2024, 3, 1))
    [line] = import_csv(account, [(dt.date(2024, 3, 1), "12.00", "")])
    c = signed_in(client, people.ops)
    changelist = reverse("admin:reconciliation_externalaccount_changelist")
    done = c.post(changelist, {"action": "automatch_now", "_selected_action": [account.pk]}, follow=True)
    assert "1 line(s) and 1 posting(s) matched, 0 suggestion(s)" in done.content.decode()
    line.refresh_from_db()
    assert line.status == "matched"
    assert AuditEvent.objects.get(action="reconciliation.automatch_run").actor == people.ops
