"""The engine's tests run without the back office (``tests/engine_settings.py``).

``make test`` runs this folder twice over, without running a test twice: first under the engine-only
settings, where every test not marked ``backoffice`` runs and the marked ones are deselected; then,
with the rest of the suite under the full settings, ``-m "not engine"`` leaves out what already ran
and keeps the ``backoffice`` ones. Mark a test (or a module, ``pytestmark``) ``backoffice`` when it
needs the back office installed: roles, API client tokens, the staff admin, approvals, tariffs,
limits. A module with such tests imports the back office inside them, never at the top; a module
that is an integration test through and through is listed in ``BACKOFFICE_MODULES`` instead (it is
not even imported by the engine-only run, and every test of it counts as marked)."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

from tests.helpers import back_office_installed

HERE = Path(__file__).parent

#: Modules (relative to this folder, fnmatch patterns) that test the engine together with the
#: back office. The engine's routes and admin pages are tested as the project serves them: API
#: client tokens, staff sessions with the second factor, the back office's role catalogue.
BACKOFFICE_MODULES: tuple[str, ...] = (
    "*/test_api.py",
    "*/test_admin.py",
    "audit/test_auth_events.py",  # the staff sign-in pages
    "common/test_api_guard.py",  # the API's front door, through tokens and staff sessions
    "common/test_openapi_snapshot.py",  # the whole project's OpenAPI document
    "common/test_strict_input.py",  # every write route of the project, back office and compliance included
    "customers/test_pii_and_compliance_access.py",  # what each staff role sees of a customer
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
        if item.get_closest_marker("backoffice") is None:
            item.add_marker(pytest.mark.engine)
        elif not back_office_installed():
            deselected.append(item)
            continue
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
