"""The engine's tests run without the back office (``tests/engine_settings.py``).

``make test`` runs this folder in two runs: first under the engine-only settings, where every test
not marked ``backoffice`` runs and the marked ones are deselected; then, with the rest of the suite
under the full settings, ``-m "not engine"`` leaves out what already ran and keeps the ``backoffice``
and ``both`` ones. Each test gets one of three markers here:

* ``engine`` (the default): runs in the engine-only run only.
* ``backoffice``: needs the back office installed, runs in the full run only. Mark a test (or a
  module, ``pytestmark``) so when it tests what only the back office has: a partner client's scopes
  and isolation (which customers a client sees), a token's own behaviour (the 401 with its Bearer
  challenge, its owner, its kind), the staff's second factor, approvals (202 and a checker),
  tariffs and limits, the staff admin's own pages. Such a module imports the back office inside
  those tests, never at its top; a module that is an integration test through and through is listed
  in ``BACKOFFICE_MODULES`` instead (it is not even imported by the engine-only run, and every test of
  it counts as marked).
* ``both``: runs in both runs. For the few tests whose every assertion holds without the back office
  but which also check the served configuration: the token path (a client's role permissions and
  scopes through a real token, the queries a token's request costs), or that no approval request
  was left behind (``no_approval_requests()``, true by definition in the engine run).

The engine's API and admin tests sign in through ``tests/core_banking/api_auth.py``: under the full
settings with API client tokens and staff sessions past the second factor, as the project serves
them; in the engine run with groups holding each role's engine permissions
(``core_banking/<app>/roles.py``), plain sessions and DRF's forced authentication. How the token path
stays covered once most of them run in the engine run only (``docs/testing.md``, "The engine's tests
without the back office"): ``tests/authz`` calls every route with every role's token and every admin
page with every staff role's session (the full run); the ``backoffice`` tests above; and the ``both``
tests, a few per API module.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

from tests.helpers import back_office_installed

HERE = Path(__file__).parent

#: Modules (relative to this folder, fnmatch patterns) that test the engine together with the
#: back office, every test of them.
BACKOFFICE_MODULES: tuple[str, ...] = (
    "audit/test_auth_events.py",  # the staff sign-in pages
    "common/test_openapi_snapshot.py",  # the whole project's OpenAPI document
    "common/test_strict_input.py",  # every write route of the project, back office and compliance included
    "eod/test_pipeline.py",  # a month of end-of-day runs with the tariffs' periodic fees and staff roles
    "eod/test_worker.py",  # the project's Celery worker processes
    "payments/test_end_to_end.py",  # payments priced by the tariffs and counted by the limits
)


def _backoffice_module(path) -> bool:
    path = Path(path)
    if HERE not in path.parents:
        return False
    relative = path.relative_to(HERE).as_posix()
    return any(fnmatch(relative, pattern) for pattern in BACKOFFICE_MODULES)


def pytest_ignore_collect(collection_path, config):
    if not back_office_installed() and _backoffice_module(collection_path):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    deselected, kept = [], []
    for item in items:
        if HERE not in Path(item.fspath).parents:
            kept.append(item)
            continue
        if _backoffice_module(item.fspath):
            item.add_marker(pytest.mark.backoffice)
        backoffice = item.get_closest_marker("backoffice") is not None
        both = item.get_closest_marker("both") is not None
        if backoffice and both:
            raise pytest.UsageError(f"{item.nodeid}: marked both backoffice and both; a test is one or the other")
        if backoffice and not back_office_installed():
            deselected.append(item)
            continue
        if not backoffice and not both:
            item.add_marker(pytest.mark.engine)
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
