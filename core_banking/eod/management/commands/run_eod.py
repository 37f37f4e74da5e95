"""``python manage.py run_eod [--date YYYY-MM-DD] [--no-wait]``: run (or re-run) the end of day.

Starts the run of the open business date (or resumes the given date's unfinished run), sends its
chunks to the Celery workers (in-process when no broker is configured) and, unless ``--no-wait``,
follows the progress step by step until the run completes or fails. Exit status: 0 completed,
1 failed or refused (with the reason), 2 still running when ``--timeout`` passed.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from core_banking.common.errors import DomainError
from core_banking.eod import services, tasks
from core_banking.eod.models import EodRun


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--date {value!r} is not a date (YYYY-MM-DD)") from error


class Command(BaseCommand):
    help = "Run the end of day of the open business date (or re-run an unfinished one)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The business date (YYYY-MM-DD); default: the open one.")
        parser.add_argument("--no-wait", action="store_true", help="Dispatch and return at once.")
        parser.add_argument("--timeout", type=float, default=3600.0, help="Seconds to wait (default 3600).")

    def handle(self, *args, **options):
        day = _date(options["date"]) if options["date"] else None
        try:
            run = services.eod_start(business_date=day)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.detail}") from error
        if run.status == EodRun.Status.COMPLETED:
            self.stdout.write(f"End of day {run.business_date} already completed.")
            self._summary(run)
            return
        self.stdout.write(f"End of day {run.business_date} (next business date {run.next_business_date}): "
                          f"running, attempt {run.attempts}.")
        tasks.kick(run)
        if options["no_wait"]:
            return
        deadline = time.monotonic() + options["timeout"]
        seen: dict[str, tuple] = {}
        while True:
            run.refresh_from_db()
            self._progress(run, seen)
            if run.status != EodRun.Status.RUNNING:
                break
            if time.monotonic() > deadline:
                self.stderr.write(f"Still running after {options['timeout']:.0f}s; follow it in the admin.")
                raise SystemExit(2)
            time.sleep(0.5)
        self._summary(run)
        if run.status == EodRun.Status.FAILED:
            raise CommandError(f"the end of day of {run.business_date} failed: {run.error}")

    def _progress(self, run: EodRun, seen: dict) -> None:
        for step in run.steps.all():
            state = (step.status, step.chunks_done, step.chunks_failed)
            if seen.get(step.name) != state and step.status != "pending":
                seen[step.name] = state
                self.stdout.write(f"  {step.position}. {step.name}: {step.status} "
                                  f"{step.chunks_done}/{step.chunks_total} chunks")

    def _summary(self, run: EodRun) -> None:
        for step in run.steps.all():
            seconds = f"{step.seconds:.2f}s" if step.seconds is not None else "-"
            self.stdout.write(f"{step.position:>3}. {step.label:<32} {step.status:<10} "
                              f"{step.chunks_done}/{step.chunks_total} chunks, {step.processed} rows, {seconds}")
        self.stdout.write(f"End of day {run.business_date}: {run.status}.")
