"""Demo tariffs for ``manage.py seed_demo``: a STANDARD and a PREMIUM plan in EUR with a rule for
every fee event, through the services (validated and audited).

Idempotent: a plan is looked up by code and created only when missing; its first version (and
its rules) only when the plan has no version yet. A plan someone has since changed is left as it
is. Products choose a plan with their ``tariff_plan_code`` (``STANDARD`` or ``PREMIUM``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from core_banking.common.maker_checker import system_execution
from core_banking.payments.models import Channel, FeeEvent

from . import services
from .models import Period, TariffPlan, TariffVersion

EFFECTIVE_FROM = dt.date(2025, 1, 1)
D = Decimal


def _rule(event: str, *, channel: str = "", fixed: str = "0", percentage: str = "0", min_fee: str = "0",
          max_fee: str | None = None, free: int = 0, period: str = Period.MONTH, description: str = "",
          tiers: tuple[tuple[str, str, str], ...] = ()) -> dict[str, Any]:
    return {
        "event": event, "channel": channel, "currency": "EUR", "fixed_amount": D(fixed), "percentage": D(percentage),
        "min_fee": D(min_fee), "max_fee": D(max_fee) if max_fee is not None else None,
        "free_allowance_count": free, "allowance_period": period, "description": description,
        "tiers": [{"from_volume": D(start), "percentage": D(rate), "fixed_amount": D(fixed_amount)}
                  for start, rate, fixed_amount in tiers],
    }


PLANS: dict[str, dict[str, Any]] = {
    "STANDARD": {
        "name": "Standard",
        "description": "Everyday current account: pay per use, a few free transactions each month.",
        "rules": [
            _rule(FeeEvent.INTERNAL_TRANSFER, fixed="0.10", free=20, description="Transfer between accounts"),
            _rule(FeeEvent.OUTGOING_PAYMENT, fixed="0.35", free=5, description="SEPA credit transfer"),
            _rule(FeeEvent.OUTGOING_PAYMENT, channel=Channel.BRANCH, fixed="5.00",
                  description="Payment order at a branch"),
            _rule(FeeEvent.INCOMING_PAYMENT, fixed="0.15", free=25, description="Incoming payment"),
            _rule(FeeEvent.FX_CONVERSION, percentage="0.005", min_fee="1.00", max_fee="50.00",
                  description="Currency conversion", tiers=(("10000", "0.003", "0"), ("50000", "0.0015", "0"))),
            _rule(FeeEvent.CASH_DEPOSIT, fixed="2.00", percentage="0.001", max_fee="25.00",
                  description="Cash deposit"),
            _rule(FeeEvent.CASH_WITHDRAWAL, fixed="2.50", free=3, description="Cash withdrawal"),
            _rule(FeeEvent.MONTHLY_MAINTENANCE, fixed="4.50", description="Monthly account fee"),
        ],
    },
    "PREMIUM": {
        "name": "Premium",
        "description": "Packaged account: higher monthly fee, generous allowances, cheaper conversions.",
        "rules": [
            _rule(FeeEvent.INTERNAL_TRANSFER, fixed="0.05", free=100, description="Transfer between accounts"),
            _rule(FeeEvent.OUTGOING_PAYMENT, fixed="0.15", free=50, description="SEPA credit transfer"),
            _rule(FeeEvent.OUTGOING_PAYMENT, channel=Channel.BRANCH, fixed="2.50",
                  description="Payment order at a branch"),
            _rule(FeeEvent.INCOMING_PAYMENT, fixed="0.10", free=100, description="Incoming payment"),
            _rule(FeeEvent.FX_CONVERSION, percentage="0.0025", min_fee="0.50", max_fee="25.00",
                  description="Currency conversion", tiers=(("25000", "0.0015", "0"), ("100000", "0.001", "0"))),
            _rule(FeeEvent.CASH_DEPOSIT, fixed="1.00", percentage="0.0005", max_fee="15.00",
                  description="Cash deposit"),
            _rule(FeeEvent.CASH_WITHDRAWAL, fixed="1.50", free=2, period=Period.DAY,
                  description="Cash withdrawal (2 free a day)"),
            _rule(FeeEvent.MONTHLY_MAINTENANCE, fixed="12.50", description="Monthly account fee"),
        ],
    },
}


@transaction.atomic
def load_demo(*, stdout=None) -> list[TariffPlan]:
    """Create the demo plans where missing; returns them."""
    plans = []
    for code, spec in PLANS.items():
        plan = TariffPlan.objects.filter(code=code).first()
        if plan is None:
            plan = services.plan_create(code=code, name=spec["name"], description=spec["description"])
        if not TariffVersion.objects.filter(plan=plan).exists():
            with system_execution():  # the demo's starting configuration, not a staff change
                services.version_create(plan_id=plan.pk, effective_from=EFFECTIVE_FROM, rules=spec["rules"],
                                        note="Demo tariff")
            if stdout is not None:
                stdout.write(f"Tariff plan {code}: {len(spec['rules'])} fee rules from {EFFECTIVE_FROM.isoformat()}")
        plans.append(plan)
    return plans
