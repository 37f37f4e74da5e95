"""The end-of-day step of reconciliation: auto-matching of every active external account.

Wire it with ``"reconciliation.eod.AUTOMATCH"`` in ``CORE_BANKING_EOD_STEPS``. The population is
the active external accounts (one per chunk: an account's run is one transaction under an
advisory lock); a re-run matches what is new and recomputes suggestions, so it is idempotent."""

from __future__ import annotations

import datetime as dt

from core_banking.eod.step import Step


def _population(business_date: dt.date):
    from .models import ExternalAccount

    return ExternalAccount.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)


def _run(business_date: dt.date, first_id: int, last_id: int) -> int:
    from . import matching
    from .models import ExternalAccount

    ids = ExternalAccount.objects.filter(is_active=True, pk__gte=first_id, pk__lte=last_id).values_list("pk", flat=True)
    for account_id in ids:
        matching.automatch(account_id)
    return len(ids)


AUTOMATCH = Step(name="reconciliation.automatch", label="Reconciliation: auto-match statement lines",
                 population=_population, run=_run, chunk_size=1)


def _break_age_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "RECONCILIATION_BREAK_AGE_DAYS", 5))


def _run_breaks(business_date: dt.date, first_id: int, last_id: int) -> int:
    from . import services
    from .models import ExternalAccount

    accounts = list(ExternalAccount.objects.filter(is_active=True, pk__gte=first_id, pk__lte=last_id))
    for account in accounts:
        services.breaks_detect(as_of=business_date, older_than_days=_break_age_days(), external_account=account)
    return len(accounts)


def _safeguarding_population(business_date: dt.date):
    from .models import ExternalAccount

    # One unit of work for the whole bank (a check per currency), present when there is anything to check.
    exists = ExternalAccount.objects.filter(is_active=True, purpose=ExternalAccount.Purpose.SAFEGUARDING).exists()
    return [1] if exists else []


def _run_safeguarding(business_date: dt.date, first_id: int, last_id: int) -> int:
    from . import services

    return len(services.safeguarding_check(date=business_date))


#: Unmatched lines and postings older than ``RECONCILIATION_BREAK_AGE_DAYS`` (default 5) become
#: breaks; run after AUTOMATCH. Idempotent (one break per line or posting).
BREAKS = Step(name="reconciliation.breaks", label="Reconciliation: open breaks for old unmatched items",
              population=_population, run=_run_breaks, chunk_size=1)
#: The daily safeguarding check per currency (replaced when re-run for the same date).
SAFEGUARDING = Step(name="reconciliation.safeguarding", label="Reconciliation: safeguarding check",
                    population=_safeguarding_population, run=_run_safeguarding, chunk_size=1)
