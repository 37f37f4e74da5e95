"""Factories that go through the services, so a client always has its user and groups."""

from __future__ import annotations

import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from backoffice.api_clients.models import ApiClient
from backoffice.api_clients.services import api_client_create, api_token_issue
from core_banking.common.maker_checker import system_execution

_names = itertools.count(1)


class ApiClientFactory(factory.Factory):
    class Meta:
        model = ApiClient

    name = factory.LazyFunction(lambda: f"client-{next(_names)}")
    role = "api_client"
    scopes = factory.LazyFunction(lambda: ["ledger"])
    owner = factory.LazyFunction(lambda: StaffUserFactory())

    @classmethod
    def _create(cls, model_class, **kwargs):
        with system_execution():  # set-up; the gate on creating clients has its own tests
            return api_client_create(**kwargs)


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff-{n}")
    is_staff = True


def grant(user, *perms: str) -> None:
    """Give `user` exactly these extra permissions ("app_label.codename")."""
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    # Django caches permissions on the instance.
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attr, None)


def issue(client: ApiClient, **kwargs) -> str:
    """A plain token for `client`."""
    kwargs.setdefault("expires_in", None)
    return api_token_issue(client=client, **kwargs)[1]
