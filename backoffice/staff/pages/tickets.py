"""A ticket's full story, and the work on it, in one page (issue 9): ``/staff/tickets/<id>/``.

The page shows the ticket (subject, description, category, priority, status and why), its SLA
(response and resolution due times, first response, breaches and escalation, late marked), the
customer, account, payment and ledger entry it is about (each a link to its staff or admin page
for who may open it), the messages (internal notes only for ``tickets.view_internal_note``) and
the status history with who did what.

Actions, each offered only to who may take it and each through the existing ticket services, which
check the user again object by object (``tickets.services``):

* **reply** to the customer or add an **internal note**: ``message_post`` (for who may work the
  ticket: its assignee, a member of its team, a supervisor; not on a closed ticket);
* **open / wait on customer / resume / resolve / close / reopen**: ``ticket_transition``, as
  ``tickets.selectors.available_transitions`` offers them;
* **assign**: a supervisor (``tickets.manage_ticket``) to a member of the ticket's team, an agent
  claims an unassigned ticket of their team ("Assign to me"): ``ticket_assign``.

A refusal re-renders the page with the error (400, 403 or 409) and changes nothing. Linked from
the work queues, the customer 360°, a payment's story and the search.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from backoffice.staff.decorators import staff_page
from backoffice.tickets import selectors as tickets_selectors
from backoffice.tickets import services as tickets_services
from backoffice.tickets import transitions as tickets_transitions
from core_banking.common.errors import DomainError

from .forms import TicketActionForm, TicketAssignForm, TicketMessageForm

VIEW = "tickets.view_ticket"
ACTIONS = {"message", "transition", "assign", "claim"}


def _context(request: HttpRequest, ticket_id: int, **forms) -> dict:
    user = request.user
    story = tickets_selectors.ticket_page(ticket_id, user)
    ticket = story["ticket"]
    return {
        **story,
        "now": timezone.now(),
        "page_error": forms.get("page_error"),
        "message_form": forms.get("message_form") or TicketMessageForm(may_note=story["may_see_internal"]),
        "action_form": forms.get("action_form") or TicketActionForm(),
        "assign_form": forms.get("assign_form") or TicketAssignForm(agents=story["agents"],
                                                                    initial={"assignee": ticket.assignee_id}),
    }


def _refused(request, ticket_id: int, error: DomainError, **forms) -> HttpResponse:
    status = error.status if error.status in (403, 404, 409) else 400
    return render(request, "staff/ticket.html", _context(request, ticket_id, page_error=error.detail, **forms),
                  status=status)


@staff_page(VIEW)
def ticket_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return render(request, "staff/ticket.html", _context(request, ticket_id))


@staff_page(VIEW)
def ticket_action_view(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in ACTIONS:
        return render(request, "staff/ticket.html", _context(request, ticket_id, page_error="Unknown action."),
                      status=404)
    ticket = tickets_selectors.ticket_get(ticket_id)
    user = request.user
    if action == "message":
        form = TicketMessageForm(request.POST, may_note=user.has_perm("tickets.view_internal_note"))
        if not form.is_valid():
            return render(request, "staff/ticket.html", _context(request, ticket_id, message_form=form), status=400)
        try:
            tickets_services.message_post(ticket_id=ticket.pk, body=form.cleaned_data["body"],
                                          visibility=form.cleaned_data["visibility"], actor=user)
        except DomainError as error:
            form.add_error(None, error.detail)
            return _refused(request, ticket_id, error, message_form=form)
        done = "reply sent" if form.cleaned_data["visibility"] == "customer_reply" else "internal note added"
    elif action == "transition":
        form = TicketActionForm(request.POST)
        if not form.is_valid():
            return render(request, "staff/ticket.html", _context(request, ticket_id, action_form=form), status=400)
        try:
            ticket = tickets_services.ticket_transition(ticket_id=ticket.pk, action=form.cleaned_data["action"],
                                                        actor=user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, error.detail)
            return _refused(request, ticket_id, error, action_form=form)
        spec = tickets_transitions.BY_NAME.get(form.cleaned_data["action"])
        label = spec.label if spec else form.cleaned_data["action"]
        done = f"{label.lower()} done; it is {ticket.get_status_display().lower()}"
    else:
        story = tickets_selectors.ticket_page(ticket_id, user)
        form = TicketAssignForm(request.POST if action == "assign" else {"assignee": user.pk},
                                agents=story["agents"] if action == "assign" else [user])
        if not form.is_valid():
            return render(request, "staff/ticket.html", _context(request, ticket_id, assign_form=form), status=400)
        try:
            ticket = tickets_services.ticket_assign(ticket_id=ticket.pk, assignee_id=form.cleaned_data["assignee"],
                                                    actor=user)
        except DomainError as error:
            form.add_error(None, error.detail)
            return _refused(request, ticket_id, error, assign_form=form)
        who = ticket.assignee.get_username() if ticket.assignee else "nobody"
        done = f"assigned to {who}"
    messages.success(request, f"Ticket {ticket.number}: {done}.")
    return HttpResponseRedirect(reverse("staff:ticket", args=[ticket.pk]))
