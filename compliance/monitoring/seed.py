"""Default monitoring rules (base currency amounts), created through the services under
``system_execution`` (engine set-up, no approval), each only when its code does not exist yet:
idempotent, and a rule someone has since changed is left as it is.

``seed()`` is the demo-data loader (``compliance.monitoring.demo.load_demo``) and what a new
installation runs once (``manage.py shell -c "from compliance.monitoring.seed import seed; seed()"``).
Not a data migration: rules switched on by a migration would change every payment of every
database (tests and other apps' fixtures included) the moment the check is plugged in.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core_banking.common.maker_checker import system_execution

from . import services
from .models import MonitoringRule

DEFAULT_RULES: list[dict[str, Any]] = [
    {"code": "TM-LARGE", "kind": "large_amount", "name": "Large single payment",
     "version": {"parameters": {"threshold": "15000"}, "score": 40, "action": "alert"}},
    {"code": "TM-LARGE-HOLD", "kind": "large_amount", "name": "Very large single payment",
     "version": {"parameters": {"threshold": "100000"}, "score": 70, "action": "hold"}},
    {"code": "TM-CASH-DAY", "kind": "cash_threshold", "name": "Cash of 10,000 or more in a business day",
     "version": {"parameters": {"threshold": "10000"}, "score": 60, "action": "alert"}},
    {"code": "TM-STRUCTURING", "kind": "structuring", "name": "Cash just under 10,000, repeatedly",
     "version": {"parameters": {"threshold": "10000", "margin": "0.1", "count": 3, "window_days": 7,
                                "cash_only": True}, "score": 75, "action": "hold"}},
    {"code": "TM-VELOCITY-24H", "kind": "velocity", "name": "Many outgoing payments in 24 hours",
     "version": {"parameters": {"metric": "count", "limit": 30, "window_hours": 24, "direction": "out"},
                 "score": 35, "action": "alert"}},
    {"code": "TM-NEW-CPTY", "kind": "new_counterparty_large", "name": "Large payment to a new beneficiary",
     "version": {"parameters": {"threshold": "10000"}, "score": 50, "action": "alert"}},
    {"code": "TM-HRC-BLOCK", "kind": "high_risk_country", "name": "Counterparty in a country under a call for action",
     "version": {"parameters": {"countries": ["IR", "KP"]}, "score": 95, "action": "reject"}},
    {"code": "TM-HRC", "kind": "high_risk_country", "name": "Counterparty in a high-risk country",
     "version": {"parameters": {"countries": ["MM", "SY", "YE", "AF"]}, "score": 70, "action": "hold"}},
    {"code": "TM-DORMANT", "kind": "dormant_reactivation", "name": "Dormant account moved by a large amount",
     "version": {"parameters": {"idle_days": 365, "threshold": "5000"}, "score": 65, "action": "hold"}},
    {"code": "TM-RAPID", "kind": "rapid_in_out", "name": "Money in, money out within 48 hours",
     "version": {"parameters": {"pct": "80", "window_hours": 48, "min_incoming": "5000"}, "score": 65,
                 "action": "alert"}},
]


@transaction.atomic
def seed(stdout=None) -> int:
    """Create the default rules that are missing; returns how many were created."""
    created = 0
    existing = set(MonitoringRule.objects.values_list("code", flat=True))
    with system_execution():
        for spec in DEFAULT_RULES:
            if spec["code"] in existing:
                continue
            services.rule_create(code=spec["code"], kind=spec["kind"], name=spec["name"], is_active=True,
                                 reason="default rule", note="default rule", **spec["version"])
            created += 1
    if stdout is not None:
        stdout.write(f"monitoring rules: {created} created, {len(existing)} already there\n")
    return created
