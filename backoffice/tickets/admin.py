"""Support tickets in the admin.

* Teams (members kept in step with the team's permission group) and categories with their SLA
  per priority are configuration, audited by model tracking.
* Tickets are opened through ``services.ticket_create`` (the add form validates the links and
  the SLA as form errors) and never edited or deleted here: every field is read-only. The
  lifecycle, assignment and messages go through the services, from the changelist actions (the
  reason, assignee and team come from the fields next to the action picker) or from the change
  page, which offers only the transitions the signed-in user may fire. A refusal is shown as an
  error message and changes nothing.
* The "queue" filter shows my queue or a team's queue, ordered by next SLA due time.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core_banking.common.errors import DomainError
from core_banking.ledger.admin import NoWritesMixin

from . import selectors, services, transitions
from .models import MANAGE, VIEW_INTERNAL, WORK, Category, CategorySla, Team, Ticket, TicketMessage, TicketStatusChange

VIEW = "tickets.view_ticket"
ADD = "tickets.add_ticket"
ADMIN_REASON = "from the admin"


# --- configuration ---------------------------------------------------------------------------


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "member_count", "description")
    search_fields = ("name",)
    filter_horizontal = ("members",)
    fields = ("name", "description", "members")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")

    @admin.display(description="members")
    def member_count(self, team: Team) -> int:
        return len(team.members.all())

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("name",)  # the permission group is named after it

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # tickets refer to teams

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.save()
            return
        team = services.team_create(name=form.cleaned_data["name"], description=form.cleaned_data["description"],
                                    actor=request.user)
        obj.__dict__.update({key: value for key, value in team.__dict__.items() if key != "_state"})
        obj._state.adding = False
        obj._state.db = team._state.db


class CategorySlaInline(admin.TabularInline):
    model = CategorySla
    extra = 0
    fields = ("priority", "response_minutes", "resolution_minutes")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    inlines = (CategorySlaInline,)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate a category instead; tickets refer to it


# --- tickets ---------------------------------------------------------------------------------


class TicketActionForm(ActionForm):
    """The changelist's action picker, with what the actions need."""

    reason = forms.CharField(required=False, max_length=500,
                             help_text="Required to reopen and to close an unresolved ticket.")
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_staff=True, is_active=True),
                                      required=False, help_text="For “assign”.")
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, help_text="For “assign”.")


class TicketAddForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ("customer", "account", "payment", "journal_entry", "category", "priority", "subject",
                  "description", "team")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"].queryset = Category.objects.filter(is_active=True)

    def clean(self):
        # The service's checks (links belong to the customer, an SLA exists), as form errors.
        data = super().clean()
        customer, category = data.get("customer"), data.get("category")
        if customer is None or category is None:
            return data
        try:
            services.ticket_links_validate(
                customer=customer, account_id=getattr(data.get("account"), "pk", None),
                payment_id=getattr(data.get("payment"), "pk", None),
                journal_entry_id=getattr(data.get("journal_entry"), "pk", None))
            services.sla_due_times(category=category, priority=data.get("priority") or "normal",
                                   start=timezone.now())
        except DomainError as error:
            self.add_error(None, error.detail)
        return data


class TicketMessageInline(NoWritesMixin, admin.TabularInline):
    model = TicketMessage
    fields = ("created_at", "author", "visibility", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def get_queryset(self, request):
        messages_ = super().get_queryset(request).select_related("author")
        if not request.user.has_perm(VIEW_INTERNAL):
            messages_ = messages_.filter(visibility=TicketMessage.Visibility.CUSTOMER_REPLY)
        return messages_

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)  # the messages are part of the ticket


