"""Settlement in the admin: batches with their items, files and history; every file stored,
downloadable; answers imported by upload; the suspense queue with its two resolutions.

Nothing is added, changed or deleted through the admin's own forms (no delete action is
offered): batches close on the beat schedule (or "Close due batches now"), a cancellation and a
suspense resolution go through the services and their maker-checker approval.

* view: ``settlement.view_*`` (operations, finance, compliance officers);
* "Close due batches now": ``settlement.close_batch``; "Cancel" (asks for approval):
  ``settlement.cancel_batch`` (operations);
* "Import a status report or notification": ``settlement.import_settlementfile`` (operations,
  finance);
* "Book to an account" / "Return to sender" (ask for approval): ``settlement.resolve_suspenseitem``
  (operations).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core_banking.accounts.models import Account
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import Deferred
from core_banking.common.money_display import format_money
from core_banking.ledger.admin import NoWritesMixin

from . import services, transitions
from .models import Batch, BatchItem, BatchStatusChange, SettlementFile, SuspenseItem, SuspenseStatusChange
from .roles import CANCEL, CLOSE, IMPORT, RESOLVE

MAX_UPLOAD = 25 * 1024 * 1024


def _download_link(settlement_file: SettlementFile):
    return format_html('<a href="{}">{}</a>', reverse("admin:settlement_settlementfile_download",
                                                      args=[settlement_file.pk]), settlement_file.name)


def _deferred_or_done(admin_obj, request, outcome, done: str) -> None:
    if isinstance(outcome, Deferred):
        admin_obj.message_user(request, f"{done}: approval request {outcome.request_id} waits for a second person.",
                               messages.WARNING)
    else:
        admin_obj.message_user(request, f"{done}.", messages.SUCCESS)


class _ReadOnlyInline(NoWritesMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


class ItemInline(_ReadOnlyInline):
    model = BatchItem
    verbose_name_plural = "items"
    fields = ("instruction_id", "end_to_end_id", "money", "creditor_name", "creditor_iban", "state", "reason_code",
              "reason", "payment_link")
    readonly_fields = fields

    @admin.display(description="amount")
    def money(self, item: BatchItem) -> str:
        return format_money(item.amount, item.currency_id)

    @admin.display(description="payment")
    def payment_link(self, item: BatchItem):
        if item.payment_id:
            return format_html('<a href="{}">{}</a>', reverse("admin:payments_payment_change", args=[item.payment_id]),
                               item.instruction_id)
        return f"return of suspense item {item.suspense_id}"


class FileInline(_ReadOnlyInline):
    model = SettlementFile
    verbose_name_plural = "files"
    fields = ("kind", "download", "message_id", "size", "created_at")
    readonly_fields = fields

    @admin.display(description="file")
    def download(self, settlement_file: SettlementFile):
        return _download_link(settlement_file)


class BatchHistoryInline(_ReadOnlyInline):
    model = BatchStatusChange
    verbose_name_plural = "history"
    fields = ("at", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields


@admin.register(Batch)
class BatchAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("id", "business_date", "rail", "currency", "status", "item_count", "total", "cutoff_at",
                    "message_id")
    list_filter = ("status", "rail", "currency")
    search_fields = ("=message_id", "=items__instruction_id")
    search_help_text = "A file's message ID or a payment reference."
    date_hierarchy = "business_date"
    fields = ("rail", "currency", "business_date", "cutoff_at", "status", "status_reason", "message_id",
              "item_count", "total", "created_at", "closed_at", "sent_at", "finished_at")
    readonly_fields = fields
    inlines = (ItemInline, FileInline, BatchHistoryInline)
    actions = ("close_due_now", "cancel_selected")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_close_permission(self, request) -> bool:
        return request.user.has_perm(CLOSE)

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm(CANCEL)

    @admin.display(description="total")
    def total(self, batch: Batch) -> str:
        return format_money(batch.total_amount, batch.currency_id) if batch.status != Batch.Status.OPEN else "—"

    @admin.action(description="Close due batches now (queue, close at the cut-off, send)", permissions=["close"])
    def close_due_now(self, request, queryset):
        report = services.close_due_batches()
        self.message_user(request, f"Queued {report.queued}, closed {report.closed}, sent {report.sent}, failed "
                          f"{report.failed}.", messages.ERROR if report.failed else messages.SUCCESS)

    @admin.action(description=transitions.CANCEL_BATCH.admin_label, permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        spec = transitions.CANCEL_BATCH
        for batch in queryset:
            try:
                outcome = services.batch_cancel(batch_id=batch.pk, actor=request.user,
                                                reason=spec.admin_reason.format(user=request.user))
            except DomainError as error:
                self.message_user(request, f"Batch {batch.pk}: {error.detail}", messages.ERROR)
                continue
            _deferred_or_done(self, request, outcome, spec.admin_subject.format(pk=batch.pk))


@admin.register(BatchItem)
class BatchItemAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("instruction_id", "batch", "money", "creditor_name", "creditor_iban", "state", "reason_code")
    list_filter = ("state", "reason_code")
    list_select_related = ("batch",)
    search_fields = ("=instruction_id", "=end_to_end_id", "=creditor_iban")
    fields = ("batch", "payment", "suspense", "state", "money", "instruction_id", "end_to_end_id", "creditor_name",
              "creditor_iban", "creditor_bic", "remittance_info", "reason_code", "reason", "response_file",
              "created_at", "updated_at")
    readonly_fields = fields
    actions = None

    @admin.display(description="amount")
    def money(self, item: BatchItem) -> str:
        return format_money(item.amount, item.currency_id)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A pain.002 status report or a camt.054 notification (XML).")


@admin.register(SettlementFile)
class SettlementFileAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "direction", "download", "batch", "message_id", "size")
    list_filter = ("kind", "direction")
    search_fields = ("=message_id", "=sha256", "name")
    fields = ("kind", "direction", "download", "batch", "message_id", "size", "sha256", "summary", "created_by",
              "created_at")
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description="file")
    def download(self, settlement_file: SettlementFile):
        return _download_link(settlement_file)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<int:file_id>/download/", wrap(self.download_view), name="settlement_settlementfile_download"),
                path("import/", wrap(self.import_view), name="settlement_settlementfile_import"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": request.user.has_perm(IMPORT)}
        if extra_context["can_import"]:
            self.message_user(request, format_html('<a href="{}">Import a status report or notification</a>',
                                                   reverse("admin:settlement_settlementfile_import")), messages.INFO)
        return super().changelist_view(request, extra_context=extra_context)

    def download_view(self, request, file_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        settlement_file = get_object_or_404(SettlementFile, pk=file_id)
        response = HttpResponse(bytes(settlement_file.content), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{settlement_file.name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def import_view(self, request):
        if not request.user.has_perm(IMPORT):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_UPLOAD:
                form.add_error("file", "the file is larger than 25 MiB")
            else:
                try:
                    result = services.settlement_file_import(data=upload.read(), name=upload.name, actor=request.user)
                except DomainError as error:
                    form.add_error("file", f"{error.code}: {error.detail}")
                else:
                    verb = "imported" if result.created else "was already imported; nothing changed"
                    self.message_user(request, f"{result.file.kind} {result.file.name} {verb}: {result.file.summary}",
                                      messages.SUCCESS if result.created else messages.WARNING)
                    return HttpResponseRedirect(reverse("admin:settlement_settlementfile_change",
                                                        args=[result.file.pk]))
        return TemplateResponse(request, "admin/settlement/form.html", {
            **self.admin_site.each_context(request), "title": "Import a status report or notification",
            "opts": self.model._meta, "form": form, "submit": "Import",
            "back_url": "admin:settlement_settlementfile_changelist",
            "intro": "Accepted payments become settled, rejected ones are returned to the payer, incoming credits "
                     "are booked by IBAN or go to suspense. The same file twice changes nothing."})


class SuspenseHistoryInline(_ReadOnlyInline):
    model = SuspenseStatusChange
    verbose_name_plural = "history"
    fields = ("at", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields


class BookForm(forms.Form):
    iban = forms.CharField(label="Account IBAN", max_length=34, help_text="The account the credit belongs to.")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="How the beneficiary was identified (the checker reads this).")

    def clean_iban(self):
        iban = self.cleaned_data["iban"].replace(" ", "").upper()
        account = Account.objects.filter(iban=iban).first()
        if account is None:
            raise forms.ValidationError(f"no account of ours has IBAN {iban}")
        return account


@admin.register(SuspenseItem)
class SuspenseItemAdmin(NoWritesMixin, admin.ModelAdmin):
    list_display = ("created_at", "money", "status", "reason_code", "creditor_iban", "creditor_name", "debtor_name",
                    "end_to_end_id", "book_link")
    list_filter = ("status", "reason_code", "currency")
    search_fields = ("=creditor_iban", "=debtor_iban", "=end_to_end_id", "creditor_name", "debtor_name")
    fields = ("status", "reason_code", "reason", "money", "creditor_iban", "creditor_name", "debtor_iban",
              "debtor_name", "debtor_bic", "end_to_end_id", "remittance_info", "file", "entry", "release_entry",
              "payment", "created_at", "resolved_at")
    readonly_fields = fields
    inlines = (SuspenseHistoryInline,)
    actions = ("return_to_sender",)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_resolve_permission(self, request) -> bool:
        return request.user.has_perm(RESOLVE)

    @admin.display(description="amount")
    def money(self, item: SuspenseItem) -> str:
        return format_money(item.amount, item.currency_id)

    @admin.display(description="book")
    def book_link(self, item: SuspenseItem):
        if item.status != SuspenseItem.Status.OPEN:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:settlement_suspenseitem_book", args=[item.pk]),
                           transitions.BOOK.label)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<int:item_id>/book/", wrap(self.book_view), name="settlement_suspenseitem_book"),
                *super().get_urls()]

    @admin.action(description=transitions.START_RETURN.admin_label, permissions=["resolve"])
    def return_to_sender(self, request, queryset):
        spec = transitions.START_RETURN
        for item in queryset:
            try:
                outcome = services.suspense_return(item_id=item.pk, actor=request.user,
                                                   reason=spec.admin_reason.format(user=request.user))
            except DomainError as error:
                self.message_user(request, f"Suspense item {item.pk}: {error.detail}", messages.ERROR)
                continue
            _deferred_or_done(self, request, outcome, spec.admin_subject.format(pk=item.pk))

    def book_view(self, request, item_id: int):
        if not request.user.has_perm(RESOLVE):
            raise PermissionDenied
        item = get_object_or_404(SuspenseItem, pk=item_id)
        form = BookForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                outcome = services.suspense_book(item_id=item.pk, account_id=form.cleaned_data["iban"].pk,
                                                  actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as error:
                form.add_error(None, f"{error.code}: {error.detail}")
            else:
                _deferred_or_done(self, request, outcome, transitions.BOOK.admin_subject.format(pk=item.pk))
                return HttpResponseRedirect(reverse("admin:settlement_suspenseitem_change", args=[item.pk]))
        return TemplateResponse(request, "admin/settlement/form.html", {
            **self.admin_site.each_context(request), "title": f"Book suspense item {item.pk} to an account",
            "opts": self.model._meta, "form": form, "submit": "Ask to book",
            "back_url": "admin:settlement_suspenseitem_changelist",
            "intro": f"{format_money(item.amount, item.currency_id)} from {item.debtor_name or '?'} "
                     f"({item.debtor_iban or 'no IBAN'}) for {item.creditor_name or '?'} ({item.creditor_iban}): "
                     f"{item.reason}"})
