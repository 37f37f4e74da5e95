import hashlib
import hmac
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from backoffice.api_clients import tokens
from backoffice.api_clients.exceptions import (
    ClientInactive,
    DuplicateClient,
    InvalidClientName,
    InvalidExpiry,
    InvalidScope,
    TokenAlreadyRevoked,
    UnknownRole,
)
from backoffice.api_clients.models import ApiClient, ApiToken
from backoffice.api_clients.services import (
    api_client_create,
    api_client_update,
    api_token_issue,
    api_token_revoke,
)

from .factories import ApiClientFactory, StaffUserFactory

# The services' own mechanics; the maker-checker gate on creating and widening a client is
# tested through the routes, the admin and the command.
pytestmark = pytest.mark.usefixtures("maker_checker_direct")


def test_client_gets_a_dedicated_non_staff_user_in_its_role_group_only(db):
    admin = StaffUserFactory()

    client = api_client_create(name="core-connector", role="operations", scopes=["ledger", "ledger"],
                               owner=admin, created_by=admin)

    user = client.user
    assert user.username == "api:core-connector"
    assert not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert sorted(user.groups.values_list("name", flat=True)) == ["operations"]
    assert client.scopes == ["ledger"]
    assert client.created_by == admin
    assert client.owner == admin
    assert client.is_active


def test_unknown_role_is_refused_with_a_stable_code_and_creates_nothing(db):
    users_before = get_user_model().objects.count()

    with pytest.raises(UnknownRole) as refusal:
        api_client_create(name="x-client", role="root", scopes=[])

    assert refusal.value.code == "unknown_role"
    assert get_user_model().objects.count() == users_before
    assert not ApiClient.objects.exists()


def test_a_known_role_whose_group_is_missing_is_refused(db, role_groups):
    role_groups["finance"].delete()

    with pytest.raises(UnknownRole, match="does not exist in this database"):
        api_client_create(name="x-client", role="finance", scopes=[])


def test_duplicate_name_is_refused_with_a_stable_code(db):
    ApiClientFactory(name="dup")

    with pytest.raises(DuplicateClient) as refusal:
        api_client_create(name="dup", role="api_client", scopes=[], owner=StaffUserFactory())

    assert refusal.value.code == "duplicate_client"
    assert refusal.value.status == 409
    assert ApiClient.objects.filter(name="dup").count() == 1


def test_a_user_already_holding_the_client_username_is_a_duplicate(db):
    get_user_model().objects.create(username="api:squatter")

    with pytest.raises(DuplicateClient):
        api_client_create(name="squatter", role="api_client", scopes=[], owner=StaffUserFactory())

    assert not ApiClient.objects.exists()


@pytest.mark.parametrize("name", ["", "a", "Upper", "with space", "-leading", "x" * 65, "api:x"])
def test_invalid_names_are_refused(db, name):
    with pytest.raises(InvalidClientName):
        api_client_create(name=name, role="api_client", scopes=[])


@pytest.mark.parametrize("scopes", ["ledger", ["Ledger"], ["led ger"], [""], [3]])
def test_invalid_scopes_are_refused(db, scopes):
    with pytest.raises(InvalidScope) as refusal:
        api_client_create(name="x-client", role="api_client", scopes=scopes)

    assert refusal.value.code == "invalid_scope"


def test_only_the_hash_of_the_secret_is_stored(db):
    client = ApiClientFactory()

    token, plain = api_token_issue(client=client, expires_in=timedelta(days=1))

    prefix, secret = plain.split(".")
    assert token.prefix == prefix and len(prefix) == 8
    assert len(secret) >= 43  # secrets.token_urlsafe(32)
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Go around the ORM: no column of any row of the token and client tables holds the secret.
    for table in (ApiToken._meta.db_table, ApiClient._meta.db_table):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            for row in cursor.fetchall():
                for value in row:
                    assert secret not in str(value)
                    assert plain not in str(value)


def test_secret_comparison_is_constant_time(db):
    with mock.patch.object(tokens.hmac, "compare_digest", wraps=hmac.compare_digest) as compare:
        assert tokens.secret_matches("s3cret", tokens.hash_secret("s3cret"))
        assert not tokens.secret_matches("guess", tokens.hash_secret("s3cret"))

    assert compare.call_count == 2


def test_each_token_is_different(db):
    client = ApiClientFactory()

    plains = {api_token_issue(client=client, expires_in=None)[1] for _ in range(5)}

    assert len(plains) == 5


@pytest.mark.parametrize("expires_in", [timedelta(0), timedelta(seconds=-1)])
def test_a_non_positive_lifetime_is_refused(db, expires_in):
    client = ApiClientFactory()

    with pytest.raises(InvalidExpiry):
        api_token_issue(client=client, expires_in=expires_in)

    assert not client.tokens.exists()


def test_no_token_for_a_deactivated_client(db):
    client = ApiClientFactory()
    api_client_update(client=client, scopes=client.scopes, is_active=False)

    with pytest.raises(ClientInactive) as refusal:
        api_token_issue(client=client, expires_in=None)

    assert refusal.value.code == "client_inactive"
    assert not client.tokens.exists()


def test_revoke_records_when_and_by_whom_and_refuses_a_second_time(db):
    admin = StaffUserFactory()
    token, _ = api_token_issue(client=ApiClientFactory(), expires_in=None)

    api_token_revoke(token=token, by=admin)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == admin
    first_revocation = token.revoked_at
    with pytest.raises(TokenAlreadyRevoked):
        api_token_revoke(token=token, by=admin)
    token.refresh_from_db()
    assert token.revoked_at == first_revocation


def test_the_database_refuses_a_malformed_secret_hash(db):
    token, _ = api_token_issue(client=ApiClientFactory(), expires_in=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(secret_hash="plain-secret")


def test_the_database_refuses_an_expiry_before_creation(db):
    token, _ = api_token_issue(client=ApiClientFactory(), expires_in=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at - timedelta(seconds=1))


def test_the_audit_trail_records_issue_and_revoke_without_the_secret_or_its_hash(db):
    from django.apps import apps

    audit_event = apps.get_model("audit", "AuditEvent")
    token, plain = api_token_issue(client=ApiClientFactory(), expires_in=None)
    api_token_revoke(token=token)

    events = audit_event.objects.filter(object_type="api_clients.apitoken", object_id=token.pk)
    assert sorted(events.values_list("action", flat=True)) == ["model.created", "model.updated"]
    secret = plain.split(".")[1]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {audit_event._meta.db_table}")  # noqa: S608
        for row in cursor.fetchall():
            for value in row:
                assert secret not in str(value)
                assert token.secret_hash not in str(value)
