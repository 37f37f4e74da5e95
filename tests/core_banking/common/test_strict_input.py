"""Strict input (issue 17): every write refuses fields it does not know (`unknown_field`, naming the
field), amounts are plain decimal strings within their currency's exponent, and an unknown
currency is `unknown_currency`. Each refusal writes nothing.

The mechanism is one: `core_banking.common.api.strict` (`StrictInputSerializer`, `refuse_body`,
`DecimalStringField`); `test_every_write_view_reads_its_body_strictly` fails when a write view
reads its body through anything else."""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers
from rest_framework.views import APIView

from backoffice.api_clients.models import ApiToken
from backoffice.api_clients.services import api_token_issue
from backoffice.kyc.models import KycApplication, KycDocument
from backoffice.limits.models import LimitRule
from compliance.cases.models import Alert
from compliance.cases.roles import CASES_ROLE_PERMISSIONS
from compliance.cases.services import alert_raise
from core_banking.common.api.strict import DecimalStringField, StrictInputMixin
from core_banking.customers.models import Customer
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger.models import JournalEntry
from core_banking.payments.models import FxQuote, Payment
from core_banking.payments.services import payment_request
from reconciliation.models import StatementFile
from tests import banking
from tests.core_banking.ledger.interfaces import assert_problem, grant, staff_api, staff_user, token_api
from tests.reconciliation.conftest import external_account

WRITES = ("post", "put", "patch", "delete")
ENTRIES = "/api/v1/ledger/entries/"


# --- every write view, one mechanism ----------------------------------------------------------


def _routed_views() -> dict[type, str]:
    views: dict[type, str] = {}

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
                if isinstance(view, type) and issubclass(view, APIView):
                    views.setdefault(view, prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns)
    return views


def _body_readers(view: type, name: str, after: type | None = None) -> tuple[list, bool]:
    """The serializers `view.<name>` validates `request.data` with, following `super().name(...)`,
    `Base.name(self, ...)` and `self.helper(...)`; and whether it calls `refuse_body(request)`."""
    mro = view.__mro__[view.__mro__.index(after) + 1:] if after else view.__mro__
    owner = next((klass for klass in mro if name in vars(klass)), None)
    if owner is None:
        return [], False
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(vars(owner)[name]))))
    namespace = vars(sys.modules[owner.__module__])
    assigned = {node.targets[0].id: node.value for node in ast.walk(tree)
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)}

    def resolve(expr) -> list:
        if isinstance(expr, ast.IfExp):
            return resolve(expr.body) + resolve(expr.orelse)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            return [getattr(view, expr.attr)]
        if isinstance(expr, ast.Name) and expr.id in assigned:
            return resolve(assigned[expr.id])
        return [eval(compile(ast.Expression(expr), "<view>", "eval"), namespace)]  # noqa: S307 - our own source

    found, refuses = [], False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "refuse_body":
            refuses = True
        if any(kw.arg == "data" and ast.unparse(kw.value) == "request.data" for kw in node.keywords):
            found += resolve(func)
        more = None
        if isinstance(func, ast.Attribute) and func.attr == name:
            target = func.value
            if isinstance(target, ast.Call) and isinstance(target.func, ast.Name) and target.func.id == "super":
                more = _body_readers(view, name, owner)
            elif isinstance(target, ast.Name) and isinstance(namespace.get(target.id), type):
                klass = namespace[target.id]
                index = view.__mro__.index(klass)
                more = _body_readers(view, name, view.__mro__[index - 1] if index else None)
        elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"
              and not func.attr.startswith("get_") and inspect.isfunction(getattr(view, func.attr, None))):
            more = _body_readers(view, func.attr)
        if more:
            found += more[0]
            refuses = refuses or more[1]
    return found, refuses


def _serializers_in(serializer, path: str):
    serializer = serializer() if isinstance(serializer, type) else serializer
    yield path, serializer
    for name, field in serializer.fields.items():
        while isinstance(field, serializers.ListField | serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.BaseSerializer) and not field.read_only:
            yield from _serializers_in(field, f"{path}.{name}")


