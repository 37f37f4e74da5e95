"""The engine runs without the back office (issue 20). ``make test`` runs ``tests/core_banking``
under ``tests/engine_settings.py`` before the rest of the suite (README, "Tests and benchmarks");
these tests prove that that settings module really has no back office, compliance or
reconciliation in it, that importing one of their modules there fails, and that ``make test``
keeps running the engine's tests that way: the engine's own API and admin tests included, with the
engine's share of each role kept in the engine (``core_banking/<app>/roles.py``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import re
import django
django.setup()
from django.apps import apps
from django.conf import settings
import core_banking.urls, core_banking.payments.services, core_banking.loans.admin
# The role names and every engine app's permissions per role, and the tests' sign-in layer.
import core_banking.common.roles
from tests.core_banking.api_auth import engine_role_permissions
shares = engine_role_permissions()
assert set(shares) == set(core_banking.common.roles.ROLE_NAMES), shares
assert {perm.split('.')[0] for perms in shares.values() for perm in perms} >= {
    'ledger', 'customers', 'accounts', 'payments', 'audit', 'deposits', 'loans', 'interest', 'eod', 'events',
    'settlement'}
installed = [config.name for config in apps.get_app_configs()]
not_engine = ('backoffice', 'compliance', 'reconciliation')
assert not [name for name in installed if name.split('.')[0] in not_engine], installed
assert {'core_banking.ledger', 'core_banking.payments', 'core_banking.loans'} <= set(installed), installed
assert 'django.contrib.admin' in installed
assert not [m for m in settings.MIDDLEWARE if m.startswith('backoffice.')]
assert settings.APPROVAL_ACTION_MODULES == [] and not hasattr(settings, 'CORE_BANKING_FEE_POLICY')
# No setting names a module of theirs (a dotted path in any list, dict or string).
named = re.compile(r"^(backoffice\.(?!settings\b|celery\b)|compliance\.|reconciliation\b)")
def walk(value, where):
    if type(value) is str:
        assert not named.match(value), (where, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            walk(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple, set)):
        for index, item in enumerate(value):
            walk(item, f"{where}[{index}]")
for name in dir(settings):
    if name.isupper():
        walk(getattr(settings, name), name)
for module in ('backoffice.staff.roles', 'backoffice.api_clients.models', 'compliance.cases.models',
               'reconciliation.models'):
    try:
        __import__(module)
    except ImportError as error:
        assert type(error).__name__ == 'NotInstalled', (module, error)
    else:
        raise AssertionError(module + ' imported')
print('engine only')
"""


def test_the_engine_settings_install_no_back_office_and_refuse_to_import_it():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.engine_settings"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("engine only")


def test_the_engine_s_share_of_each_role_is_kept_in_the_engine():
    """The back office's catalogue holds exactly the engine apps' mappings for the engine's apps: no
    engine permission is granted in ``backoffice/staff/roles.py`` itself (the engine-only run would
    not know it), and each engine app's mapping names every role and only its own app's permissions."""
    import importlib

    from django.apps import apps

    from backoffice.staff.roles import ROLE_NAMES, ROLE_PERMISSIONS
    from tests.core_banking.api_auth import engine_role_permissions

    engine_labels = {config.label for config in apps.get_app_configs() if config.name.startswith("core_banking.")}
    shares = engine_role_permissions()
    for role in ROLE_NAMES:
        served = sorted(perm for perm in ROLE_PERMISSIONS[role] if perm.split(".")[0] in engine_labels)
        assert served == sorted(shares[role]), role
    for config in apps.get_app_configs():
        if not config.name.startswith("core_banking."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.roles")
        except ModuleNotFoundError:
            continue
        for name, mapping in vars(module).items():
            if name.endswith("_ROLE_PERMISSIONS"):
                assert set(mapping) == set(ROLE_NAMES), (name, set(mapping) ^ set(ROLE_NAMES))
                labels = {perm.split(".")[0] for perms in mapping.values() for perm in perms}
                assert labels <= {config.label}, (name, labels)


def test_the_engine_s_api_and_admin_tests_run_in_the_engine_only_run():
    """No module glob sends the engine's API or admin tests to the full run as a whole: the tests of
    them that need the back office are marked one by one (``tests/core_banking/conftest.py``)."""
    from tests.core_banking import conftest

    interfaces = sorted(path for pattern in ("*/test_api.py", "*/test_admin.py")
                        for path in (ROOT / "tests" / "core_banking").glob(pattern))
    assert len(interfaces) >= 17, interfaces
    for path in interfaces:
        assert not conftest._backoffice_module(path), path
    assert not any("test_api" in pattern or "test_admin" in pattern for pattern in conftest.BACKOFFICE_MODULES)


def test_make_test_runs_the_engine_tests_engine_only_and_the_rest_without_them():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest: install\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"pytest --ds=tests\.engine_settings tests/core_banking\b", recipe), recipe
    assert re.search(r"""pytest -m "not engine\"""", recipe), recipe
