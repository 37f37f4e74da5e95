"""The loans' end-of-day steps, called by the EOD framework (``core_banking.eod``) per business
date and chunk of loan ids (``first_id <= id <= last_id``). Every function is safe to run twice.

* ``accrue_population(D)`` / ``accrue(D, first_id, last_id)``: daily interest on the principal
  outstanding, for every calendar day not accrued yet up to and including ``D`` (weekends and
  holidays have no end of day of their own; the next one catches them up). One INSERT ... SELECT
  for the chunk (``accrual.accrue_range``) and one ledger entry per currency. A disbursed loan
  becomes active with its first accrual.
* ``due_population(D)`` / ``process_due(D, first_id, last_id)``: instalments due on or before
  ``D`` and unpaid: collection from the customer's account, days past due and bucket, active <->
  in arrears, late fees (``services.loan_process_due``, once per loan and date).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core_banking.audit.services import audit_record_many
from core_banking.eod.step import Step

from . import accrual, services, transitions
from .models import Instalment, Loan, LoanStatusChange

ACCRUE_STEP = "loans:accrue"


def accrue_population(business_date: dt.date) -> QuerySet:
    """Ids of the loans that may need accrual on ``business_date``: running, started by then."""
    return (Loan.objects.filter(status__in=Loan.RUNNING, start_date__lte=business_date)
            .order_by("id").values_list("id", flat=True))


def accrue(business_date: dt.date, first_id: int, last_id: int) -> int:
    """Accrue the chunk through ``business_date``; returns the accrual rows written."""
    with transaction.atomic():
        activated = list(Loan.objects.select_for_update().filter(
            id__gte=first_id, id__lte=last_id, status=Loan.Status.DISBURSED, start_date__lte=business_date)
            .order_by("id").values_list("id", flat=True))
        if activated:
            now = timezone.now()
            # Set-based: the protected state field is written by the UPDATE, with one history
            # row and one audit event per loan, in the same transaction.
            activate = transitions.BY_NAME["activate"]
            Loan.objects.filter(id__in=activated).update(status=Loan.Status.ACTIVE)
            LoanStatusChange.objects.bulk_create(
                LoanStatusChange(loan_id=loan_id, action=activate.name, from_status=Loan.Status.DISBURSED,
                                 to_status=Loan.Status.ACTIVE, reason=activate.default_reason, at=now)
                for loan_id in activated)
            audit_record_many({"action": activate.audit_action, "object_type": "loans.loan", "object_id": loan_id,
                               "before": {"status": "disbursed"}, "after": {"status": "active"},
                               "changes": ["status"], "reason": activate.default_reason} for loan_id in activated)
        return accrual.accrue_range(business_date=business_date, first_id=first_id, last_id=last_id,
                                    step=ACCRUE_STEP)


def due_population(business_date: dt.date) -> QuerySet:
    """Ids of the running loans with an instalment due on or before ``business_date`` and unpaid."""
    open_states = [Instalment.Status.PENDING, Instalment.Status.DUE, Instalment.Status.OVERDUE]
    return (Loan.objects.filter(status__in=Loan.RUNNING, instalments__due_date__lte=business_date,
                                instalments__status__in=open_states)
            .distinct().order_by("id").values_list("id", flat=True))


def process_due(business_date: dt.date, first_id: int, last_id: int) -> int:
    """Due-date processing of the chunk's loans, each in its own transaction (one collection is
    one ledger entry of one customer); returns the loans processed now."""
    ids = list(due_population(business_date).filter(id__gte=first_id, id__lte=last_id))
    return sum(1 for loan_id in ids if services.loan_process_due(loan_id=loan_id, business_date=business_date))


ACCRUE = Step(name="loans.accrue", label="Accrue loan interest", population=accrue_population, run=accrue,
              chunk_size=5000)
DUE = Step(name="loans.due", label="Process loan due dates and delinquency", population=due_population,
           run=process_due, chunk_size=500)
