"""The API authorization matrix (issue 16, "Tests"): every route under /api/, every method its view
implements, every role, as a staff session and as a token, against ``table.API_ROUTES``; and each
row's scope against the view's ``required_scopes``.

The probes name ids nobody has and send empty bodies, so an allowed request answers 404, 400 or
similar and writes nothing; each row checks that no journal entry, payment, approval request or
API client appeared."""

from __future__ import annotations

import pytest

from backoffice.api_clients.models import ApiClient, ApiToken
from backoffice.approvals.models import ApprovalRequest
from backoffice.staff.roles import API_CLIENT, ROLE_NAMES
from core_banking.ledger.models import Hold, JournalEntry
from core_banking.payments.models import Payment

from .probe import ALLOWED, REFUSED, api_route_methods, problem_code, send, verdict
from .table import ALL, API_ROUTES

pytestmark = pytest.mark.django_db


def _param(key):
    route, method = key
    row = API_ROUTES[key]
    marks = [pytest.mark.xfail(strict=True, reason=row.xfail)] if row.xfail else []
    return pytest.param(key, id=f"{method} /{route}", marks=marks)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (JournalEntry, Hold, Payment, ApprovalRequest, ApiClient, ApiToken)}


def _describe(response) -> str:
    return f"{response.status_code} {problem_code(response) or response.get('Content-Type', '')}"


def test_every_api_route_has_a_row():
    found = set(api_route_methods())
    missing = sorted(found - set(API_ROUTES))
    stale = sorted(set(API_ROUTES) - found)
    assert not missing, "routes without a row in tests/authz/table.py API_ROUTES: " + ", ".join(
        f"{method} /{route}" for route, method in missing)
    assert not stale, "rows of API_ROUTES with no such route or method: " + ", ".join(
        f"{method} /{route}" for route, method in stale)


def test_every_role_is_in_the_catalogue():
    named = set().union(*(row.roles for row in API_ROUTES.values() if row.roles != ALL))
    assert named <= set(ROLE_NAMES), named - set(ROLE_NAMES)


@pytest.mark.parametrize("key", [_param(key) for key in API_ROUTES])
def test_the_door(key, people, tokens):
    route = api_route_methods().get(key)
    if route is None:
        pytest.fail(f"no route {key}: see test_every_api_route_has_a_row")
    _, method = key
    row = API_ROUTES[key]
    before = _counts()
    wrong: list[str] = []
    scopes = (row.scope,) if row.scope else ()
    if route.scopes != scopes:
        wrong.append(f"the view requires the scope(s) {route.scopes}, the table says {scopes}")

    def check(who: str, api, url: str, expected: str) -> None:
        response = send(api, method, url)
        got = verdict(response)
        if got != expected:
            wrong.append(f"{who}: {_describe(response)} ({got}), table says {expected}")

    for url in route.urls():
        for role in ROLE_NAMES:
            expected = ALLOWED if row.roles == ALL or role in row.roles else REFUSED
            if role != API_CLIENT:  # a machine-only role: no person signs in with it
                check(f"{method} {url} {role} session", people.sessions[role], url, expected)
            check(f"{method} {url} {role} token", tokens.full[role], url, expected)
            for scope in sorted({*scopes, *route.scopes}):
                check(f"{method} {url} {role} token without {scope!r}", tokens.lacking[role][scope], url, REFUSED)
        response = send(people.anonymous, method, url)
        if row.roles == ALL:
            if response.status_code != 200:
                wrong.append(f"{method} {url} anonymous: {_describe(response)}, a public page should answer 200")
        elif (response.status_code, problem_code(response)) != (401, "not_authenticated"):
            wrong.append(f"{method} {url} anonymous: {_describe(response)}, expected 401 not_authenticated")

    note = f"\n(flagged row: {row.flag})" if row.flag else ""
    assert not wrong, "\n".join(wrong) + note
    assert _counts() == before, "the probes wrote something"
