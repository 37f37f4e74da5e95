import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.utils import timezone

from backoffice.api_clients.models import ApiClient, ApiToken
from backoffice.approvals.models import ApprovalRequest
from backoffice.approvals.services import request_approve
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user

from .factories import ApiClientFactory, StaffUserFactory, issue
from .support import assert_problem, bearer

TOKEN_LINE = re.compile(r"^[a-z0-9]{8}\.[A-Za-z0-9_-]{43}$", re.MULTILINE)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def printed_token(output: str) -> str:
    tokens = TOKEN_LINE.findall(output)
    assert len(tokens) == 1, output
    return tokens[0]


@pytest.fixture
def owner(db):
    return StaffUserFactory(username="owner")


@pytest.fixture
def requester(db):
    ensure_roles()
    return staff_user("administrator", username="the-admin")


def _create(*extra):
    return run("create_api_client", *extra)


def test_create_api_client_asks_for_approval_and_the_token_works_once_it_is_granted(owner, requester):
    """Issue 16: the command cannot create a client by itself either."""
    out, _ = _create("payments-gw", "--role", "api_client", "--owner", "owner", "--requested-by", "the-admin",
                     "--scope", "ledger", "--scope", "payments")

    request = ApprovalRequest.objects.get(action_type="api_client_create")
    assert f"Approval request #{request.pk} created" in out and not ApiClient.objects.exists()
    assert (request.maker, request.payload["owner_id"]) == (requester, owner.pk)

    request_approve(request_id=request.pk, actor=staff_user("compliance_officer"))
    out, err = run("issue_api_token", "payments-gw", "--expires-days", "7", "--issued-by", "owner")

    token = printed_token(out)
    assert "cannot be shown again" in err
    me = bearer(token).get("/api/v1/me/").json()
    assert (me["client"], me["scopes"], me["roles"]) == ("payments-gw", ["ledger", "payments"], ["api_client"])
    user = get_user_model().objects.get(username="api:payments-gw")
    assert not user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert user.api_client.owner == owner
    row = ApiToken.objects.get(prefix=token.split(".")[0])
    assert timezone.now() + timedelta(days=6) < row.expires_at <= timezone.now() + timedelta(days=7)


def test_create_api_client_needs_an_administrator_as_maker(owner):
    ensure_roles()
    staff_user("finance", username="money")
    with pytest.raises(CommandError, match=r"\[initiation_forbidden\]"):
        _create("x-client", "--role", "finance", "--owner", "owner", "--requested-by", "money")
    with pytest.raises(CommandError, match=r"\[invalid_owner\]"):
        _create("x-client", "--role", "finance", "--owner", "owner", "--requested-by", "nobody")
    assert not ApprovalRequest.objects.exists() and not ApiClient.objects.exists()


def test_create_api_client_refuses_an_unknown_role_and_creates_nothing(owner, requester):
    users_before = get_user_model().objects.count()

    with pytest.raises(CommandError, match=r"Unknown role 'superhero'.*\[unknown_role\]"):
        _create("x-client", "--role", "superhero", "--owner", "owner", "--requested-by", "the-admin")

    assert ApiClient.objects.count() == 0 and ApiToken.objects.count() == 0
    assert get_user_model().objects.count() == users_before and not ApprovalRequest.objects.exists()


def test_create_api_client_refuses_a_duplicate_name_and_changes_nothing(owner, requester):
    ApiClientFactory(name="taken")
    tokens_before = ApiToken.objects.count()

    with pytest.raises(CommandError, match=r"already exists.*\[duplicate_client\]"):
        _create("taken", "--role", "api_client", "--owner", "owner", "--requested-by", "the-admin")

    assert ApiClient.objects.filter(name="taken").count() == 1
    assert ApiToken.objects.count() == tokens_before and not ApprovalRequest.objects.exists()


@pytest.mark.parametrize("username", ["nobody", "api:taken"])
def test_create_api_client_refuses_an_owner_who_is_not_a_staff_person(owner, requester, username):
    ApiClientFactory(name="taken")
    clients_before = ApiClient.objects.count()

    with pytest.raises(CommandError, match=r"\[invalid_owner\]"):
        _create("x-client", "--role", "api_client", "--owner", username, "--requested-by", "the-admin")

    assert ApiClient.objects.count() == clients_before and not ApprovalRequest.objects.exists()


def test_create_api_client_from_the_command_line_exits_non_zero_with_a_message(owner, requester, capsys):
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "create_api_client", "x-client", "--role", "superhero",
                                   "--owner", "owner", "--requested-by", "the-admin"])

    assert exit_info.value.code == 1
    assert "Unknown role 'superhero'" in capsys.readouterr().err


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_issue_api_token_refuses_a_bad_lifetime(ledger_client, days):
    tokens = ApiToken.objects.count()
    with pytest.raises(CommandError, match="--expires-days"):
        run("issue_api_token", ledger_client.name, "--expires-days", days, "--issued-by",
            ledger_client.owner.username)

    assert ApiToken.objects.count() == tokens


def test_issue_api_token_prints_a_new_working_token(ledger_client):
    old = issue(ledger_client)

    out, err = run("issue_api_token", "ledger-partner", "--expires-days", "30", "--issued-by",
                   ledger_client.owner.username)

    new = printed_token(out)
    assert new != old
    assert "cannot be shown again" in err
    assert bearer(new).get("/api/v1/me/").status_code == 200
    assert bearer(old).get("/api/v1/me/").status_code == 200  # rotation: both until revoked


def test_issue_api_token_is_refused_to_anyone_but_the_owner(ledger_client):
    StaffUserFactory(username="the-admin")
    with pytest.raises(CommandError, match=r"\[token_issue_forbidden\]"):
        run("issue_api_token", "ledger-partner", "--issued-by", "the-admin")
    assert not ApiToken.objects.filter(client=ledger_client).exists()


def test_issue_api_token_for_an_unknown_client_fails(db):
    with pytest.raises(CommandError, match="no API client named 'ghost'"):
        run("issue_api_token", "ghost", "--issued-by", "nobody")


def test_revoke_api_token_stops_the_token_at_once(ledger_client):
    token = issue(ledger_client)
    prefix = token.split(".")[0]

    out, _ = run("revoke_api_token", prefix)

    assert f"Revoked token {prefix}" in out
    body = assert_problem(bearer(token).get("/api/v1/me/"), status=401, code="authentication_failed")
    assert body["detail"] == "token revoked"


def test_revoke_api_token_twice_or_unknown_fails(ledger_client):
    prefix = issue(ledger_client).split(".")[0]
    run("revoke_api_token", prefix)

    with pytest.raises(CommandError, match=r"\[token_already_revoked\]"):
        run("revoke_api_token", prefix)
    with pytest.raises(CommandError, match="no API token with prefix 'zzzzzzzz'"):
        run("revoke_api_token", "zzzzzzzz")
