"""Helpers for interface tests (REST API and admin): people with roles, signed in the way the back
office signs them in, and API clients with bearer tokens.

They live in ``tests/core_banking/api_auth.py``, the one layer that signs in as a role in both runs
of ``make test`` (the full settings: tokens and staff sessions past the second factor; the engine
settings: groups holding the roles' engine permissions, plain sessions and DRF's forced
authentication). This module keeps the names the suite imports; :func:`token_api` is always a real
token, for the back office's own tests (and the engine's tests marked ``backoffice``)."""

from tests.core_banking.api_auth import (  # noqa: F401 (re-exported)
    PROBLEM,
    assert_problem,
    client_api,
    engine_only,
    ensure_roles,
    grant,
    sign_in,
    staff_api,
    staff_user,
    token_api,
)
