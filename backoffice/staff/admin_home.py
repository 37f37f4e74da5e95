"""The home page per person: the queues and figures of their roles, each with a link; the same
panels on the admin's index (``/admin/``, where sign-in lands) and on the staff home (``/staff/``),
the staff pages of the daily work first.

Each ``Item`` names the permission it needs; a person sees the items their roles (or a
superuser's rights) allow, grouped by the kind of work, with a count and a link to the filtered
list. Counts are single indexed ``COUNT`` queries on small state filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .roles import roles_of


def person_label(user) -> str:
    """``Ada Lovelace (operations, finance)``: who is signed in, by name, with their roles."""
    if not getattr(user, "is_authenticated", False):
        return ""
    name = user.get_full_name().strip() or user.get_username()
    roles = [role.replace("_", " ") for role in roles_of(user)]
    if user.is_superuser:
        roles.insert(0, "superuser")
    return f"{name} ({', '.join(roles)})" if roles else name


@dataclass(frozen=True)
class Item:
    label: str
    #: A permission, a tuple of them (any one), or None (any member of staff).
    permission: str | tuple[str, ...] | None
    url_name: str
    query: str = ""
    count: Callable[[], int] | None = None

    def allowed(self, user) -> bool:
        if self.permission is None:
            return bool(user.is_staff)
        permissions = (self.permission,) if isinstance(self.permission, str) else self.permission
        return any(user.has_perm(permission) for permission in permissions)


def _count(model_path: str, **filters) -> Callable[[], int]:
    def run() -> int:
        from django.apps import apps

        return apps.get_model(model_path).objects.filter(**filters).count()
    return run


#: Who may use the staff search box (``backoffice.staff.pages.search.SEARCH_PERMISSIONS``).
SEARCH = ("customers.view_customer", "accounts.view_account", "payments.view_payment", "ledger.view_journalentry",
          "tickets.view_ticket", "compliance_cases.view_case")

PANELS: tuple[tuple[str, tuple[Item, ...]], ...] = (
    # The staff pages built for the daily work (docs/staff-pages.md), first: where a role starts.
    ("Daily work", (
        Item("Search everywhere", SEARCH, "staff:search"),
        Item("Transaction look-up", "payments.view_payment", "staff:transactions"),
        Item("My work queues", None, "staff:queues"),
        Item("Operations dashboard", "staff.view_operations_dashboard", "staff:dashboard"),
        Item("Compliance queue", "compliance_cases.view_case", "compliance_staff:queue"),
        Item("Reconciliation", "reconciliation.view_statementline", "reconciliation_staff:index"),
    )),
    ("Decisions waiting", (
        Item("Approval requests pending", "approvals.view_approvalrequest",
             "admin:approvals_approvalrequest_changelist", "status__exact=pending",
             _count("approvals.ApprovalRequest", status="pending")),
        Item("Payments held for review", "payments.view_payment", "admin:payments_payment_changelist",
             "status__exact=pending_review", _count("payments.Payment", status="pending_review")),
        Item("KYC applications submitted", "kyc.view_kycapplication", "admin:kyc_kycapplication_changelist",
             "status__exact=submitted", _count("kyc.KycApplication", status="submitted")),
        Item("KYC applications in review", "kyc.view_kycapplication", "admin:kyc_kycapplication_changelist",
             "status__exact=in_review", _count("kyc.KycApplication", status="in_review")),
    )),
    ("Compliance", (
        Item("Open compliance cases", "compliance_cases.view_case", "admin:compliance_cases_case_changelist",
             "status__exact=open", _count("compliance_cases.Case", status="open")),
        Item("Open alerts", "compliance_cases.view_alert", "admin:compliance_cases_alert_changelist",
             "status__exact=open", _count("compliance_cases.Alert", status="open")),
        Item("Customers waiting for KYC", "customers.view_customer", "admin:customers_customer_changelist",
             "kyc_status__exact=pending", _count("customers.Customer", kyc_status="pending")),
    )),
    ("Support", (
        Item("My ticket queue", "tickets.view_ticket", "admin:tickets_ticket_changelist", "queue=mine"),
        Item("Tickets past their SLA", "tickets.view_ticket", "admin:tickets_ticket_changelist", "sla=breached"),
        Item("New tickets", "tickets.view_ticket", "admin:tickets_ticket_changelist", "status__exact=new",
             _count("tickets.Ticket", status="new")),
    )),
    ("Operations", (
        Item("Frozen accounts", "accounts.view_account", "admin:accounts_account_changelist", "status__exact=frozen",
             _count("accounts.Account", status="frozen")),
        Item("Failed end-of-day runs", "eod.view_eodrun", "admin:eod_eodrun_changelist", "status__exact=failed",
             _count("eod.EodRun", status="failed")),
        Item("Payments", "payments.view_payment", "admin:payments_payment_changelist"),
        Item("Settlement batches", "settlement.view_batch", "admin:settlement_batch_changelist"),
        Item("Incoming credits in suspense", "settlement.view_suspenseitem", "admin:settlement_suspenseitem_changelist",
             "status__exact=open", _count("settlement.SuspenseItem", status="open")),
        Item("Customers", "customers.view_customer", "admin:customers_customer_changelist"),
    )),
    ("Finance", (
        Item("Trial balance", "ledger.view_trial_balance", "admin:ledger_trial_balance"),
        Item("Ledger accounts", "ledger.view_ledgeraccount", "admin:ledger_ledgeraccount_changelist"),
        Item("Journal entries", "ledger.view_journalentry", "admin:ledger_journalentry_changelist"),
        Item("Open reconciliation breaks", "reconciliation.view_break", "admin:reconciliation_break_changelist",
             "status__exact=open", _count("reconciliation.Break", status="open")),
    )),
    ("Administration", (
        Item("Staff users", "auth.view_user", "admin:auth_user_changelist"),
        Item("API clients", "api_clients.view_apiclient", "admin:api_clients_apiclient_changelist"),
        Item("Failed sign-ins", "axes.view_accessattempt", "admin:axes_accessattempt_changelist"),
        Item("Audit trail", "audit.view_auditevent", "admin:audit_auditevent_changelist"),
    )),
)


def panels_for(request) -> list[dict]:
    """The panels with the items ``request.user`` may open: [{title, items: [{label, url, count}]}]."""
    user = request.user
    panels = []
    for title, items in PANELS:
        shown = []
        for item in items:
            if not item.allowed(user):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            shown.append({"label": item.label, "url": f"{url}?{item.query}" if item.query else url,
                          "count": item.count() if item.count else None})
        if shown:
            panels.append({"title": title, "items": shown})
    return panels
