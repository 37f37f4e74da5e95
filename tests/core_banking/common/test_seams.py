"""The engine's seams: declared once, resolved through one cached loader that follows
``override_settings`` and names the setting when a path does not import."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from core_banking.common import maker_checker, seams, visibility


def no_scope(user):
    return None


class Check:
    def check(self, intent):
        return None


CHECK = Check()


@pytest.mark.parametrize("name", sorted(seams.SEAMS))
def test_every_declared_seam_resolves_under_the_project_settings(name):
    declared = seams.SEAMS[name]
    if declared.many:
        assert all(plugged is not None for plugged in seams.seam_all(name))
    elif declared.default is not None:
        assert seams.seam(name) is not None
    else:
        seams.seam(name)  # imports (or is unset)
    assert declared.protocol


def test_a_path_that_does_not_import_names_the_setting():
    with override_settings(CORE_BANKING_MAKER_CHECKER="core_banking.common.nowhere.GUARD"):
        with pytest.raises(ImproperlyConfigured, match="CORE_BANKING_MAKER_CHECKER: cannot import "
                                                       "'core_banking.common.nowhere.GUARD'"):
            maker_checker.guard()
    with override_settings(CORE_BANKING_PAYMENT_CHECKS=["tests.core_banking.common.test_seams.MISSING"]):
        with pytest.raises(ImproperlyConfigured, match="CORE_BANKING_PAYMENT_CHECKS"):
            seams.seam_all("CORE_BANKING_PAYMENT_CHECKS")


def test_the_cache_follows_override_settings():
    with override_settings(CORE_BANKING_MAKER_CHECKER="core_banking.common.maker_checker.DIRECT"):
        assert maker_checker.guard() is maker_checker.DIRECT
        assert maker_checker.guard() is maker_checker.DIRECT  # cached
        with override_settings(CORE_BANKING_MAKER_CHECKER="tests.core_banking.common.test_seams.CHECK"):
            assert maker_checker.guard() is CHECK
        assert maker_checker.guard() is maker_checker.DIRECT
    with override_settings(CORE_BANKING_CLIENT_SCOPE="tests.core_banking.common.test_seams.no_scope"):
        assert seams.seam(visibility.SETTING) is no_scope
    with override_settings(CORE_BANKING_CLIENT_SCOPE=None):
        assert seams.seam(visibility.SETTING) is None


def test_a_path_may_name_a_module_or_an_object():
    with override_settings(CORE_BANKING_PAYMENT_CHECKS=["tests.core_banking.common.test_seams",
                                                        "tests.core_banking.common.test_seams.CHECK"]):
        module, check = seams.seam_all("CORE_BANKING_PAYMENT_CHECKS")
    assert module.CHECK is check


def test_a_list_seam_is_not_a_string_and_one_seam_is_not_a_list():
    with override_settings(CORE_BANKING_PAYMENT_CHECKS="tests.core_banking.common.test_seams.CHECK"):
        with pytest.raises(ImproperlyConfigured, match="must be a list"):
            seams.seam_all("CORE_BANKING_PAYMENT_CHECKS")
    with pytest.raises(ImproperlyConfigured, match="use seam_all"):
        seams.seam("CORE_BANKING_PAYMENT_CHECKS")
    with pytest.raises(ImproperlyConfigured, match="not a declared seam"):
        seams.seam("CORE_BANKING_NOTHING")