class TicketHistoryInline(NoWritesMixin, admin.TabularInline):
    model = TicketStatusChange
    verbose_name_plural = "history"
    fields = ("at", "action", "from_status", "to_status", "reason", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        teams = Team.objects.all() if request.user.has_perm(MANAGE) else Team.objects.filter(members=request.user)
        return [("mine", "My queue"), *((f"team-{team.pk}", f"Team {team.name}") for team in teams)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return queryset.filter(selectors.queue_condition_for_user(request.user))
        if value and value.startswith("team-") and value[5:].isdigit():
            try:
                selectors.team_queue_for(team_id=int(value[5:]), user=request.user)
            except DomainError:
                return queryset.none()
            return queryset.filter(team_id=int(value[5:]), status__in=Ticket.ACTIVE_STATES)
        return queryset


class BreachedFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", "Breached"), ("on_time", "On time")]

    def queryset(self, request, queryset):
        late = Q(response_breached=True) | Q(resolution_breached=True)
        if self.value() == "breached":
            return queryset.filter(late)
        if self.value() == "on_time":
            return queryset.exclude(late)
        return queryset


TICKET_FIELDSETS = (
    (None, {"fields": ("number", "subject", "description", "category", "priority", "status", "status_reason")}),
    ("About", {"fields": ("customer", "account", "payment", "journal_entry")}),
    ("Assignment", {"fields": ("assignee", "team")}),
    ("SLA", {"fields": ("response_due_at", "resolution_due_at", "first_response_at", "resolved_at", "closed_at",
                        "response_breached", "resolution_breached", "escalation_level", "escalated_at")}),
    ("Record", {"fields": ("created_by", "created_at", "updated_at")}),
)


def _transition_action(spec: transitions.TicketTransition):
    """The changelist action of one transition of the table, with the reason typed next to it."""

    def run(modeladmin, request, queryset):
        modeladmin._transition(request, queryset, spec.name, spec.done)

    run.__name__ = spec.admin_action
    return admin.action(description=spec.admin_label, permissions=["work"])(run)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    change_form_template = "admin/tickets/ticket/change_form.html"
    action_form = TicketActionForm
    list_display = ("number", "subject", "status", "priority", "category", "customer", "assignee", "team",
                    "next_due", "sla_state", "escalation_level")
    list_filter = (QueueFilter, "status", "priority", "category", "team", BreachedFilter)
    list_select_related = ("category", "customer", "assignee", "team")
    search_fields = ("=number", "=customer__number", "subject")
    search_help_text = "A ticket or customer number, or words of the subject."
    show_full_result_count = False
    raw_id_fields = ("customer", "account", "payment", "journal_entry")
    inlines = (TicketMessageInline, TicketHistoryInline)
    # One changelist action per transition of the table (backoffice/tickets/transitions.py), then
    # the assignment ones.
    actions = (*(_transition_action(spec) for spec in transitions.TRANSITIONS), "claim_selected", "assign_selected")

    # --- pages and permissions ---

    def get_queryset(self, request):
        # Annotated before ordering: the queue filter orders by the next SLA due time.
        return selectors.with_due_at(self.model._default_manager.get_queryset()).order_by(
            *self.get_ordering(request))

    def get_ordering(self, request):
        return ("next_due_at", "id") if request.GET.get("queue") else ("-id",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TicketAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return TICKET_FIELDSETS if obj is not None else ((None, {"fields": TicketAddForm.Meta.fields}),)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [name for _title, spec in TICKET_FIELDSETS for name in spec["fields"]]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(VIEW)

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm(ADD)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # fields never change by hand; the services change the ticket

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_work_permission(self, request) -> bool:
        return request.user.has_perm(WORK) or request.user.has_perm(MANAGE)

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        ticket = services.ticket_create(
            actor=request.user, customer_id=data["customer"].pk, category_code=data["category"].code,
            priority=data["priority"], subject=data["subject"], description=data.get("description", ""),
            account_id=getattr(data.get("account"), "pk", None), payment_id=getattr(data.get("payment"), "pk", None),
            journal_entry_id=getattr(data.get("journal_entry"), "pk", None),
            team_id=getattr(data.get("team"), "pk", None),
        )
        obj.__dict__.update({key: value for key, value in ticket.__dict__.items() if key != "_state"})
        obj._state.adding = False
        obj._state.db = ticket._state.db

    # --- columns ---

    @admin.display(description="next due", ordering="next_due_at")
    def next_due(self, ticket: Ticket):
        return ticket.due_at if ticket.status in Ticket.ACTIVE_STATES else "—"

    @admin.display(description="SLA")
    def sla_state(self, ticket: Ticket) -> str:
        late = [kind for kind, flag in (("response", ticket.response_breached),
                                        ("resolution", ticket.resolution_breached)) if flag]
        return format_html("<strong>{} breached</strong>", " + ".join(late)) if late else "on time"

    # --- the change page: only what this user may fire ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        ticket = self.get_object(request, object_id)
        if ticket is not None:
            user = request.user
            may_work = services.ticket_may_work(ticket, user)
            extra_context.update({
                "ticket_transitions": selectors.available_transitions(ticket, user),
                "ticket_may_message": may_work and ticket.status != Ticket.Status.CLOSED,
                "ticket_message_visibilities": TicketMessage.Visibility.choices,
                "ticket_may_assign": user.has_perm(MANAGE) and ticket.status in Ticket.ACTIVE_STATES,
                "ticket_may_claim": (not user.has_perm(MANAGE) and may_work and ticket.assignee_id is None
                                     and ticket.status in Ticket.ACTIVE_STATES),
                "ticket_assignees": TicketActionForm.base_fields["assignee"].queryset,
                "ticket_teams": Team.objects.all(),
            })
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:ticket_id>/do/<str:action>/", wrap(self.ticket_action_view), name="tickets_ticket_action"),
            *super().get_urls(),
        ]

    def ticket_action_view(self, request, ticket_id: int, action: str):
        """POST from the change page: a transition, ``assign``, ``claim`` or ``message``."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        ticket = get_object_or_404(Ticket, pk=ticket_id)
        reason = request.POST.get("reason", "")
        try:
            if action in transitions.BY_NAME:
                services.ticket_transition(ticket_id=ticket.pk, action=action, actor=request.user, reason=reason)
                done = f"{ticket.number}: {transitions.BY_NAME[action].label.lower()} done."
            elif action == "claim":
                services.ticket_assign(ticket_id=ticket.pk, assignee_id=request.user.pk, actor=request.user,
                                       reason=reason)
                done = f"{ticket.number}: assigned to you."
            elif action == "assign":
                services.ticket_assign(ticket_id=ticket.pk, actor=request.user, reason=reason,
                                       assignee_id=_int_or_none(request.POST.get("assignee")),
                                       team_id=_int_or_none(request.POST.get("team")))
                done = f"{ticket.number}: assignment changed."
            elif action == "message":
                services.message_post(ticket_id=ticket.pk, actor=request.user, body=request.POST.get("body", ""),
                                      visibility=request.POST.get("visibility", ""))
                done = f"{ticket.number}: message added."
            else:
                raise services.exc.UnknownTicketAction(f"unknown ticket action {action!r}")
        except DomainError as error:
            self.message_user(request, f"{ticket.number}: {error.detail}", messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]))

    # --- changelist actions ---

    def _run(self, request, queryset, call, done: str) -> None:
        changed = 0
        for ticket_id, number in queryset.values_list("pk", "number"):
            try:
                call(ticket_id)
            except DomainError as error:
                self.message_user(request, f"{number}: {error.detail}", messages.ERROR)
                continue
            changed += 1
        if changed:
            self.message_user(request, f"{changed} ticket(s) {done}.", messages.SUCCESS)

    def _transition(self, request, queryset, action: str, done: str) -> None:
        reason = request.POST.get("reason", "").strip()
        self._run(request, queryset, lambda pk: services.ticket_transition(
            ticket_id=pk, action=action, actor=request.user, reason=reason), done)

    @admin.action(description="Claim selected tickets (assign to me)", permissions=["work"])
    def claim_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        self._run(request, queryset, lambda pk: services.ticket_assign(
            ticket_id=pk, assignee_id=request.user.pk, actor=request.user, reason=reason), "assigned to you")

    @admin.action(description="Assign selected tickets to the chosen agent and/or team", permissions=["work"])
    def assign_selected(self, request, queryset):
        assignee, team = _int_or_none(request.POST.get("assignee")), _int_or_none(request.POST.get("team"))
        if assignee is None and team is None:
            self.message_user(request, "Choose an agent, a team or both next to the action.", messages.ERROR)
            return
        changes = {key: value for key, value in (("assignee_id", assignee), ("team_id", team)) if value is not None}
        reason = request.POST.get("reason", "").strip()
        self._run(request, queryset, lambda pk: services.ticket_assign(
            ticket_id=pk, actor=request.user, reason=reason, **changes), "assigned")


def _int_or_none(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else value
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
