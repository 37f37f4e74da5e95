"""Calling the engine's REST API and admin as a role, in both runs of ``make test``.

The engine's interface tests (``*/test_api.py``, ``*/test_admin.py``) sign in through this module
only, so that one test runs unchanged in either run (``tests/core_banking/conftest.py``):

================  ==============================================  ============================================
                  full settings (the back office installed)        engine settings (``tests/engine_settings.py``)
================  ==============================================  ============================================
roles             the back office's catalogue                      a group per role holding the role's engine
                  (``backoffice/staff/roles.py``, synced)           permissions: every ``*_ROLE_PERMISSIONS`` of
                                                                   ``core_banking/<app>/roles.py``
``staff_api``     a staff session past the second factor           ``force_login``: DRF's SessionAuthentication
``sign_in``       (``tests.helpers.sign_in_verified``), as the     and Django's own admin
                  staff sign in
``client_api``    an API client of the role with a bearer token    a non-staff user in the role's group,
                  (``backoffice.api_clients``)                     authenticated with DRF's ``force_authenticate``
                                                                   and an :class:`EngineCredential` carrying the
                                                                   scopes (``HasScope`` reads ``request.auth``),
                                                                   over a session of the user (the audit
                                                                   trail's actor)
================  ==============================================  ============================================

Either way the client answers ``api.user`` (the user the requests run as: a token's user is its API
client's), reloaded on every request in the engine run as a token's is, so a permission granted or a
group left between two requests counts at once. What only the back office has — a partner client's
isolation, a token's own behaviour (401 with a Bearer challenge, expiry, its owner), the second
factor, approvals, tariffs and limits — is not imitated: a test of it is marked ``backoffice``.

``tests/core_banking/ledger/interfaces.py`` re-exports these helpers (with :func:`token_api`, the
real token, which the back office's own tests use).
"""

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


def engine_only() -> bool:
    """True in the engine-only run (``--ds=tests.engine_settings``)."""
    return not back_office_installed()


# --- roles ---------------------------------------------------------------------------------


def engine_role_permissions() -> dict[str, list[str]]:
    """Each role's share of the engine: every ``*_ROLE_PERMISSIONS`` mapping of the installed
    ``core_banking.<app>.roles`` modules, merged (what ``backoffice/staff/roles.py`` merges too)."""
    merged: dict[str, list[str]] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("core_banking."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.roles")
        except ModuleNotFoundError:
            continue
        for name, mapping in vars(module).items():
            if name.endswith("_ROLE_PERMISSIONS"):
                for role, perms in mapping.items():
                    merged.setdefault(role, []).extend(perms)
    return merged


def ensure_roles() -> None:
    """The role groups with their permissions (a flushed test database loses them): the back office's
    whole catalogue, or in the engine run each role's share of the engine."""
    if back_office_installed():
        from backoffice.staff.roles import sync_role_groups

        sync_role_groups()
        return
    wanted = {role: {tuple(perm.split(".")) for perm in perms} for role, perms in engine_role_permissions().items()}
    labels = {app_label for pairs in wanted.values() for app_label, _ in pairs}
    existing = {(app_label, codename): pk for pk, app_label, codename in Permission.objects.filter(
        content_type__app_label__in=labels).values_list("pk", "content_type__app_label", "codename")}
    for role, pairs in wanted.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*(existing[pair] for pair in pairs if pair in existing))


def _role_group(role: str) -> Group:
    """The engine run's group of ``role``, with the role's engine permissions: under the full settings
    ``migrate`` fills the role groups (the back office's sync), so a test may use a role without
    :func:`ensure_roles`; in the engine run the first use of a role does it."""
    group, created = Group.objects.get_or_create(name=role)
    if created or not group.permissions.exists():
        ensure_roles()
    return group


