"""Maker-checker for admin forms: a model admin whose add, change and delete create an approval
request instead of writing (limit rules, tariff plans, fee rules).

A model admin using ``MakerCheckerAdminMixin`` says how a saved form or a deleted object becomes
an approval payload and which service call executes it directly (``approval_for_save``,
``approval_for_delete``: ``(payload, execute)``). Then:

* the form's ``clean`` runs, after the form's own checks, every refusal the request would get
  (initiator role, payload, a pending duplicate) and the service's own (the rehearsal: the direct
  call rolled back), as form errors: nothing is written;
* saving creates the approval request (``guard.submit``) and nothing else; the page then goes
  to the request, with a message. No "added"/"changed" log entry is written for a change that
  has not happened; the approval request has its own history and audit events;
* deleting (the confirmation page) asks for the deletion; the bulk "delete selected" action is
  not offered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import ADMIN

from . import guard

REASON_FIELD = "approval_reason"


def reason_field(required: bool = True) -> forms.CharField:
    return forms.CharField(label="Reason", max_length=500, required=required,
                           help_text="Why: the change waits for a checker's approval before it applies.")


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.detail)


def request_link(request_id: int) -> str:
    return reverse("admin:approvals_approvalrequest_change", args=[request_id])


class MakerCheckerAdminMixin:
    approval_action_type = ""
    approval_delete_reason = "removed from the admin"

    # --- what a subclass says -------------------------------------------------------------------

    def approval_for_save(self, request, form, change: bool, formsets=None
                          ) -> tuple[dict[str, Any], Callable[[], Any]] | None:
        """The payload and the direct call for a valid form (and its valid inline formsets, or
        None while the form is being cleaned); None when nothing would change."""
        raise NotImplementedError

    def approval_for_delete(self, request, obj) -> tuple[dict[str, Any], Callable[[], Any]]:
        raise NotImplementedError

    # --- the form checks what the request would refuse ------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class MakerCheckerForm(form_class):
            def clean(self):
                data = super().clean()
                if self.errors:
                    return data
                try:
                    spec = model_admin.approval_for_save(request, self, change)
                    if spec is not None:
                        payload, execute = spec
                        guard.check(model_admin.approval_action_type, payload, actor=request.user,
                                    credential=ADMIN, reason=payload.get("reason", ""), execute=execute)
                except DomainError as error:
                    add_domain_error(self, error)
                return data

        MakerCheckerForm.__name__ = form_class.__name__
        return MakerCheckerForm

    def save_model(self, request, obj, form, change) -> None:
        request._approval = None  # nothing is saved: the request is made with the inlines, next

    def save_related(self, request, form, formsets, change) -> None:
        for formset in formsets:  # nothing of theirs is saved (the admin's change message reads these)
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        spec = self.approval_for_save(request, form, change, formsets=formsets)
        if spec is None:
            return
        payload, execute = spec
        try:
            request._approval = guard.submit(self.approval_action_type, payload, actor=request.user,
                                             credential=ADMIN, reason=payload.get("reason", ""), execute=execute)
        except DomainError as error:  # changed between the form's check and now, or an inline's refusal
            request._approval_error = error

    def log_addition(self, request, obj, message):
        return None  # nothing was added: an approval request was made

    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return []

    def _answer(self, request, done: str):
        error = getattr(request, "_approval_error", None)
        if error is not None:
            self.message_user(request, f"Refused: {error.detail}", messages.ERROR)
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        deferred = getattr(request, "_approval", None)
        if deferred is None:
            self.message_user(request, "Nothing changed.", messages.INFO)
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        self.message_user(request, f"Approval request #{deferred.request_id} created: the {done} applies once a "
                          "checker approves it.", messages.SUCCESS)
        if request.user.has_perm("approvals.view_approvalrequest"):
            return HttpResponseRedirect(request_link(deferred.request_id))
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def response_add(self, request, obj, post_url_continue=None):
        return self._answer(request, "addition")

    def response_change(self, request, obj):
        return self._answer(request, "change")

    # --- deleting -----------------------------------------------------------------------------

    def delete_model(self, request, obj) -> None:
        payload, execute = self.approval_for_delete(request, obj)
        request._approval = None
        try:
            request._approval = guard.submit(self.approval_action_type, payload, actor=request.user,
                                             credential=ADMIN, reason=payload.get("reason", ""), execute=execute)
        except DomainError as error:
            request._approval_error = error

    def response_delete(self, request, obj_display, obj_id):
        return self._answer(request, "removal")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
