"""The admin as each role's daily tool (issue 19), the rest of it, on the seeded demo:

* Django's own checks of a decimal input are said in words naming what it holds (an amount in
  its currency and that currency's decimal places, a fraction, a percentage, an exchange rate),
  for every admin form with a money or percentage input (``constraint_messages.decimal_messages``);
* a raw-id input links the chosen row, and its look-up magnifier the list, only for who may open
  them;
* every time a person reads in the admin carries its time zone (``time_display.format_time``);
* an approval request's payload shows its amounts in their currency, not as stored strings.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.db import models
from django.test import RequestFactory

from backoffice.staff.admin_money import classify
from core_banking.common import time_display

from .test_admin_daily_tool import OUR_APPS, demo, person  # noqa: F401 - the module's demo bank

pytestmark = pytest.mark.django_db

DJANGO_WORDS = re.compile(r"Ensure that there are no more than|Enter a number\.")


KINDS = ("money", "percent", "fx_rate", "share")


class _Root:
    """A superuser for asking the admins, at collection time, which forms a person can fill in."""

    is_superuser = is_staff = is_active = is_authenticated = True
    pk = id = 0

    def has_perm(self, *args, **kwargs) -> bool:
        return True

    def has_perms(self, *args, **kwargs) -> bool:
        return True

    def has_module_perms(self, *args, **kwargs) -> bool:
        return True


def _writable(model_admin, request) -> bool:
    try:
        return bool(model_admin.has_add_permission(request) or model_admin.has_change_permission(request))
    except Exception:  # noqa: BLE001 - an admin asking the database: ask it in the test
        return True


def _decimal_forms() -> list[str]:
    """Every model whose admin form (or an inline of it) a person can fill in and that has an
    editable money, percentage or rate input: one test each."""
    request = RequestFactory().get("/admin/")
    request.user = _Root()
    labels = set()
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith(OUR_APPS) or not _writable(model_admin, request):
            continue
        candidates = [(model, model_admin.readonly_fields)]
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            try:
                writable = inline.has_add_permission(request, None) or inline.has_change_permission(request)
            except Exception:  # noqa: BLE001
                writable = True
            if writable:
                candidates.append((inline.model, inline.readonly_fields))
        for form_model, readonly in candidates:
            for field in form_model._meta.concrete_fields:
                kind = classify(form_model, field.name)
                if (isinstance(field, models.DecimalField) and field.editable and field.name not in (readonly or ())
                        and kind and kind[0] in KINDS):
                    labels.add(f"{model._meta.label_lower}/{form_model._meta.label_lower}")
    return sorted(labels)


def _forms_of(model_admin, request, form_model):
    """The form classes of ``model_admin`` for ``form_model`` (its own, or an inline's), for a new row
    and for the first existing one."""
    instance = form_model._default_manager.order_by("pk").first()
    if form_model is model_admin.model:
        for obj in (None, instance):
            yield model_admin.get_form(request, obj), obj
        return
    for inline in model_admin.get_inline_instances(request):
        if inline.model is form_model:
            form_class = inline.get_formset(request, None).form
            yield form_class, None
            if instance is not None:
                yield form_class, instance


@pytest.mark.parametrize("where", _decimal_forms())
def test_each_money_and_percentage_input_says_what_it_holds_when_refused(demo, where):  # noqa: F811
    admin_label, form_label = where.split("/")
    from django.apps import apps

    model_admin = admin.site._registry[apps.get_model(admin_label)]
    form_model = apps.get_model(form_label)
    request = RequestFactory().get("/admin/")
    request.user = demo
    checked = 0
    for form_class, obj in _forms_of(model_admin, request, form_model):
        form = form_class(instance=obj) if obj is not None else form_class()
        for name, field in form.fields.items():
            kind = classify(form_model, name)
            if not isinstance(field, forms.DecimalField) or field.disabled or not kind or kind[0] not in KINDS:
                continue
            places = field.decimal_places if field.decimal_places is not None else 18
            whole = (field.max_digits or 38) - places
            for value in ("1." + "1" * (places + 1), "9" * (whole + 1), "12,5 EUR"):
                with pytest.raises(forms.ValidationError) as refused:
                    field.clean(value)
                text = " ".join(refused.value.messages)
                assert not DJANGO_WORDS.search(text), (where, name, value, text)
                assert re.search(r"amount|fraction|percentage|exchange rate|share", text), (where, name, text)
            checked += 1
    if not checked:
        pytest.skip(f"{where}: its decimal inputs are shown read-only to a superuser")


def test_an_amount_input_names_its_currency_and_its_decimal_places(demo):  # noqa: F811
    from core_banking.loans.models import LoanProduct

    product = LoanProduct.objects.order_by("pk").first() or pytest.skip("no demo loan product")
    form = admin.site._registry[LoanProduct].get_form(_request(demo), product)(instance=product)

    with pytest.raises(forms.ValidationError) as refused:
        form.fields["amount_min"].clean("100.1234567890123456789")

    exponent = 2 if product.currency_id in ("EUR", "USD", "GBP") else None
    text = refused.value.messages[0]
    assert "Ensure that" not in text
    assert f"{product.currency_id} amounts have" in text and (exponent is None or "2 decimal places" in text)


def test_a_fee_percentage_with_too_many_places_is_said_as_a_percentage(demo):  # noqa: F811
    from backoffice.staff.constraint_messages import decimal_messages
    from backoffice.tariffs.models import FeeRule

    field = admin.site._registry[FeeRule].get_form(_request(demo))().fields["percentage"]
    with pytest.raises(forms.ValidationError) as refused:
        field.clean("1.1234567")

    assert "is a percentage (0.25 means 0.25 %)" in refused.value.messages[0], refused.value.messages
    assert "fraction" in decimal_messages(FeeRule, "percentage")["max_whole_digits"]


def _request(user, path="/admin/"):
    request = RequestFactory().get(path)
    request.user = user
    return request


# --- raw-id inputs link only where the viewer may go ---------------------------------------------


def test_the_raw_id_widget_hides_a_link_the_viewer_may_not_follow(demo):  # noqa: F811
    from django.contrib.auth import get_user_model

    from core_banking.common.admin_request import reset_request, set_request
    from core_banking.ledger.models import LedgerAccount
    from core_banking.payments.models import BookingAccount

    target = LedgerAccount.objects.order_by("pk").first()
    field = BookingAccount._meta.get_field("ledger_account")
    widget = admin.widgets.ForeignKeyRawIdWidget(field.remote_field, admin.site)
    agent = get_user_model().objects.get(username="demo_support_agent")
    assert not agent.has_perm("ledger.view_ledgeraccount")

    shown = {}
    for who, user in (("root", demo), ("agent", agent)):
        token = set_request(_request(user))
        try:
            shown[who] = widget.get_context("ledger_account", target.pk, {})
        finally:
            reset_request(token)

    assert shown["root"]["link_url"] and shown["root"]["related_url"]
    assert shown["agent"]["link_label"] and not shown["agent"]["link_url"] and not shown["agent"]["related_url"]


# --- times with their zone -------------------------------------------------------------------------


def test_one_time_display_with_the_zone(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    winter = dt.datetime(2026, 12, 6, 19, 5, 9, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)

    assert time_display.format_time(winter) == "2026-12-06 20:05 CET"
    assert time_display.format_time(winter, seconds=True) == "2026-12-06 20:05:09 CET"
    assert time_display.format_time(summer) == "2026-07-01 12:00 CEST"
    assert time_display.format_time(None) == "—"
    assert time_display.format_time(dt.date(2026, 1, 2)) == "2026-01-02"


def test_admin_lists_and_pages_show_times_with_their_zone(demo):  # noqa: F811
    from core_banking.payments.models import Payment

    payment = Payment.objects.order_by("pk").first()
    _user, root = person(demo, "superuser")

    listing = root.get("/admin/tickets/ticket/").content.decode()
    detail = root.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()

    zone = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} (CET|CEST)")
    assert zone.search(listing)
    assert time_display.format_time(payment.created_at) in detail


# --- approval payloads in words ------------------------------------------------------------------


def test_an_approval_payload_shows_amounts_in_their_currency(demo):  # noqa: F811
    from backoffice.approvals.models import ApprovalRequest
    from backoffice.approvals.targets import payload_facts

    facts = {f["label"]: f["value"] for f in payload_facts(
        {"operation": "create", "fields": {"currency": "EUR", "daily_amount": "1500.5", "daily_count": 3},
         "postings": [{"account_id": 1, "amount": "-1217.57", "currency": "JPY"}], "percentage": "0.0025"})}

    assert facts["Fields"] == "daily amount 1,500.50 EUR, daily count 3"
    assert facts["Postings"] == "account id 1, amount -1,218 JPY"
    assert facts["Percentage"] == "0.25%"

    request = ApprovalRequest.objects.order_by("pk").first()
    _user, root = person(demo, "superuser")
    page = root.get(f"/admin/approvals/approvalrequest/{request.pk}/change/").content.decode()
    assert "payload-fact" in page
    assert '{"' not in page.split('id="approval-target"')[-1].split("</form>")[0]  # no stored JSON shown


def test_the_staff_approval_page_shows_the_amounts_of_its_payload(demo):  # noqa: F811
    from backoffice.approvals.models import ApprovalRequest

    request = ApprovalRequest.objects.order_by("pk").first()
    ApprovalRequest.objects.filter(pk=request.pk).update(amount=Decimal("25000"), currency="EUR")
    _user, root = person(demo, "compliance_officer")

    page = root.get(f"/staff/approvals/{request.pk}/").content.decode()

    assert "25,000.00 EUR" in page
    assert 'id="requested"' in page
