"""Routes about the bank itself refuse a partner's token whatever its role and scopes, and let a
bank channel with the same role and scopes through (the one BankInternal permission)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tests.core_banking.ledger.interfaces import assert_problem, token_api

pytestmark = pytest.mark.django_db

ROUTES = [
    ("/api/v1/eod/runs/", "eod", "eod.view_eodrun"),
    ("/api/v1/compliance/cases/", "compliance", "compliance_cases.view_case"),
    ("/api/v1/compliance/monitoring/rules/", "compliance", "compliance_monitoring.view_monitoringrule"),
    ("/api/v1/compliance/screening/lists/", "compliance", "compliance_screening.view_watchlist"),
    ("/api/v1/reconciliation/statements/", "reconciliation", "reconciliation.view_statement"),
    ("/api/v1/settlement/batches/", "settlement", "settlement.view_batch"),
]


@pytest.mark.parametrize(("url", "scope", "perm"), ROUTES)
def test_a_partner_token_is_refused_and_a_bank_channel_is_not(url, scope, perm):
    app_label, codename = perm.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    partner = token_api(scopes=(scope,), kind="partner")
    channel = token_api(scopes=(scope,), kind="bank_channel")
    for api in (partner, channel):
        api.api_client.user.user_permissions.add(permission)
    assert_problem(partner.get(url), status=403, code="permission_denied")
    assert channel.get(url).status_code == 200
