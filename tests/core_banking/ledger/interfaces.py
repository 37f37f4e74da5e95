"""Helpers for the engine's interface tests (REST API and admin): people with roles, signed in
the way the back office signs them in, and API clients with bearer tokens.

Roles and API clients are the back office's: this module imports the back office only inside
those helpers, so that the engine's tests import it without the back office installed. There
(``tests/engine_settings.py``) a role is the engine's share of it: the permissions its apps' own
``roles.py`` modules give the role (loans, deposits, interest, the end of day, events), enough for
the services' tests; a test that needs the whole catalogue or an API client is marked
``backoffice`` (``tests/core_banking/conftest.py``)."""

from __future__ import annotations

import importlib
import itertools

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from core_banking.common.maker_checker import system_execution
from tests.helpers import back_office_installed, sign_in_verified

PROBLEM = "application/problem+json"
_numbers = itertools.count(1)


def ensure_roles() -> None:
    """The role groups with the catalogue's permissions (a flushed test database loses them)."""
    if not back_office_installed():
        _engine_roles()
        return
    from backoffice.staff.roles import sync_role_groups

    sync_role_groups()


def _engine_roles() -> None:
    """The role groups with the engine's share of each role: every ``*_ROLE_PERMISSIONS`` mapping
    of a ``core_banking.<app>.roles`` module."""
    for config in apps.get_app_configs():
        if not config.name.startswith("core_banking."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.roles")
        except ModuleNotFoundError:
            continue
        for name, mapping in vars(module).items():
            if not name.endswith("_ROLE_PERMISSIONS"):
                continue
            for role, perms in mapping.items():
                group, _ = Group.objects.get_or_create(name=role)
                for perm in perms:
                    app_label, codename = perm.split(".")
                    group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label,
                                                                     codename=codename))


def staff_user(role: str | None = None, *, username: str | None = None, superuser: bool = False):
    user_model = get_user_model()
    username = username or f"{role or 'staff'}-{next(_numbers)}"
    if superuser:
        user = user_model.objects.create_superuser(username, f"{username}@example.com", "a-long-enough-password")
    else:
        user = user_model.objects.create_user(username, f"{username}@example.com", "a-long-enough-password",
                                              is_staff=True)
    if role and not back_office_installed():
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    elif role:
        from backoffice.staff.roles import assign_role

        assign_role(user, role)
    return user


def grant(user, *perms: str) -> None:
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def sign_in(client, user):
    return sign_in_verified(client, user)


def staff_api(user) -> APIClient:
    return sign_in(APIClient(), user)


def token_api(*, role: str = "api_client", scopes=("ledger",), name: str | None = None,
              kind: str = "bank_channel", owner=None) -> APIClient:
    """A token client. A bank channel by default (it sees every customer the tests' fixtures make
    through the services); ``kind="partner"`` for one that sees only its own creations."""
    from backoffice.api_clients.services import api_client_create, api_token_issue

    owner = owner or staff_user(username=f"owner-{next(_numbers)}")
    with system_execution():  # set-up; the gate on creating clients is tested in tests/backoffice/api_clients
        client = api_client_create(name=name or f"partner-{next(_numbers)}", role=role, scopes=list(scopes),
                                   owner=owner)
    if kind != client.kind:
        client.kind = kind
        client.save(update_fields=["kind"])
    _token, plain = api_token_issue(client=client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    api.api_client = client
    return api


def assert_problem(response, *, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    return body