def staff_user(role: str | None = None, *, username: str | None = None, superuser: bool = False):
    """A staff member (``is_staff``) in the group of ``role`` (none: no role), or a superuser."""
    user_model = get_user_model()
    username = username or f"{role or 'staff'}-{next(_numbers)}"
    if superuser:
        user = user_model.objects.create_superuser(username, f"{username}@example.com", "a-long-enough-password")
    else:
        user = user_model.objects.create_user(username, f"{username}@example.com", "a-long-enough-password",
                                              is_staff=True)
    if role and back_office_installed():
        from backoffice.staff.roles import assign_role

        assign_role(user, role)
    elif role:
        user.groups.add(_role_group(role))
    return user


def grant(user, *perms: str) -> None:
    """Give ``user`` these permissions of its own (``"app_label.codename"``)."""
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


# --- staff: sessions -----------------------------------------------------------------------


def sign_in(client, user):
    """Sign ``user`` in on a Django or DRF test client, as staff sign in to the admin and the API:
    past the second factor under the full settings, a plain session in the engine run."""
    if back_office_installed():
        return sign_in_verified(client, user)
    client.force_login(user)
    return client


def staff_api(user) -> APIClient:
    """An API client signed in as ``user`` with a session (see :func:`sign_in`)."""
    api = sign_in(APIClient(), user)
    api.user = user
    return api


# --- API clients: tokens -------------------------------------------------------------------


class EngineCredential:
    """What ``request.auth`` is in the engine run for a client of :func:`client_api`: the scopes
    its token would carry (``core_banking.common.api.permissions.HasScope`` duck-types them)."""

    def __init__(self, scopes):
        self.scopes = list(scopes)

    def __repr__(self) -> str:
        return f"EngineCredential(scopes={self.scopes!r})"


class _EngineClientAPI(APIClient):
    """DRF's forced authentication with the user reloaded for each request, as a token's user is,
    over a session of that user: the engine's request context (the audit trail's actor, the
    ``http.request`` event written with a change) knows the caller from the start of the request,
    as it does when the back office's token authentication reports it (``audit.context.set_actor``)."""

    def __init__(self, user, credential: EngineCredential):
        super().__init__()
        self.user = user
        self.force_login(user)
        self.force_authenticate(user=user, token=credential)

    def request(self, **kwargs):
        self.handler._force_user = get_user_model().objects.get(pk=self.user.pk)
        return super().request(**kwargs)


def client_api(*, role: str = "api_client", scopes=("ledger",), kind: str = "bank_channel",
               name: str | None = None, owner=None) -> APIClient:
    """A machine client of ``role`` allowed ``scopes``: an API client token under the full settings
    (a bank channel by default: it sees every customer the fixtures make), the engine's stand-in
    for one in the engine run. ``kind="partner"`` (a client that sees only its own creations) is
    the back office's client isolation: there it is refused, as is ``owner``."""
    if back_office_installed():
        return token_api(role=role, scopes=scopes, name=name, kind=kind, owner=owner)
    if kind != "bank_channel" or owner is not None:
        raise RuntimeError("a partner client or a client's owner needs the back office: mark the test backoffice")
    username = name or f"client-{role.replace('_', '-')}-{next(_numbers)}"
    user = get_user_model().objects.create_user(username, f"{username}@example.com", is_staff=False)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.groups.add(_role_group(role))
    return _EngineClientAPI(user, EngineCredential(scopes))


def token_api(*, role: str = "api_client", scopes=("ledger",), name: str | None = None,
              kind: str = "bank_channel", owner=None) -> APIClient:
    """A real API client token (``backoffice.api_clients``; the back office only). A bank channel by
    default (it sees every customer the tests' fixtures make through the services);
    ``kind="partner"`` for one that sees only its own creations."""
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
    api.user = client.user
    return api


# --- the back office's traces --------------------------------------------------------------


def no_approval_requests() -> bool:
    """No approval request exists (``backoffice.approvals``). In the engine run there are none to
    find: the maker-checker seam is at its default (``DIRECT``) and executes every sensitive action
    at once. A test that says so is marked ``both``, so that the full run checks it for real."""
    if not back_office_installed():
        return True
    from backoffice.approvals.models import ApprovalRequest

    return not ApprovalRequest.objects.exists()


# --- answers -------------------------------------------------------------------------------


def assert_problem(response, *, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    return body