def test_every_write_view_reads_its_body_strictly():
    views = _routed_views()
    unchecked, lax, checked = [], [], 0
    for view, route in views.items():
        for method in WRITES:
            if not hasattr(view, method):
                continue
            found, refuses = _body_readers(view, method)
            checked += 1
            if not found and not refuses:
                unchecked.append(f"{method.upper()} {route} ({view.__name__})")
            for serializer in found:
                lax += [f"{method.upper()} {route}: {path}" for path, nested in _serializers_in(
                    serializer, serializer.__name__) if not isinstance(nested, StrictInputMixin)]

    assert checked >= 80
    assert not unchecked, f"write views that never validate their body: {unchecked}"
    assert not lax, f"input serializers that are not StrictInputSerializer: {lax}"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _roles(db):
    from tests.core_banking.ledger.interfaces import ensure_roles

    ensure_roles()
    for role, perms in CASES_ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def accounts(bank, ada):
    product = banking.product(bank, code="CUR-EUR", name="Current account EUR")
    a = banking.account(ada, product)
    b = banking.account(banking.customer(first_name="Bram", last_name="de Vries"), product)
    banking.fund(bank, a, "100.00")
    return a, b


@pytest.fixture
def payer():
    return token_api(scopes=["payments"])


@pytest.fixture
def finance():
    return token_api(role="finance", scopes=["ledger"])


def pay(api, body, key="k-1"):
    return api.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def transfer(a, b, **change):
    return {"kind": "internal_transfer", "amount": "25.00", "currency": "EUR", "debtor_account_id": a.pk,
            "creditor_account_id": b.pk, **change}


def postings(a, b, amount="10.00", **extra):
    return [{"account_id": a.ledger_account_id, "amount": amount, **extra},
            {"account_id": b.ledger_account_id, "amount": f"-{amount}"}]


def refused_field(response, field: str, status: int = 400) -> dict:
    body = assert_problem(response, status=status, code="unknown_field")
    assert body["field"] == field, body
    assert field.rsplit(".", 1)[-1].split("[")[0] in body["detail"], body
    assert body["errors"], body
    return body


# --- unknown fields ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["status", "fee_amount", "hash", "reverses", "created_at", "entry_id"])
def test_a_payment_with_a_field_it_does_not_take_is_refused(payer, accounts, field):
    a, b = accounts

    refused_field(pay(payer, transfer(a, b, **{field: "posted"})), field)

    assert not Payment.objects.exists()


