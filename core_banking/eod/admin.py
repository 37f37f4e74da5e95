"""The end of day in the admin: read-only progress, and the re-run.

* Runs: one row per business date with its status, the step it is on, how many steps are done,
  when it started and finished and how many attempts it took; the change page is read-only, with
  the steps (chunks done / total / failed, rows processed, seconds) and the status history as
  inlines. Nothing is added, changed or deleted here: the beat schedule (at the cut-off),
  ``run_eod``, the API and the re-run action start runs, through ``services.eod_start``.
* Chunks: read-only, filtered by status and step name, searched by the run's business date
  (``YYYY-MM-DD``), so staff find the failed chunks of a run and read their error.
* "Re-run": an action on failed (or stuck running) runs, offered to holders of
  ``eod.start_eodrun``: ``services.eod_start`` resumes the run (failed chunks go back to pending)
  and ``tasks.kick`` sends its outstanding chunks to the workers again. The outcome, or the refusal
  (e.g. ``eod_previous_incomplete``), is shown as a message.

Everything is visible to holders of ``eod.view_eodrun``; the steps, history and chunks are the
run's progress and have no permission of their own.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from core_banking.common.errors import DomainError
from core_banking.ledger.admin import NoWritesMixin

from . import services, tasks, transitions
from .models import EodChunk, EodRun, EodRunStatusChange, EodStepRun
from .roles import START, VIEW


def _chunks_url(**filters) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return reverse("admin:eod_eodchunk_changelist") + (f"?{query}" if query else "")


class _ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)


class StepInline(_ReadOnlyInline):
    model = EodStepRun
    verbose_name_plural = "steps"
    ordering = ("position",)
    fields = ("position", "name", "label", "status", "population", "chunks", "processed", "started_at",
              "finished_at", "duration")
    readonly_fields = fields

    @admin.display(description="chunks (done / total, failed)")
    def chunks(self, step: EodStepRun):
        if not step.chunks_total:
            return "—"
        text = f"{step.chunks_done} / {step.chunks_total}"
        if step.chunks_failed:
            return format_html('{}, <a href="{}">{} failed</a>', text,
                               _chunks_url(step__id__exact=step.pk, status__exact=EodChunk.Status.FAILED),
                               step.chunks_failed)
        return format_html('<a href="{}">{}</a>', _chunks_url(step__id__exact=step.pk), text)

    @admin.display(description="seconds")
    def duration(self, step: EodStepRun) -> str:
        return "—" if step.seconds is None else f"{step.seconds:.2f}"


class HistoryInline(_ReadOnlyInline):
    model = EodRunStatusChange
    verbose_name_plural = "history"
    ordering = ("id",)
    fields = ("at", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields


@admin.register(EodRun)
class EodRunAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("business_date", "status", "current_step", "progress", "started_at", "finished_at", "attempts")
    list_filter = ("status",)
    search_fields = ("=business_date",)
    search_help_text = "A business date (YYYY-MM-DD)."
    ordering = ("-business_date",)
    date_hierarchy = "business_date"
    show_full_result_count = False
    inlines = (StepInline, HistoryInline)
    fields = ("business_date", "next_business_date", "status", "current_step", "progress", "error", "attempts",
              "requested_by", "started_at", "finished_at", "failed_chunks")
    readonly_fields = fields
    actions = ("rerun_selected",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by").annotate(
            steps_total=Count("steps"),
            steps_completed=Count("steps", filter=Q(steps__status=EodStepRun.Status.COMPLETED)))

    def get_search_results(self, request, queryset, search_term):
        """An exact business date; anything that is not a date finds nothing (never a 500)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        day = _parse_date(term)
        return (queryset.filter(business_date=day) if day else queryset.none()), False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)

    def has_start_permission(self, request) -> bool:
        return request.user.has_perm(START)

    @admin.display(description="progress")
    def progress(self, run: EodRun) -> str:
        total = getattr(run, "steps_total", None)
        done = getattr(run, "steps_completed", None)
        if total is None:
            total = run.steps.count()
            done = run.steps.filter(status=EodStepRun.Status.COMPLETED).count()
        return f"{done}/{total} steps"

    @admin.display(description="failed chunks")
    def failed_chunks(self, run: EodRun):
        failed = EodChunk.objects.filter(step__run=run, status=EodChunk.Status.FAILED).count()
        if not failed:
            return "—"
        return format_html('<a href="{}">{} failed chunk(s)</a>',
                           _chunks_url(q=run.business_date.isoformat(), status__exact=EodChunk.Status.FAILED), failed)

    @admin.action(description=transitions.RESUME.admin_label, permissions=["start"])
    def rerun_selected(self, request, queryset):
        for run in queryset.order_by("business_date"):
            day = run.business_date
            if run.status == EodRun.Status.COMPLETED:
                self.message_user(request, f"End of day {day}: already completed, nothing to re-run.",
                                  messages.WARNING)
                continue
            try:
                run = services.eod_start(business_date=day, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"End of day {day}: {error.code}: {error.detail}", messages.ERROR)
                continue
            tasks.kick(run)
            run.refresh_from_db(fields=["status", "attempts", "error"])
            if run.status == EodRun.Status.FAILED:
                self.message_user(request, f"End of day {day}: re-run (attempt {run.attempts}) failed again: "
                                  f"{run.error}", messages.ERROR)
            else:
                self.message_user(request, f"End of day {day}: re-run sent (attempt {run.attempts}); "
                                  f"the run is {run.status}.", messages.SUCCESS)


def _parse_date(term: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(term) if len(term) == 10 else None
    except ValueError:
        return None


@admin.register(EodChunk)
class EodChunkAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("business_date", "step_name", "index", "first_id", "last_id", "size", "status", "attempts",
                    "processed", "last_error", "worker", "finished_at")
    list_filter = ("status", "step__name")
    list_select_related = ("step__run",)
    search_fields = ("=step__run__business_date",)
    search_help_text = "The run's business date (YYYY-MM-DD)."
    ordering = ("-step__run__business_date", "step__position", "index")
    show_full_result_count = False
    fields = ("business_date", "step_name", "index", "first_id", "last_id", "size", "status", "attempts",
              "processed", "worker", "started_at", "finished_at", "error_text")
    readonly_fields = fields
    actions = None

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        day = _parse_date(term)
        return (queryset.filter(step__run__business_date=day) if day else queryset.none()), False

    @admin.display(description="business date", ordering="step__run__business_date")
    def business_date(self, chunk: EodChunk):
        return chunk.step.run.business_date

    @admin.display(description="step", ordering="step__position")
    def step_name(self, chunk: EodChunk) -> str:
        return chunk.step.name

    @admin.display(description="error")
    def last_error(self, chunk: EodChunk) -> str:
        lines = chunk.error.strip().splitlines()
        return lines[-1][:200] if lines else ""

    @admin.display(description="error (last attempt)")
    def error_text(self, chunk: EodChunk):
        return format_html("<pre>{}</pre>", chunk.error) if chunk.error else "—"
