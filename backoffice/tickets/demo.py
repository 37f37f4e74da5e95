"""Demo support tickets for ``manage.py seed_demo``: the Support and Payments teams, four
categories with SLAs per priority, and six tickets on the payments demo's customers (those with an
``@demo.corebank.test`` email), in every state, through the services (validated, audited, with
their history).

Runs after ``core_banking.payments.demo.load_demo_payments``, which creates those customers; with
none, it creates no tickets and says so. Idempotent: teams and categories are looked up by name
and code, a ticket by its customer and subject; what exists is left as it is. The demo logins
``demo_support_agent`` and ``demo_operations`` (when seed_demo has created them) join the teams;
the tickets are moved along by ``demo_operations`` when that login may manage tickets, otherwise
they stay new and the output says so.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core_banking.customers.models import Customer
from core_banking.payments.models import Payment

from . import services
from .models import MANAGE, Category, Team, Ticket, TicketMessage

DEMO_EMAIL_DOMAIN = "demo.corebank.test"
H = 60  # minutes in an hour

# priority -> (response minutes, resolution minutes)
CATEGORIES: dict[str, tuple[str, dict[str, tuple[int, int]]]] = {
    "GENERAL": ("General question", {"low": (24 * H, 5 * 24 * H), "normal": (8 * H, 3 * 24 * H),
                                     "high": (4 * H, 24 * H), "urgent": (H, 8 * H)}),
    "PAYMENT": ("Payment enquiry", {"low": (8 * H, 3 * 24 * H), "normal": (4 * H, 2 * 24 * H),
                                    "high": (2 * H, 24 * H), "urgent": (30, 4 * H)}),
    "ACCOUNT": ("Account servicing", {"low": (24 * H, 5 * 24 * H), "normal": (8 * H, 3 * 24 * H),
                                      "high": (4 * H, 2 * 24 * H), "urgent": (H, 8 * H)}),
    "COMPLAINT": ("Complaint", {"normal": (4 * H, 5 * 24 * H), "high": (2 * H, 3 * 24 * H),
                                "urgent": (H, 24 * H)}),
}
TEAMS = {"Support": ("First-line customer support", ("demo_support_agent", "demo_operations")),
         "Payments": ("Payment investigations: missing, returned and held payments", ("demo_operations",))}

# (customer index, subject, category, priority, team, link, hours ago, steps)
# steps: ("assign", username) | (action, reason) | ("reply"/"note", body)
TICKETS = [
    (0, "Transfer to my landlord has not arrived", "PAYMENT", "high", "Payments", "payment", 30,
     [("assign", "demo_operations"), ("open", ""),
      ("note", "Payment posted on our side; asked the receiving bank for a trace.")]),
    (1, "Please update my postal address", "ACCOUNT", "normal", "Support", "account", 2, []),
    (2, "Why was I charged a fee this month?", "GENERAL", "normal", "Support", "account", 20,
     [("assign", "demo_support_agent"), ("open", ""),
      ("reply", "The monthly package fee applies since your balance fell below the free threshold. "
                "Would you like us to look at a cheaper package?"),
      ("wait_on_customer", "asked whether to change the package")]),
    (3, "Incoming salary payment missing", "PAYMENT", "urgent", "Payments", "", 6,
     [("open", ""), ("note", "No incoming payment matching the employer's name in the last five days.")]),
    (4, "Request for a statement for my mortgage application", "ACCOUNT", "low", "Support", "account", 72,
     [("assign", "demo_support_agent"), ("open", ""),
      ("reply", "Your statement for the last three months is available in the app under Documents."),
      ("resolve", "statement sent")]),
    (5, "Cannot sign in to the app", "GENERAL", "high", "Support", "", 120,
     [("assign", "demo_support_agent"), ("open", ""),
      ("reply", "We have reset your app registration; please register the app again."),
      ("resolve", "app registration reset"), ("close", "")]),
]


def _teams(users: dict[str, object]) -> dict[str, Team]:
    teams = {}
    for name, (description, usernames) in TEAMS.items():
        team = Team.objects.filter(name=name).first() or services.team_create(name=name, description=description)
        wanted = [users[u] for u in usernames if u in users]
        if wanted:
            team.members.add(*wanted)
        teams[name] = team
    return teams


def _categories() -> int:
    created = 0
    for code, (name, slas) in CATEGORIES.items():
        if not Category.objects.filter(code=code).exists():
            services.category_create(code=code, name=name, slas=slas)
            created += 1
    return created


def _link(customer: Customer, kind: str) -> dict:
    if kind == "account":
        account = customer.accounts.order_by("id").first()
        return {"account_id": account.pk} if account else {}
    if kind == "payment":
        payment = Payment.objects.filter(customer_id_debtor=customer.pk, status=Payment.Status.POSTED,
                                         kind=Payment.Kind.OUTGOING).order_by("-id").first()
        return {"payment_id": payment.pk} if payment else {}
    return {}


@transaction.atomic
def load_demo(*, stdout=None) -> None:
    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    users = {u.username: u for u in get_user_model().objects.filter(
        username__in={name for _d, names in TEAMS.values() for name in names})}
    teams = _teams(users)
    new_categories = _categories()
    customers = list(Customer.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").order_by("id"))
    if not customers:
        say(f"Tickets demo: {len(teams)} teams, {new_categories} categories created; no demo customers "
            f"(@{DEMO_EMAIL_DOMAIN}) exist, so no tickets were created.")
        return
    supervisor = users.get("demo_operations")
    if supervisor is not None and not supervisor.has_perm(MANAGE):
        supervisor = None
    created = 0
    now = timezone.now()
    for index, subject, category, priority, team, link, hours_ago, steps in TICKETS:
        customer = customers[index % len(customers)]
        if Ticket.objects.filter(customer=customer, subject=subject).exists():
            continue
        start = now - dt.timedelta(hours=hours_ago)
        ticket = services.ticket_create(customer_id=customer.pk, category_code=category, subject=subject,
                                        priority=priority, team_id=teams[team].pk, now=start,
                                        description=f"{subject}. Raised by the customer by phone.",
                                        **_link(customer, link))
        created += 1
        if supervisor is None:
            continue
        for step, (kind, text) in enumerate(steps, start=1):
            at = min(now, start + dt.timedelta(minutes=20 * step))
            if kind == "assign":
                if text in users:
                    services.ticket_assign(ticket_id=ticket.pk, assignee_id=users[text].pk, actor=supervisor,
                                           reason="demo", now=at)
            elif kind in ("reply", "note"):
                visibility = (TicketMessage.Visibility.CUSTOMER_REPLY if kind == "reply"
                              else TicketMessage.Visibility.INTERNAL_NOTE)
                services.message_post(ticket_id=ticket.pk, body=text, visibility=visibility, actor=supervisor, now=at)
            else:
                services.ticket_transition(ticket_id=ticket.pk, action=kind, actor=supervisor, reason=text, now=at)
    escalated = services.escalate_breaches(now=now)
    note = "" if supervisor is not None else " (left new: demo_operations may not manage tickets yet)"
    say(f"Tickets demo: {len(teams)} teams, {new_categories} categories and {created} tickets created{note}; "
        f"escalated {escalated['response']} response and {escalated['resolution']} resolution breach(es).")