@pytest.mark.parametrize("field", ["hash", "reverses", "created_at", "status"])
def test_a_ledger_entry_with_a_field_it_does_not_take_is_refused(finance, accounts, field):
    a, b = accounts
    before = JournalEntry.objects.count()

    response = finance.post(ENTRIES, {"postings": postings(a, b), field: "x"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="e-1")

    refused_field(response, field)
    assert JournalEntry.objects.count() == before


def test_an_unknown_field_inside_a_posting_is_named_with_its_path(finance, accounts):
    a, b = accounts
    before = JournalEntry.objects.count()
    body = {"postings": [*postings(a, b)[:1], {**postings(a, b)[1], "fee": "1.00"}]}

    refused_field(finance.post(ENTRIES, body, format="json", HTTP_IDEMPOTENCY_KEY="e-2"), "postings[1].fee")
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize(("entry", "field"), [
    ({"kind": "adjustment"}, "entries[1].kind"),  # a batch holds transfers only, and says so
    ({"reverses": 7}, "entries[1].reverses"),
])
def test_a_bulk_item_with_a_field_it_does_not_take_is_refused(finance, accounts, entry, field):
    a, b = accounts
    before = JournalEntry.objects.count()
    body = {"entries": [{"postings": postings(a, b)}, {"postings": postings(a, b), **entry}]}

    response = finance.post(f"{ENTRIES}bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="b-1")

    problem = refused_field(response, field)
    assert problem["entry_index"] == 1
    assert JournalEntry.objects.count() == before


def test_an_unknown_field_in_a_bulk_posting_is_refused_too_on_the_fast_path(finance, accounts):
    a, b = accounts
    before = JournalEntry.objects.count()
    body = {"entries": [{"postings": [*postings(a, b)[:1], {**postings(a, b)[1], "memo": "x"}]}]}

    response = finance.post(f"{ENTRIES}bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="b-2")

    refused_field(response, "entries[0].postings[1].memo")
    assert JournalEntry.objects.count() == before


def test_a_customer_with_a_field_other_workflows_own_is_refused_and_told_why(db):
    api = token_api(scopes=["customers"])
    body = {"type": "person", "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-05-17",
            "nationality": "GB"}

    problem = refused_field(api.post("/api/v1/customers/", {**body, "kyc_status": "approved"}, format="json"),
                            "kyc_status")
    assert "KYC review workflow" in problem["detail"]
    refused_field(api.post("/api/v1/customers/", {**body, "addresses": [
        {"line1": "Dam 1", "city": "Amsterdam", "country": "NL", "verified": True}]}, format="json"),
        "addresses[0].verified")
    assert not Customer.objects.exists()


def test_a_limit_rule_with_a_field_it_does_not_take_is_refused(db):
    api = token_api(scopes=["limits"])
    grant(api.api_client.user, "limits.add_limitrule", "limits.view_limitrule")

    response = api.post("/api/v1/limits/rules/", {"profile": "RETAIL", "currency": "EUR", "daily_amount": "100.00",
                                                  "priority": 1}, format="json")

    refused_field(response, "priority")
    assert not LimitRule.objects.exists()


def test_kyc_actions_and_uploads_refuse_fields_they_do_not_take(ada):
    ops = staff_api(staff_user("operations"))
    created = ops.post("/api/v1/kyc/applications/", {"customer": ada.pk, "product_kind": "current"}, format="json")
    assert created.status_code == 201, created.content
    application = created.json()["id"]
    refused_field(ops.post("/api/v1/kyc/applications/", {"customer": ada.pk, "status": "approved"}, format="json"),
                  "status")

    refused_field(ops.post(f"/api/v1/kyc/applications/{application}/submit/", {"risk_rating": "low"},
                           format="json"), "risk_rating")
    upload = SimpleUploadedFile("pass.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    refused_field(ops.post(f"/api/v1/kyc/applications/{application}/documents/",
                           {"type": "passport", "expiry_date": "2099-01-01", "file": upload, "verified": "true"},
                           format="multipart"), "verified")

    assert KycApplication.objects.get(pk=application).status == "draft"
    assert not KycDocument.objects.exists()


def test_a_compliance_decision_with_a_field_it_does_not_take_is_refused(ada):
    alert, _ = alert_raise(customer_id=ada.pk, source="monitoring", rule_code="large_amount", summary="large",
                           score=60, dedup_key="k-1", facts={"amount": "1200.00"})
    officer = staff_api(staff_user("compliance_officer"))

    response = officer.post(f"/api/v1/compliance/alerts/{alert.pk}/decide/",
                            {"decision": "clear", "note": "a known salary", "decided_by": "someone"}, format="json")

    refused_field(response, "decided_by")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN and alert.decided_by is None


def test_a_statement_upload_with_a_form_field_it_does_not_take_is_refused(db, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "reconciliation": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "statements"), "base_url": None}}}
    account = external_account("NL91ABNA0417164300")
    ops = staff_api(staff_user("operations"))
    upload = SimpleUploadedFile("statement.csv", b"date,amount\n", content_type="text/csv")

    response = ops.post("/api/v1/reconciliation/statements/", {"external_account": account.pk, "file": upload,
                                                                "imported_by": "someone else"}, format="multipart")

    refused_field(response, "imported_by")
    assert not StatementFile.objects.exists()


def test_a_write_that_takes_no_body_refuses_any_field(db):
    client = token_api(scopes=["payments"]).api_client
    token, _ = api_token_issue(client=client)
    admin = staff_api(staff_user("administrator"))

    refused_field(admin.post(f"/api/v1/api-tokens/{token.prefix}/revoke/", {"reason": "rotated"}, format="json"),
                  "reason")

    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    revoked = admin.post(f"/api/v1/api-tokens/{token.prefix}/revoke/", {}, format="json")
    assert revoked.status_code == 200, revoked.content


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["1E+2", "1e2", " 1", "1 ", "+1", "0x10", "１", "1.", ".5", "NaN", "Infinity",
                                    "-Infinity", "1_000", "1,5", "", "--1", 100, 1.5, True, None])
def test_an_amount_is_a_plain_decimal_string(payer, accounts, amount):
    a, b = accounts

    problem = assert_problem(pay(payer, transfer(a, b, amount=amount)), status=400, code="validation_error")

    assert list(problem["errors"]) == ["amount"]
    assert not Payment.objects.exists()


