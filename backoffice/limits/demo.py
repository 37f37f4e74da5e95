"""Demo limit profiles for ``manage.py seed_demo``: RETAIL and BUSINESS, in EUR, through the
services (validated and audited).

Idempotent: a profile is looked up by code and created only when missing, and a rule only when
the profile has none for its channel; a profile or rule someone has since changed is left as it
is. Products choose a profile with their ``limit_profile_code`` (``RETAIL`` or ``BUSINESS``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from core_banking.common.maker_checker import system_execution
from core_banking.payments.models import Channel

from . import services
from .models import LimitProfile, LimitRule

D = Decimal


def _rule(*, channel: str = "", single: str | None = None, daily: str | None = None, daily_count: int | None = None,
          monthly: str | None = None, monthly_count: int | None = None, note: str = "") -> dict[str, Any]:
    return {
        "channel": channel, "currency": "EUR", "note": note,
        "max_single_amount": D(single) if single else None, "daily_amount": D(daily) if daily else None,
        "daily_count": daily_count, "monthly_amount": D(monthly) if monthly else None,
        "monthly_count": monthly_count,
    }


PROFILES: dict[str, dict[str, Any]] = {
    "RETAIL": {
        "name": "Retail customers",
        "description": "Personal current and savings accounts.",
        "rules": [
            _rule(single="10000.00", daily="15000.00", daily_count=50, monthly="50000.00", monthly_count=500,
                  note="All channels together"),
            _rule(channel=Channel.MOBILE, single="2500.00", daily="5000.00", daily_count=30,
                  note="Mobile app: lower limits for a lost or stolen phone"),
            _rule(channel=Channel.BRANCH, single="5000.00", daily="5000.00", daily_count=5,
                  note="Branch: cash withdrawals and payment orders at the counter"),
        ],
    },
    "BUSINESS": {
        "name": "Business customers",
        "description": "Business current accounts: higher limits, bulk files.",
        "rules": [
            _rule(single="250000.00", daily="500000.00", daily_count=1000, monthly="5000000.00",
                  monthly_count=20000, note="All channels together"),
            _rule(channel=Channel.INTERNET, single="100000.00", daily="250000.00",
                  note="Internet banking: one signature"),
            _rule(channel=Channel.BRANCH, single="20000.00", daily="20000.00", daily_count=10,
                  note="Branch: cash withdrawals"),
        ],
    },
}


@transaction.atomic
def load_demo(*, stdout=None) -> None:
    created_profiles = created_rules = 0
    for code, spec in PROFILES.items():
        profile = LimitProfile.objects.filter(code=code).first()
        if profile is None:
            profile = services.profile_create(code=code, name=spec["name"], description=spec["description"])
            created_profiles += 1
        for rule in spec["rules"]:
            if not LimitRule.objects.filter(profile=profile, channel=rule["channel"]).exists():
                with system_execution():  # the demo's starting configuration, not a staff change
                    services.rule_create(profile_code=code, **rule)
                created_rules += 1
    if stdout is not None:
        stdout.write(f"Limit profiles: {created_profiles} created, {created_rules} rule(s) created "
                     f"({', '.join(PROFILES)}).")
