from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.api_clients.models import ApiToken
from backoffice.api_clients.services import api_client_update, api_token_issue, api_token_revoke

from .factories import issue
from .support import assert_problem, bearer

ME = "/api/v1/me/"


def with_header(value: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=value)
    return api


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer", "TOKEN"])
def test_bearer_and_token_keywords_are_accepted(ledger_token, keyword):
    response = with_header(f"{keyword} {ledger_token}").get(ME)

    assert response.status_code == 200, response.content
    assert response.json()["username"] == "api:ledger-partner"


def test_no_header_is_not_authenticated_and_says_how_to_authenticate(db):
    response = APIClient().get(ME)

    assert_problem(response, status=401, code="not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_another_scheme_is_left_to_other_authenticators(db):
    response = with_header("Basic dXNlcjpwYXNz").get(ME)

    assert_problem(response, status=401, code="not_authenticated")


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer", "malformed authorization header"),
        ("Bearer abcdefgh.secret extra", "malformed authorization header"),
        ("Bearer no-dot-in-this-token", "malformed token"),
        ("Bearer abcdefgh.", "malformed token"),
        ("Bearer short.secret", "malformed token"),
        ("Bearer ABCDEFGH.secret", "malformed token"),
        ("Bearer abcdéfgh.secret", "malformed token"),
    ],
)
def test_malformed_headers_are_refused(db, header, detail):
    response = with_header(header).get(ME)

    body = assert_problem(response, status=401, code="authentication_failed")
    assert body["detail"] == detail
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_unknown_prefix_and_wrong_secret_are_the_same_invalid_token(ledger_token):
    prefix, secret = ledger_token.split(".")

    unknown = with_header(f"Bearer zzzzzzzz.{secret}").get(ME)
    wrong = with_header(f"Bearer {prefix}.{secret[:-1]}x").get(ME)

    assert assert_problem(unknown, status=401, code="authentication_failed")["detail"] == ("invalid token")
    assert assert_problem(wrong, status=401, code="authentication_failed")["detail"] == ("invalid token")


def test_an_expired_token_is_refused(ledger_client):
    token, plain = api_token_issue(client=ledger_client, expires_in=timedelta(minutes=5))
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - timedelta(hours=1),
        expires_at=timezone.now() - timedelta(seconds=1),
    )

    body = assert_problem(bearer(plain).get(ME), status=401, code="authentication_failed")

    assert body["detail"] == "token expired"


def test_a_revoked_token_is_refused(ledger_client):
    token, plain = api_token_issue(client=ledger_client, expires_in=None)
    api_token_revoke(token=token)

    body = assert_problem(bearer(plain).get(ME), status=401, code="authentication_failed")

    assert body["detail"] == "token revoked"


def test_all_tokens_of_a_deactivated_client_are_refused(ledger_client, ledger_token):
    api_client_update(client=ledger_client, scopes=ledger_client.scopes, is_active=False)

    body = assert_problem(bearer(ledger_token).get(ME), status=401, code="authentication_failed")

    assert body["detail"] == "client inactive"


def test_a_deactivated_user_is_refused(ledger_client, ledger_token):
    ledger_client.user.is_active = False
    ledger_client.user.save(update_fields=["is_active"])

    body = assert_problem(bearer(ledger_token).get(ME), status=401, code="authentication_failed")

    assert body["detail"] == "user inactive"


def test_last_used_at_is_written_at_most_once_a_minute(ledger_client):
    token, plain = api_token_issue(client=ledger_client, expires_in=None)
    api = bearer(plain)

    api.get(ME)
    token.refresh_from_db()
    first_use = token.last_used_at
    api.get(ME)
    token.refresh_from_db()

    assert first_use is not None
    assert token.last_used_at == first_use

    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=two_minutes_ago)
    api.get(ME)
    token.refresh_from_db()
    assert token.last_used_at > two_minutes_ago + timedelta(minutes=1)


@pytest.mark.urls("tests.backoffice.api_clients.urls")
def test_the_audit_context_knows_the_token_user_as_the_actor(ledger_client):
    response = bearer(issue(ledger_client)).get("/actor/")

    assert response.json() == {
        "actor_id": ledger_client.user.pk,
        "actor_repr": "api:ledger-partner",
    }


def test_the_token_lookup_reads_token_client_and_user_in_one_statement(ledger_client, django_assert_num_queries):
    from backoffice.api_clients.selectors import api_token_get_by_prefix

    token, _plain = api_token_issue(client=ledger_client, expires_in=None)
    with django_assert_num_queries(1):
        found = api_token_get_by_prefix(prefix=token.prefix)
        # linked as select_related("client__user") links them, the user's way back to its client included
        assert found.client.user.api_client is found.client
        assert (found.pk, found.client.pk, found.client.user.pk) == (token.pk, ledger_client.pk, ledger_client.user.pk)
        assert found.secret_hash == token.secret_hash and found.client.user.is_active
    assert api_token_get_by_prefix(prefix="nosuchprefix") is None


@pytest.mark.django_db(transaction=True)  # the permissions' generation is bumped by committed writes
def test_the_token_lookup_reads_the_permissions_generation_for_the_permission_check(ledger_client,
                                                                                 django_assert_num_queries):
    from django.contrib.auth.models import Permission

    from backoffice.api_clients.selectors import api_token_get_by_prefix

    token, _plain = api_token_issue(client=ledger_client, expires_in=None)
    perm = Permission.objects.get(codename="view_auditevent")
    label = f"{perm.content_type.app_label}.{perm.codename}"
    user = api_token_get_by_prefix(prefix=token.prefix).client.user
    assert not user.has_perm(label)  # loads the cache for this generation

    again = api_token_get_by_prefix(prefix=token.prefix).client.user
    with django_assert_num_queries(0):  # the generation came with the token's row: nothing read here
        assert not again.has_perm(label)

    ledger_client.user.user_permissions.add(perm)  # a new generation of the permissions
    granted = api_token_get_by_prefix(prefix=token.prefix).client.user
    assert granted.has_perm(label)
