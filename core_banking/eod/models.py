"""An end-of-day run and its progress.

* ``EodRun``: one per business date (unique). A state machine (django-fsm-2, protected field):
  ``running`` -> ``completed``, ``running`` -> ``failed`` (a step could not finish: some chunks
  failed every attempt), ``failed`` -> ``running`` (re-run: the failed chunks are tried again).
  Every transition writes an ``EodRunStatusChange`` (append-only).
* ``EodStepRun``: one per run and configured step, in order (``position``). Its status is
  ``pending`` until the framework plans it (cuts its population into chunks), then ``running``,
  then ``completed`` or ``failed``.
* ``EodChunk``: one range of the step's population (``first_id <= id <= last_id``), the unit a
  Celery task runs: status, attempts, rows processed, the last error, who ran it and when.

The counters and statuses are the progress staff watch while a run is under way (admin, API).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.common.history import StatusHistory, append_only_triggers


class EodRun(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    business_date = models.DateField(unique=True)
    next_business_date = models.DateField(help_text="The business date the cut-off opened.")
    status = FSMField(default=Status.RUNNING, choices=Status.choices, protected=True, db_index=True)
    current_step = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=1, help_text="1 + the number of re-runs.")

    class Meta:
        ordering = ["-business_date"]
        verbose_name, verbose_name_plural = "end-of-day run", "end-of-day runs"
        permissions = [("start_eodrun", "Can start or re-run the end of day")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["running", "completed", "failed"]),
                                   name="eod_run_status_valid"),
            models.CheckConstraint(condition=Q(next_business_date__gt=F("business_date")),
                                   name="eod_run_next_date_after"),
            models.CheckConstraint(condition=Q(status="running") | Q(finished_at__isnull=False),
                                   name="eod_run_finished_has_time"),
        ]

    def __str__(self) -> str:
        return f"EOD {self.business_date.isoformat()} ({self.status})"

    @transition(field=status, source=Status.RUNNING, target=Status.COMPLETED)
    def complete(self) -> None:
        pass

    @transition(field=status, source=Status.RUNNING, target=Status.FAILED)
    def fail(self) -> None:
        pass

    @transition(field=status, source=Status.FAILED, target=Status.RUNNING)
    def resume(self) -> None:
        pass


class EodRunStatusChange(StatusHistory):
    run = models.ForeignKey(EodRun, on_delete=models.PROTECT, related_name="history")

    class Meta(StatusHistory.Meta):
        verbose_name, verbose_name_plural = "end-of-day run status change", "end-of-day run status changes"
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"End-of-day run {self.run_id}: {self.from_status} → {self.to_status}"


class EodStepRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(EodRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=64)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    chunk_size = models.PositiveIntegerField(default=0)
    population = models.PositiveIntegerField(default=0, help_text="Ids the step had work for when planned.")
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_failed = models.PositiveIntegerField(default=0)
    processed = models.PositiveBigIntegerField(default=0, help_text="Rows the chunks reported processed.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        verbose_name, verbose_name_plural = "end-of-day step", "end-of-day steps"
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="eod_step_one_per_position"),
            models.UniqueConstraint(fields=["run", "name"], name="eod_step_one_per_name"),
            models.CheckConstraint(condition=Q(status__in=["pending", "running", "completed", "failed"]),
                                   name="eod_step_status_valid"),
            models.CheckConstraint(condition=Q(chunks_done__lte=F("chunks_total"))
                                   & Q(chunks_failed__lte=F("chunks_total")), name="eod_step_counts_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.run.business_date.isoformat()} {self.position}. {self.name} ({self.status})"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class EodChunk(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    step = models.ForeignKey(EodStepRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    size = models.PositiveIntegerField(help_text="Ids of the population in the range when planned.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    processed = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, help_text="The last attempt's error, if it failed.")
    worker = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["step", "index"]
        verbose_name, verbose_name_plural = "end-of-day chunk", "end-of-day chunks"
        indexes = [models.Index(fields=["step", "status"], name="eod_chunk_step_status")]
        constraints = [
            models.UniqueConstraint(fields=["step", "index"], name="eod_chunk_one_per_index"),
            models.CheckConstraint(condition=Q(first_id__lte=F("last_id")), name="eod_chunk_range_ordered"),
            models.CheckConstraint(condition=Q(status__in=["pending", "running", "done", "failed"]),
                                   name="eod_chunk_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.step.name} #{self.index} [{self.first_id}, {self.last_id}] ({self.status})"
