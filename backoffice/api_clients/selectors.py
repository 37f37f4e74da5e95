"""Reads for API clients and tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from backoffice.staff.permissions_backend import GENERATION_READ, PERMISSIONS
from core_banking.common.rows import Joined
from core_banking.common.sqlbatch import fetch

from .models import ApiClient, ApiToken


def api_client_list() -> QuerySet[ApiClient]:
    return ApiClient.objects.select_related("user", "created_by", "owner")


def api_client_get(*, client_id: int) -> ApiClient | None:
    return api_client_list().filter(pk=client_id).first()


def api_client_get_by_name(*, name: str) -> ApiClient | None:
    return api_client_list().filter(name=name).first()


def api_token_list(*, client: ApiClient) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(client=client).select_related("client")


_CLIENT_USER = ApiClient._meta.get_field("user")
_TOKEN_CLIENT = ApiToken._meta.get_field("client")
_TOKEN_ROW = Joined(("t", ApiToken), ("c", ApiClient), ("u", get_user_model()))
_TOKEN_SQL = (
    f"SELECT {_TOKEN_ROW.columns},"
    " (SELECT generation FROM config_generation WHERE domain = %s)"  # for the permission check
    f" FROM {ApiToken._meta.db_table} t"
    f" JOIN {ApiClient._meta.db_table} c ON c.id = t.client_id"
    f" JOIN {get_user_model()._meta.db_table} u ON u.id = c.user_id WHERE t.prefix = %s"
)


def api_token_get_by_prefix(*, prefix: str) -> ApiToken | None:
    """The token with its client and user, in one statement (the authentication hot path: a
    statement of its own, prepared once per connection, instead of a query the ORM compiles for
    every request), which also reads the permissions' configuration generation for the request's
    permission check."""
    rows = fetch(_TOKEN_SQL, [PERMISSIONS, prefix])
    if not rows:
        return None
    *columns, generation = rows[0]
    token, client, user = _TOKEN_ROW.instances(tuple(columns))
    # the permissions' generation, read along (CachedPermissionsBackend reads none of its own); a
    # domain never written yet is generation 0, as config.cache reads it
    setattr(user, GENERATION_READ, generation or 0)
    # as select_related("client__user") links them: both ways of the user's one-to-one included
    _CLIENT_USER.set_cached_value(client, user)
    _CLIENT_USER.remote_field.set_cached_value(user, client)
    _TOKEN_CLIENT.set_cached_value(token, client)
    return token


def person_of(user):
    """The person behind `user`: for an API client's user, the staff member owning the client
    (its creator for an old client without an owner, else the client user itself, for want of
    anyone better); any other user is its own person. Maker-checker compares people with this."""
    if user is None:
        return None
    client = ApiClient.objects.select_related("owner", "created_by").filter(user_id=user.pk).first()
    if client is None:
        return user
    return client.owner or client.created_by or user
