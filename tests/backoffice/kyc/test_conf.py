"""The KYC settings are read in one place, with their defaults; the screening hook is a seam."""

from django.test import override_settings

from backoffice.kyc import conf, scoring, screening
from core_banking.common.seams import seam


def test_the_screening_hook_resolves_under_the_project_settings():
    from compliance.screening import hook

    assert seam(conf.SCREENING_HOOK) is hook.screen  # the compliance app's screening
    assert screening.screening_hook() is hook.screen


def test_defaults_and_overrides():
    assert conf.high_risk_countries() == conf.DEFAULT_HIGH_RISK_COUNTRIES
    assert conf.review_interval_years_overrides() == {}
    with override_settings(KYC_HIGH_RISK_COUNTRIES=["NL"], KYC_MEDIUM_RISK_ACTIVITIES=["bakery"],
                           KYC_REVIEW_INTERVAL_YEARS={"low": 5}):
        assert scoring.country_level("nl") == "high"
        assert scoring.activity_level("Bakery owner") == "medium"
        assert scoring.review_interval_years("low") == 5 and scoring.review_interval_years("high") == 1
    assert scoring.country_level("NL") == "low"
