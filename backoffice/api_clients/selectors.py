"""Reads for API clients and tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ApiClient, ApiToken


def api_client_list() -> QuerySet[ApiClient]:
    return ApiClient.objects.select_related("user", "created_by", "owner")


def api_client_get(*, client_id: int) -> ApiClient | None:
    return api_client_list().filter(pk=client_id).first()


def api_client_get_by_name(*, name: str) -> ApiClient | None:
    return api_client_list().filter(name=name).first()


def api_token_list(*, client: ApiClient) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(client=client).select_related("client")


def api_token_get_by_prefix(*, prefix: str) -> ApiToken | None:
    """The token with its client and user, in one query (the authentication hot path)."""
    return ApiToken.objects.select_related("client__user").filter(prefix=prefix).first()


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
