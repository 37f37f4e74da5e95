import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.utils import timezone

from backoffice.api_clients.models import ApiClient, ApiToken
from backoffice.approvals import services as approvals
from backoffice.approvals.models import ApprovalRequest
from backoffice.staff.roles import sync_role_groups
from tests.core_banking.ledger.interfaces import staff_user
from tests.helpers import sign_in_verified

from .factories import ApiClientFactory, StaffUserFactory, issue
from .support import bearer

CLIENTS = "/admin/api_clients/apiclient/"
TOKENS = "/admin/api_clients/apitoken/"


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root-admin", password=None)


@pytest.fixture
def admin_browser(client, admin_user):
    """A superuser session that passed the second factor (django-otp's session key)."""
    return sign_in_verified(client, admin_user)


@pytest.fixture
def administrator(db):
    sync_role_groups()
    return staff_user("administrator")


@pytest.fixture
def administrator_browser(client, administrator):
    return sign_in_verified(client, administrator)


def form_errors(response):
    context = response.context or {}
    form = context.get("adminform")
    return (form.form.errors if form else None, context.get("inline_admin_formsets"))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_adding_a_client_asks_for_approval_and_a_compliance_officer_creates_it(
    administrator_browser, administrator
):
    assert "owner" in administrator_browser.get(f"{CLIENTS}add/").content.decode()

    response = administrator_browser.post(
        f"{CLIENTS}add/",
        {"name": "from-admin", "role": "support_agent", "scopes": "ledger, x", "owner": administrator.pk,
         "approval_reason": "support tooling"},
    )

    assert response.status_code == 302, form_errors(response)
    assert not ApiClient.objects.filter(name="from-admin").exists()
    request = ApprovalRequest.objects.get(action_type="api_client_create")
    assert response["Location"].endswith(f"/approvals/approvalrequest/{request.pk}/change/")
    assert request.payload == {"name": "from-admin", "role": "support_agent", "scopes": ["ledger", "x"],
                               "owner_id": administrator.pk}

    approvals.request_approve(request_id=request.pk, actor=staff_user("compliance_officer"))

    client = ApiClient.objects.get(name="from-admin")
    assert client.scopes == ["ledger", "x"]
    assert (client.owner, client.created_by) == (administrator, administrator)
    assert client.user.username == "api:from-admin"
    assert list(client.user.groups.values_list("name", flat=True)) == ["support_agent"]


def test_adding_a_duplicate_client_shows_a_form_error(administrator_browser, administrator):
    ApiClientFactory(name="taken")

    response = administrator_browser.post(
        f"{CLIENTS}add/", {"name": "taken", "role": "api_client", "scopes": "", "owner": administrator.pk}
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert ApiClient.objects.filter(name="taken").count() == 1
    assert not ApprovalRequest.objects.exists()


def test_an_owner_must_be_a_staff_person(administrator_browser):
    machine = ApiClientFactory(name="machine")
    customer = StaffUserFactory(username="not-staff", is_staff=False)

    for owner in (machine.user, customer):
        response = administrator_browser.post(
            f"{CLIENTS}add/", {"name": "x-client", "role": "api_client", "scopes": "", "owner": owner.pk}
        )
        assert response.status_code == 200
        assert "owner" in form_errors(response)[0]
    assert not ApiClient.objects.filter(name="x-client").exists()
    assert not ApprovalRequest.objects.exists()


def test_narrowing_a_client_applies_at_once(administrator_browser):
    client = ApiClientFactory(name="to-change", scopes=["ledger", "payments"])

    response = administrator_browser.post(
        f"{CLIENTS}{client.pk}/change/",
        {
            "scopes": "payments",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, form_errors(response)
    client.refresh_from_db()
    assert client.scopes == ["payments"]
    assert client.is_active is False  # checkbox not sent
    assert not ApprovalRequest.objects.exists()


def test_widening_a_client_asks_for_approval(administrator_browser):
    client = ApiClientFactory(name="to-widen", scopes=["payments"])

    response = administrator_browser.post(
        f"{CLIENTS}{client.pk}/change/",
        {
            "scopes": "payments, ledger",
            "is_active": "on",
            "approval_reason": "needs the ledger",
            "tokens-TOTAL_FORMS": "0",
            "tokens-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, form_errors(response)
    client.refresh_from_db()
    assert client.scopes == ["payments"]
    request = ApprovalRequest.objects.get(action_type="api_client_change")
    assert request.payload == {"client_id": client.pk, "scopes": ["ledger", "payments"], "is_active": True}
    assert request.target_key == f"api_client:{client.pk}"


def test_issuing_a_token_from_the_admin_is_refused_to_anyone_but_the_owner(admin_browser):
    client = ApiClientFactory(name="not-mine")

    response = admin_browser.post(CLIENTS, {"action": "issue_token_90_days", "_selected_action": [client.pk]},
                                  follow=True)

    assert any("issued by its owner" in m for m in messages_of(response)), messages_of(response)
    assert not ApiToken.objects.filter(client=client).exists()


def test_issuing_a_token_from_the_admin_shows_it_once_in_a_message(admin_browser, admin_user):
    client = ApiClientFactory(name="needs-token", owner=admin_user)  # the owner issues its tokens

    response = admin_browser.post(
        CLIENTS,
        {"action": "issue_token_90_days", "_selected_action": [client.pk]},
        follow=True,
    )

    shown = [m for m in messages_of(response) if "needs-token" in m]
    assert len(shown) == 1, messages_of(response)
    plain = re.search(r"\b([a-z0-9]{8}\.[A-Za-z0-9_-]{43})\b", shown[0]).group(1)
    assert "cannot be shown again" in shown[0]
    assert bearer(plain).get("/api/v1/me/").json()["client"] == "needs-token"
    token = ApiToken.objects.get(prefix=plain.split(".")[0])
    assert token.expires_at == pytest.approx(timezone.now() + timedelta(days=90), abs=timedelta(minutes=1))


def test_tokens_are_read_only_except_revoke(admin_browser):
    client = ApiClientFactory()
    plain = issue(client)
    token = ApiToken.objects.get(prefix=plain.split(".")[0])

    assert admin_browser.get(f"{TOKENS}add/").status_code == 403
    assert admin_browser.get(f"{TOKENS}{token.pk}/delete/").status_code == 403
    page = admin_browser.get(f"{TOKENS}{token.pk}/change/")
    assert page.status_code == 200
    assert token.secret_hash not in page.content.decode()

    response = admin_browser.post(TOKENS, {"action": "revoke", "_selected_action": [token.pk]}, follow=True)

    assert "Revoked 1 token(s)." in messages_of(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(plain).get("/api/v1/me/").json()["detail"] == "token revoked"


def test_client_list_and_token_list_render(admin_browser):
    issue(ApiClientFactory(name="listed"))

    assert "listed" in admin_browser.get(CLIENTS).content.decode()
    assert admin_browser.get(TOKENS, {"status": "usable"}).status_code == 200
