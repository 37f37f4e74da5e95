"""The KYC review's settings, read here and nowhere else (each one is in the README's settings
table). Every reader is a function, so ``override_settings`` in tests keeps working.

==============================  ======================================  =====================================
Setting                         Default                                 Meaning
==============================  ======================================  =====================================
``KYC_SCREENING_HOOK``          ``backoffice.kyc.screening              the screening seam (``screening.py``):
                                .no_screening``                         ``screen(subject) -> ScreeningResult``
``KYC_HIGH_RISK_COUNTRIES``     ``DEFAULT_HIGH_RISK_COUNTRIES``         ISO country codes scoring 40 points
``KYC_MEDIUM_RISK_COUNTRIES``   ``DEFAULT_MEDIUM_RISK_COUNTRIES``       ISO country codes scoring 15 points
``KYC_HIGH_RISK_ACTIVITIES``    ``DEFAULT_HIGH_RISK_ACTIVITIES``        occupation/industry keywords, 25 points
``KYC_MEDIUM_RISK_ACTIVITIES``  ``DEFAULT_MEDIUM_RISK_ACTIVITIES``      occupation/industry keywords, 10 points
``KYC_REVIEW_INTERVAL_YEARS``   ``{}`` (low 3, medium 2, high 1)        years to the next periodic review, per
                                                                        rating; merged over the defaults
==============================  ======================================  =====================================

Where identity documents are stored is ``STORAGES["kyc"]`` (``KYC_DOCUMENT_ROOT`` in the
environment), set in ``backoffice/settings/base.py``.
"""

from __future__ import annotations

from django.conf import settings

from core_banking.common.seams import Seam

SCREENING_HOOK = Seam(
    "KYC_SCREENING_HOOK",
    default="backoffice.kyc.screening.no_screening",
    protocol="""Sanctions / PEP / adverse-media screening (backoffice/kyc/screening.py):
    ``screen(subject: ScreeningSubject) -> ScreeningResult``.""",
)

DEFAULT_HIGH_RISK_COUNTRIES = ("AF", "IR", "KP", "MM", "RU", "SY", "YE")
DEFAULT_MEDIUM_RISK_COUNTRIES = ("AE", "HT", "NG", "PA", "PK", "TR", "VE", "ZA")
DEFAULT_HIGH_RISK_ACTIVITIES = ("gambling", "casino", "crypto", "money service", "money transfer", "arms",
                                "weapons", "precious metals")
DEFAULT_MEDIUM_RISK_ACTIVITIES = ("real estate", "jewel", "art dealer", "cash", "politic", "car dealer",
                                  "trust", "charity")


def high_risk_countries() -> tuple[str, ...]:
    return tuple(getattr(settings, "KYC_HIGH_RISK_COUNTRIES", DEFAULT_HIGH_RISK_COUNTRIES))


def medium_risk_countries() -> tuple[str, ...]:
    return tuple(getattr(settings, "KYC_MEDIUM_RISK_COUNTRIES", DEFAULT_MEDIUM_RISK_COUNTRIES))


def high_risk_activities() -> tuple[str, ...]:
    return tuple(getattr(settings, "KYC_HIGH_RISK_ACTIVITIES", DEFAULT_HIGH_RISK_ACTIVITIES))


def medium_risk_activities() -> tuple[str, ...]:
    return tuple(getattr(settings, "KYC_MEDIUM_RISK_ACTIVITIES", DEFAULT_MEDIUM_RISK_ACTIVITIES))


def review_interval_years_overrides() -> dict[str, int]:
    """``KYC_REVIEW_INTERVAL_YEARS``: years per rating that replace ``scoring.REVIEW_INTERVAL_YEARS``."""
    return dict(getattr(settings, "KYC_REVIEW_INTERVAL_YEARS", {}))
