"""The admin as each role's daily tool (issue 19), on the seeded demo (``seed_demo``, loaded once for
the module in a transaction rolled back at the end):

* every changelist and the change pages of its first rows, as a superuser and as each demo role,
  show no amount with more decimals than its currency and no link that answers 403
  (``admin_crawl.walk``);
* every database constraint a person can break from an admin form has a sentence
  (``constraint_messages.MESSAGES``), and breaking one through its form shows that sentence,
  never the constraint's name; a fee percentage is typed as a percentage;
* the home page shows the person's name, roles and queues; 403 and 404 pages keep the back
  office's frame with a way back; ``/favicon.ico`` is served.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import transaction
from django.test import Client, RequestFactory

from backoffice.staff.constraint_messages import MESSAGES, sentence
from backoffice.staff.roles import STAFF_ROLE_NAMES
from tests.core_banking.ledger.interfaces import sign_in, staff_user

from .admin_crawl import raw_amounts_in, walk

pytestmark = pytest.mark.django_db
OUR_APPS = ("core_banking.", "backoffice.", "compliance.", "reconciliation.")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo bank of ``make run`` and a superuser, for the whole module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", force=True, stdout=StringIO())
            root = staff_user(superuser=True, username="adminh-root")
            yield root
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def person(demo, who: str):
    from django.contrib.auth import get_user_model

    user = demo if who == "superuser" else get_user_model().objects.get(username=f"demo_{who}")
    return user, sign_in(Client(), user)


# --- one money display, no dead links ----------------------------------------------------------


@pytest.mark.parametrize("who", ["superuser", *STAFF_ROLE_NAMES])
def test_every_admin_page_shows_money_in_its_currency_and_links_only_where_the_person_may_go(demo, who):
    user, client = person(demo, who)

    findings = walk(client, user, rows_per_list=2)

    assert findings.pages > 10
    assert findings.broken_pages == []
    assert findings.raw_amounts == []
    assert findings.forbidden_links == []


def test_the_crawl_would_see_a_raw_amount_and_accepts_rates_and_currencies_with_more_places():
    assert raw_amounts_in("<td>1217.570000000000000000</td>")
    assert raw_amounts_in("<td>0E-18</td>")
    assert raw_amounts_in("<td>1,217.570 EUR</td>", {"EUR": 2})
    assert not raw_amounts_in("<td>0.00534000 BTC</td>", {"BTC": 8})
    assert not raw_amounts_in('<td><span class="rate">1 EUR = 1.0845 USD</span></td><td>0.125%</td>')


def test_a_person_sees_a_foreign_key_as_a_link_only_if_they_may_open_it(demo):
    from core_banking.accounts.models import Account

    account = Account.objects.order_by("pk").first()
    _support, support = person(demo, "support_agent")
    _finance, finance = person(demo, "finance")
    ledger_link = f'href="/admin/ledger/ledgeraccount/{account.ledger_account_id}/change/"'

    assert ledger_link not in support.get(f"/admin/accounts/account/{account.pk}/change/").content.decode()
    assert ledger_link in finance.get(f"/admin/accounts/account/{account.pk}/change/").content.decode()


def test_list_and_detail_show_amounts_grouped_with_their_currency(demo):
    from core_banking.payments.models import Payment

    _user, root = person(demo, "superuser")
    payment = Payment.objects.filter(amount__gte=1000).order_by("pk").first()

    page = root.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()

    assert f"{payment.amount:,.2f} {payment.currency_id}" in page


# --- human errors ------------------------------------------------------------------------------


def _editable_models(root) -> set:
    request = RequestFactory().get("/admin/")
    request.user = root
    models = set()
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith(OUR_APPS):
            continue
        if model_admin.has_add_permission(request) or model_admin.has_change_permission(request):
            models.add(model)
            models.update(inline.model for inline in model_admin.get_inline_instances(request)
                          if inline.has_add_permission(request, None) or inline.has_change_permission(request))
    return models


def test_every_constraint_a_person_can_break_in_an_admin_form_has_a_sentence(demo):
    missing = sorted(f"{model._meta.label_lower}: {constraint.name}"
                     for model in _editable_models(demo) for constraint in model._meta.constraints
                     if constraint.name not in MESSAGES)
    assert missing == []


def test_no_constraint_is_ever_shown_by_its_name():
    from django.apps import apps

    for model in apps.get_models():
        for constraint in model._meta.constraints:
            text = sentence(model, constraint.name)
            assert constraint.name not in text and text.endswith("."), (model, constraint.name, text)


def _errors_of(response) -> str:
    assert response.status_code == 200, response.status_code  # the form came back with errors
    return response.content.decode()


def _sentences_shown(page: str, *names: str) -> None:
    for name in names:
        assert MESSAGES[name] in page, name
        assert name not in page
    assert "is violated" not in page


def test_fx_rate_constraints_through_the_admin_form(demo):
    _user, root = person(demo, "superuser")
    now = dt.datetime.now()

    page = _errors_of(root.post("/admin/payments/fxrate/add/", {
        "base": "EUR", "quote": "EUR", "mid_rate": "0", "spread": "1", "source": "manual",
        "valid_from_0": now.strftime("%d/%m/%Y"), "valid_from_1": now.strftime("%H:%M:%S")}))

    _sentences_shown(page, "fx_rate_positive", "fx_spread_0_1", "fx_rate_distinct_pair")


def test_currency_constraints_through_the_admin_form(demo):
    _user, root = person(demo, "superuser")

    page = _errors_of(root.post("/admin/ledger/currency/add/", {
        "code": "eu", "name": "Bad", "kind": "fiat", "exponent": "19", "is_active": "on"}))

    _sentences_shown(page, "currency_exponent_0_18", "currency_code_format")


def test_a_second_limit_rule_for_a_profile_and_channel_is_refused_in_words(demo):
    from backoffice.limits.models import LimitRule

    rule = LimitRule.objects.filter(profile__isnull=False).order_by("pk").first()
    _user, root = person(demo, "superuser")

    page = _errors_of(root.post("/admin/limits/limitrule/add/", {
        "profile": str(rule.profile_id), "channel": rule.channel, "currency": rule.currency_id,
        "daily_amount": "10", "approval_reason": "test"}))

    assert "limit_rule_profile_channel_unique" not in page and "is violated" not in page
    assert "already has a rule for" in page or "one rule per" in page.lower() or "already" in page


def test_customer_tariff_dates_are_refused_in_words(demo):
    from backoffice.tariffs.models import TariffPlan
    from core_banking.customers.models import Customer

    _user, root = person(demo, "superuser")
    page = _errors_of(root.post("/admin/tariffs/customertariff/add/", {
        "customer": str(Customer.objects.order_by("pk").first().pk), "plan": str(TariffPlan.objects.first().pk),
        "valid_from": "2030-02-01", "valid_to": "2030-01-01", "note": ""}))

    assert "customer_tariff_dates_ordered" not in page and "is violated" not in page


def test_a_fee_percentage_is_typed_as_a_percentage_and_150_is_refused_in_words(demo):
    from backoffice.tariffs.models import TariffVersion
    from core_banking.ledger.selectors import business_date_current

    version = TariffVersion.objects.order_by("pk").first()
    version.effective_from = business_date_current() + dt.timedelta(days=30)  # a version not started yet
    TariffVersion.objects.filter(pk=version.pk).update(effective_from=version.effective_from)
    _user, root = person(demo, "superuser")

    form_page = root.get("/admin/tariffs/feerule/add/").content.decode()
    assert "Percentage (%)" in form_page

    page = _errors_of(root.post("/admin/tariffs/feerule/add/", {
        "version": str(version.pk), "event": "cash_deposit", "channel": "", "currency": "EUR",
        "fixed_amount": "0", "percentage": "150", "min_fee": "0", "max_fee": "", "free_allowance_count": "0",
        "allowance_period": "month", "description": "", "approval_reason": "test",
        "tiers-TOTAL_FORMS": "0", "tiers-INITIAL_FORMS": "0", "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000"}))

    assert "A percentage is between 0 and 100" in page
    assert "digit before the decimal point" not in page


def test_a_category_sla_whose_resolution_comes_before_the_response_is_refused_in_words(demo):
    _user, root = person(demo, "superuser")

    page = _errors_of(root.post("/admin/tickets/category/add/", {
        "code": "adminh", "name": "Admin test", "is_active": "on",
        "slas-TOTAL_FORMS": "1", "slas-INITIAL_FORMS": "0", "slas-MIN_NUM_FORMS": "0", "slas-MAX_NUM_FORMS": "1000",
        "slas-0-priority": "normal", "slas-0-response_minutes": "60", "slas-0-resolution_minutes": "30"}))

    _sentences_shown(page, "tickets_sla_minutes")


# --- landing page, header, error pages, favicon ------------------------------------------------


@pytest.mark.parametrize(("who", "queue"), [
    ("operations", "Payments held for review"),
    ("compliance_officer", "Approval requests pending"),
    ("support_agent", "My ticket queue"),
    ("finance", "Trial balance"),
    ("administrator", "Staff users"),
])
def test_each_role_lands_on_its_queues_with_its_name_and_role_in_the_header(demo, who, queue):
    user, client = person(demo, who)

    page = client.get("/admin/").content.decode()

    assert f"{user.get_full_name()} ({who.replace('_', ' ')})" in page
    assert "Welcome," not in page
    assert queue in page


def test_forbidden_and_missing_pages_keep_the_frame_and_a_way_back(demo):
    _user, support = person(demo, "support_agent")

    forbidden = support.get("/admin/ledger/ledgeraccount/")
    missing = support.get("/admin/no-such-page/")

    assert forbidden.status_code == 403
    assert "You may not open this page" in forbidden.content.decode()
    assert 'href="/admin/"' in forbidden.content.decode()
    assert missing.status_code == 404
    assert "There is nothing here" in missing.content.decode() and 'href="/admin/"' in missing.content.decode()


def test_the_favicon_is_served(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")

    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")
    assert finders.find("favicon.ico")