def test_a_posting_amount_is_a_plain_decimal_string_too(finance, accounts):
    a, b = accounts
    before = JournalEntry.objects.count()
    body = {"postings": [{"account_id": a.ledger_account_id, "amount": "1E+1"},
                         {"account_id": b.ledger_account_id, "amount": "-10"}]}

    problem = assert_problem(finance.post(ENTRIES, body, format="json", HTTP_IDEMPOTENCY_KEY="e-3"), status=400,
                             code="validation_error")

    assert "amount" in str(problem["errors"]["postings"])
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize(("amount", "currency"), [("10.001", "EUR"), ("100.5", "JPY"), ("1.0005", "BHD")])
def test_an_amount_with_more_decimals_than_its_currency_has_is_refused(payer, accounts, amount, currency):
    a, b = accounts

    assert_problem(pay(payer, transfer(a, b, amount=amount, currency=currency)), status=400, code="invalid_amount")

    assert not Payment.objects.exists()


def test_a_posting_with_more_decimals_than_eur_has_is_refused(finance, accounts):
    a, b = accounts
    before = JournalEntry.objects.count()

    response = finance.post(ENTRIES, {"postings": postings(a, b, amount="1.001")}, format="json",
                            HTTP_IDEMPOTENCY_KEY="e-4")

    assert_problem(response, status=400, code="invalid_amount")
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize(("value", "accepted"), [
    ("10.50", True), ("-10.50", True), ("0", True), ("007", True), ("1" * 20, True), ("1" * 21, False),
    ("0." + "1" * 18, True), ("0." + "1" * 19, False), ("1e2", False), ("١", False),
])
def test_the_decimal_field_and_its_documented_pattern_agree(value, accepted):
    import re

    field = DecimalStringField(max_digits=38, decimal_places=18)
    pattern = re.compile(field.schema_pattern())
    try:
        field.run_validation(value)
        valid = True
    except serializers.ValidationError:
        valid = False

    assert valid is accepted
    assert bool(pattern.search(value)) is accepted


# --- unknown currency -------------------------------------------------------------------------


def test_an_unknown_currency_is_unknown_currency_not_a_mismatch(payer, accounts, finance):
    a, b = accounts

    problem = assert_problem(pay(payer, transfer(a, b, currency="XXX")), status=400, code="unknown_currency")
    assert problem["field"] == "currency" and "XXX" in problem["detail"]
    posted = finance.post(ENTRIES, {"postings": postings(a, b, currency="XXX")}, format="json",
                          HTTP_IDEMPOTENCY_KEY="e-5")
    assert assert_problem(posted, status=400, code="unknown_currency")["field"] == "postings[0].currency"
    quote = payer.post("/api/v1/fx/quotes/", {"sell_currency": "XXX", "buy_currency": "EUR", "sell_amount": "10"},
                       format="json")
    assert_problem(quote, status=400, code="unknown_currency")

    assert not Payment.objects.exists() and not FxQuote.objects.exists()
    assert assert_problem(pay(payer, transfer(a, b, currency="USD")), status=400, code="currency_mismatch")


def test_a_known_currency_in_a_bulk_posting_keeps_the_fast_path_and_an_unknown_one_is_refused(finance, accounts):
    a, b = accounts
    good = {"entries": [{"postings": postings(a, b, currency="EUR")}]}
    bad = {"entries": [{"postings": postings(a, b)}, {"postings": postings(a, b, currency="ZZZ")}]}

    assert finance.post(f"{ENTRIES}bulk/", good, format="json", HTTP_IDEMPOTENCY_KEY="b-3").status_code == 201
    before = JournalEntry.objects.count()
    problem = assert_problem(finance.post(f"{ENTRIES}bulk/", bad, format="json", HTTP_IDEMPOTENCY_KEY="b-4"),
                             status=400, code="unknown_currency")
    assert problem["field"] == "entries[1].postings[0].currency" and problem["entry_index"] == 1
    assert JournalEntry.objects.count() == before


def test_the_payment_services_say_unknown_currency_too(db):
    with pytest.raises(ledger_exc.UnknownCurrency):
        payment_request(kind="internal_transfer", amount=Decimal("1.00"), currency="XXX", debtor_account_id=1,
                        creditor_account_id=2)
