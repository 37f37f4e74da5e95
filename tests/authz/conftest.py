"""The people and credentials the authorization matrix probes with, built once per module.

They are made inside one transaction opened for the module and rolled back when it ends (the
``setUpTestData`` pattern): each test's own ``db`` transaction nests in it as a savepoint, so the
probes of one row cannot leak into the next and nothing is left behind for other test modules."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from backoffice.staff.roles import ROLE_NAMES, STAFF_ROLE_NAMES
from tests.core_banking.ledger.interfaces import ensure_roles, staff_api, staff_user, token_api

from .probe import api_routes


def all_scopes() -> list[str]:
    """Every scope a view requires or the table says it should."""
    from .table import API_ROUTES

    declared = {scope for route in api_routes() for scope in route.scopes}
    return sorted(declared | {row.scope for row in API_ROUTES.values() if row.scope})


@pytest.fixture(scope="module")
def _module_transaction(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_roles()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def people(_module_transaction):
    """A 2FA-verified staff session per staff role, their users, and a superuser's session."""
    users = {role: staff_user(role, username=f"authz-{role.replace('_', '-')}") for role in STAFF_ROLE_NAMES}
    superuser = staff_user(superuser=True, username="authz-superuser")
    return SimpleNamespace(
        users=users,
        sessions={role: staff_api(user) for role, user in users.items()},
        superuser=superuser,
        superuser_session=staff_api(superuser),
        anonymous=APIClient(),
    )


@pytest.fixture(scope="module")
def tokens(_module_transaction):
    """Per role, a bank-channel token carrying every scope, and one per scope lacking only it."""
    scopes = all_scopes()
    full = {role: token_api(role=role, scopes=scopes, name=f"authz-{role.replace('_', '-')}") for role in ROLE_NAMES}
    lacking = {
        role: {scope: token_api(role=role, scopes=[s for s in scopes if s != scope],
                                name=f"authz-{role.replace('_', '-')}-no-{scope}") for scope in scopes}
        for role in ROLE_NAMES
    }
    return SimpleNamespace(full=full, lacking=lacking, scopes=scopes)

