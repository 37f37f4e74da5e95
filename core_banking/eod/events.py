"""The end of day's domain events (``core_banking/events/catalogue.py``): each completed step and
the completed run, written in the run's transaction (bank-internal: no partner audience)."""

from __future__ import annotations

from core_banking.events.services import emit

from .models import EodRun, EodStepRun


def step_completed(run: EodRun, step: EodStepRun) -> None:
    emit("eod.step_completed", aggregate_id=run.business_date.isoformat(), payload={
        "business_date": run.business_date.isoformat(), "step": step.name, "label": step.label,
        "rows": step.processed})


def run_completed(run: EodRun) -> None:
    emit("eod.run_completed", aggregate_id=run.business_date.isoformat(), payload={
        "business_date": run.business_date.isoformat(), "status": run.status, "from_status": EodRun.Status.RUNNING})
