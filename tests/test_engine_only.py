"""The engine runs without the back office (issue 20). ``make test`` runs ``tests/core_banking``
under ``tests/engine_settings.py`` before the rest of the suite (README, "Tests and benchmarks");
these tests prove that that settings module really has no back office, compliance or
reconciliation in it, that importing one of their modules there fails, and that ``make test``
keeps running the engine's tests that way."""

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


def test_make_test_runs_the_engine_tests_engine_only_and_the_rest_without_them():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ntest: install\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"pytest --ds=tests\.engine_settings tests/core_banking\b", recipe), recipe
    assert re.search(r"""pytest -m "not engine\"""", recipe), recipe
