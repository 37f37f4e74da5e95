"""The authorization matrix (issue 16, "Tests"): who gets through which door.

What it is
    ``API_ROUTES``: one row per (route, HTTP method) of every URL pattern under ``/api/`` (the route
    string as ``django.urls.get_resolver()`` builds it; the methods the view class implements among
    GET/POST/PUT/PATCH/DELETE), giving the token scope the view requires (``required_scopes``) and
    the set of roles allowed through the door. ``ADMIN_VIEW``: per registered ModelAdmin, the roles
    whose staff session gets its changelist (200; the others get 403). ``ADMIN_ACTIONS``: per
    (model, admin action), the roles it is offered to (the role reaches the changelist and
    ``get_actions`` lists the action).

    "Allowed through the door" means the answer is neither 401 nor 403 ``permission_denied`` (a 404
    for a missing id, 400/415/422 for an empty body, 202, 409, a service's own 403 such as
    ``initiation_forbidden`` or ``kyc_permission_refused`` are all past it). ``tests/authz/
    test_api_matrix.py`` checks each row for every role with a 2FA-verified staff session (not for
    ``api_client``, a machine-only role) and a bank-channel token carrying the scope, checks that a
    token of every role lacking the scope is refused, and that an anonymous caller gets 401.
    ``tests/authz/test_admin_matrix.py`` checks the admin tables with each staff role's session.

How to add a row
    A new route, method, admin model or admin action fails ``test_every_api_route_has_a_row`` /
    ``test_every_admin_model_and_action_has_a_row`` until it has a row here. Add it with the roles
    that *should* pass (``door(scope, {OPS, FIN})``; ``NONE`` for nobody, ``ALL`` for a public
    page), run ``pytest tests/authz``, and read any disagreement as a finding, not as a typo.
    ``flag=`` records a reviewer's doubt about a row that matches the code today (shown in
    failures, changes nothing). ``xfail=`` marks a known bug: ``roles`` is then the *intended*
    outcome and the row's test is an expected failure (strict), so it turns green, and must be
    unmarked, when the bug is fixed.

Size
    API: 7 roles (6 staff roles + ``api_client``) x 124 (route, method) rows over 99 URL patterns
    (96 under /api/v1/, plus the schema, Swagger and ReDoc pages); 129 concrete URL+method pairs
    (the account transition route has six verbs), about 2,680 requests per run: per role a staff
    session (not api_client), a token with the scope and a token lacking it, plus an anonymous call.
    Admin: 50 registered models x 6 staff roles for the changelist, and 50 (model, action) rows x
    6 staff roles for the actions.
"""

from __future__ import annotations

from typing import NamedTuple

OPS, CR, CO, SUP = "operations", "compliance_reviewer", "compliance_officer", "support_agent"
FIN, ADM, API = "finance", "administrator", "api_client"
NONE: frozenset[str] = frozenset()
ALL = "*"  # a public page (AllowAny): every role, and anonymous callers too


class Door(NamedTuple):
    scope: str | None  # the view's required_scopes (one at most today); None: no scope
    roles: frozenset[str] | str  # roles allowed through (the intended ones when xfail is set); or ALL
    flag: str = ""  # a reviewer's doubt about today's behaviour (kept as it is)
    xfail: str = ""  # a known bug: the row fails today; roles say what it should be


class Grant(NamedTuple):
    roles: frozenset[str]
    flag: str = ""
    xfail: str = ""


def door(scope: str | None, roles, *, flag: str = "", xfail: str = "") -> Door:
    return Door(scope, roles if roles == ALL else frozenset(roles), flag, xfail)


def grant(roles, *, flag: str = "", xfail: str = "") -> Grant:
    return Grant(frozenset(roles), flag, xfail)


# Flags shared by several rows (the report of issue 16 lists them with their reasons).
TOKEN_ISSUE = ("every staff role passes the door (any staff member may own an API client); the service issues a "
               "token only to the client's owner (403 token_issue_forbidden otherwise), so an administrator cannot "
               "mint a finance client's token")
ADMIN_WORKS_TICKETS = "administrator works customer tickets (tickets.work_ticket): not an administrator's job"
PUBLIC_SCHEMA = ("AllowAny: the whole API description is served to anonymous callers, in production too "
                 "(no SPECTACULAR_SETTINGS['SERVE_PERMISSIONS'])")
FX_AND_TRADE = ("operations both sets FX rates and initiates FX payments (segregation of duties: the rate setter "
                "can trade on the rate it set)")
OVERDRAFT = "operations grants overdrafts (credit exposure) with no maker-checker (workflows.md: not guarded)"
COMPLIANCE_RELEASES = ("compliance releases/rejects held payments: a review decision (by design), but it lets money "
                       "leave; releases at or above 50,000 EUR go through maker-checker")
FINANCE_POSTS_DIRECT = ("finance posts raw transfers, holds and bulk entries with no second person (workflows.md: "
                        "transfers are not guarded); adjustments and reversals are")
RUN_TASKS = ("administrator runs any periodic task now (and may add one naming any registered Celery task); "
             "none moves money today, the end-of-day batch will")
SUPPORT_READS_JOURNAL = ("support_agent reads every journal entry and hold of the bank (ledger.view_journalentry), "
                         "GL and internal entries included, where account statements would answer a customer")


API_ROUTES = {
    ("api/v1/ledger/entries/", "GET"): door("ledger", {OPS, CR, CO, SUP, FIN, API}, flag=SUPPORT_READS_JOURNAL),
    ("api/v1/ledger/entries/", "POST"): door("ledger", {FIN}, flag=FINANCE_POSTS_DIRECT),
    ("api/v1/ledger/entries/bulk/", "POST"): door("ledger", {FIN}, flag=FINANCE_POSTS_DIRECT),
    ("api/v1/ledger/entries/<int:entry_id>/", "GET"):
        door("ledger", {OPS, CR, CO, SUP, FIN, API}, flag=SUPPORT_READS_JOURNAL),
    ("api/v1/ledger/entries/<int:entry_id>/reverse/", "POST"): door("ledger", {FIN}),
    ("api/v1/ledger/accounts/", "GET"): door("ledger", {OPS, CR, CO, FIN, API}),
    ("api/v1/ledger/accounts/", "POST"): door("ledger", {FIN}),
    ("api/v1/ledger/accounts/<int:account_id>/", "GET"):
        door("ledger", {OPS, CR, CO, FIN, API}),
    ("api/v1/ledger/accounts/<int:account_id>/balance/", "GET"):
        door("ledger", {OPS, CR, CO, FIN, API}),
    ("api/v1/ledger/accounts/<int:account_id>/statement/", "GET"): door("ledger", {OPS, CR, CO, FIN, API}),
    ("api/v1/ledger/holds/", "POST"): door("ledger", {FIN}, flag=FINANCE_POSTS_DIRECT),
    ("api/v1/ledger/holds/<int:hold_id>/", "GET"):
        door("ledger", {OPS, CR, CO, SUP, FIN, API}, flag=SUPPORT_READS_JOURNAL),
    ("api/v1/ledger/holds/<int:hold_id>/post/", "POST"): door("ledger", {FIN}, flag=FINANCE_POSTS_DIRECT),
    ("api/v1/ledger/holds/<int:hold_id>/void/", "POST"): door("ledger", {FIN}, flag=FINANCE_POSTS_DIRECT),
    ("api/v1/ledger/trial-balance/", "GET"): door("ledger", {FIN}),
    ("api/v1/customers/", "GET"): door("customers", {OPS, CR, CO, SUP, API}),
    ("api/v1/customers/", "POST"): door("customers", {OPS, API}),
    ("api/v1/customers/<int:customer_id>/", "GET"): door("customers", {OPS, CR, CO, SUP, API}),
    ("api/v1/customers/<int:customer_id>/", "PATCH"): door("customers", {OPS}),
    ("api/v1/customers/<int:customer_id>/status/", "POST"): door("customers", {OPS}),
    ("api/v1/products/", "GET"): door("accounts", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/products/", "POST"): door("accounts", {FIN}),
    ("api/v1/products/<int:product_id>/", "GET"): door("accounts", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/accounts/", "GET"): door("accounts", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/accounts/", "POST"): door("accounts", {OPS, API}),
    ("api/v1/accounts/<int:account_id>/", "GET"): door("accounts", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/accounts/<int:account_id>/balance/", "GET"): door("accounts", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/accounts/<int:account_id>/interest/", "GET"): door("accounts", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/interest/schedules/", "GET"): door("interest", {OPS, SUP, FIN, API}),
    ("api/v1/interest/schedules/<int:schedule_id>/", "GET"): door("interest", {OPS, SUP, FIN, API}),
    ("api/v1/interest/schedules/<int:schedule_id>/rates/", "POST"): door("interest", {FIN}),
    ("api/v1/accounts/<int:account_id>/statement/", "GET"): door("accounts", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/accounts/<int:account_id>/close/", "POST"): door("accounts", {OPS}),
    ("api/v1/accounts/<int:account_id>/overdraft/", "POST"): door("accounts", {OPS}, flag=OVERDRAFT),
    ("api/v1/^accounts/(?P<account_id>[0-9]+)/(?P<action>freeze|unfreeze|block-debits|block-credits|unblock|reactivate)/$",
     "POST"):
        door("accounts", {OPS}),
    ("api/v1/payments/", "GET"): door("payments", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/payments/", "POST"): door("payments", {OPS, API}),
    ("api/v1/payments/preview/", "POST"): door("payments", {OPS, API}),
    ("api/v1/payments/<int:payment_id>/", "GET"): door("payments", {OPS, CR, CO, SUP, FIN, API}),
    ("api/v1/payments/<int:payment_id>/release/", "POST"): door("payments", {CR, CO}, flag=COMPLIANCE_RELEASES),
    ("api/v1/payments/<int:payment_id>/reject/", "POST"): door("payments", {CR, CO}, flag=COMPLIANCE_RELEASES),
    ("api/v1/payments/<int:payment_id>/return/", "POST"): door("payments", {OPS}),
    ("api/v1/fx/rates/", "GET"): door("payments", {OPS, FIN, API}),
    ("api/v1/fx/rates/", "POST"): door("payments", {OPS}, flag=FX_AND_TRADE),
    ("api/v1/fx/quotes/", "POST"): door("payments", {OPS, API}),
    ("api/v1/tariffs/plans/", "GET"): door("tariffs", {OPS, SUP, FIN}),
    ("api/v1/tariffs/plans/", "POST"): door("tariffs", {OPS}),
    ("api/v1/tariffs/plans/<int:plan_id>/", "GET"): door("tariffs", {OPS, SUP, FIN}),
    ("api/v1/tariffs/plans/<int:plan_id>/versions/", "POST"): door("tariffs", {OPS}),
    ("api/v1/tariffs/versions/<int:version_id>/", "GET"): door("tariffs", {OPS, SUP, FIN}),
    ("api/v1/tariffs/versions/<int:version_id>/rules/", "POST"): door("tariffs", {OPS}),
    ("api/v1/limits/profiles/", "GET"): door("limits", {OPS, SUP, FIN}),
    ("api/v1/limits/profiles/<int:profile_id>/", "GET"): door("limits", {OPS, SUP, FIN}),
    ("api/v1/limits/rules/", "GET"): door("limits", {OPS, SUP, FIN}),
    ("api/v1/limits/rules/", "POST"): door("limits", {OPS}),
    ("api/v1/limits/rules/<int:rule_id>/", "GET"): door("limits", {OPS, SUP, FIN}),
    ("api/v1/limits/rules/<int:rule_id>/", "PATCH"): door("limits", {OPS}),
    ("api/v1/limits/rules/<int:rule_id>/", "DELETE"): door("limits", {OPS}),
    ("api/v1/limits/accounts/<int:account_id>/allowance/", "GET"): door("limits", {OPS, SUP, FIN, API}),
    ("api/v1/tickets/", "GET"): door("tickets", {OPS, CR, CO, SUP, ADM, API}),
    ("api/v1/tickets/", "POST"): door("tickets", {OPS, SUP, API}),
    ("api/v1/tickets/queue/", "GET"): door("tickets", {OPS, CR, CO, SUP, ADM, API}),
    ("api/v1/tickets/teams/<int:team_id>/queue/", "GET"): door("tickets", {OPS, CR, CO, SUP, ADM, API}),
    ("api/v1/tickets/<int:ticket_id>/", "GET"): door("tickets", {OPS, CR, CO, SUP, ADM, API}),
    ("api/v1/tickets/<int:ticket_id>/messages/", "POST"): door("tickets", {OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("api/v1/tickets/<int:ticket_id>/assign/", "POST"): door("tickets", {OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("api/v1/tickets/<int:ticket_id>/open/", "POST"): door("tickets", {OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("api/v1/tickets/<int:ticket_id>/wait_on_customer/", "POST"):
        door("tickets", {OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("api/v1/tickets/<int:ticket_id>/resume/", "POST"): door("tickets", {OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("api/v1/tickets/<int:ticket_id>/resolve/", "POST"): door("tickets", {OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("api/v1/tickets/<int:ticket_id>/close/", "POST"): door("tickets", {OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("api/v1/tickets/<int:ticket_id>/reopen/", "POST"): door("tickets", {OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("api/v1/kyc/applications/", "GET"): door("kyc", {OPS, CR, CO, SUP, ADM, API}),
    ("api/v1/kyc/applications/", "POST"): door("kyc", {OPS, CR, CO, API}),
    ("api/v1/kyc/applications/<int:application_id>/", "GET"): door("kyc", {OPS, CR, CO, SUP, ADM, API}),
    ("api/v1/kyc/applications/<int:application_id>/documents/", "POST"): door("kyc", {OPS, API}),
    ("api/v1/kyc/applications/<int:application_id>/documents/<int:document_id>/download/", "GET"):
        door("kyc", {OPS, CR, CO}),
    ("api/v1/kyc/applications/<int:application_id>/assign/", "POST"): door("kyc", {OPS, CO}),
    ("api/v1/kyc/applications/<int:application_id>/submit/", "POST"):
        door("kyc", {OPS, CR, CO, API}),
    ("api/v1/kyc/applications/<int:application_id>/start-review/", "POST"):
        door("kyc", {CR, CO}),
    ("api/v1/kyc/applications/<int:application_id>/request-information/", "POST"):
        door("kyc", {CR, CO}),
    ("api/v1/kyc/applications/<int:application_id>/resubmit/", "POST"):
        door("kyc", {OPS, CR, CO, API}),
    ("api/v1/kyc/applications/<int:application_id>/approve/", "POST"):
        door("kyc", {CR, CO}),
    ("api/v1/kyc/applications/<int:application_id>/reject/", "POST"):
        door("kyc", {CR, CO}),
    ("api/v1/approvals/", "GET"): door("approvals", {OPS, CR, CO, FIN, ADM, API}),
    ("api/v1/approvals/", "POST"): door("approvals", {OPS, CR, CO, FIN, ADM, API}),
    ("api/v1/approvals/inbox/", "GET"): door("approvals", {OPS, CO, FIN}),
    ("api/v1/approvals/<int:request_id>/", "GET"): door("approvals", {OPS, CR, CO, FIN, ADM, API}),
    ("api/v1/approvals/<int:request_id>/approve/", "POST"): door("approvals", {OPS, CO, FIN}),
    ("api/v1/approvals/<int:request_id>/reject/", "POST"): door("approvals", {OPS, CO, FIN}),
    ("api/v1/approvals/<int:request_id>/cancel/", "POST"): door("approvals", {OPS, CR, CO, FIN, ADM, API}),
    ("api/v1/approvals/<int:request_id>/retry/", "POST"): door("approvals", {OPS, CO, FIN}),
    ("api/v1/deposits/", "GET"): door("deposits", {OPS, CO, SUP, FIN, API}),
    ("api/v1/deposits/", "POST"): door("deposits", {OPS, API}),
    ("api/v1/deposits/products/", "GET"): door("deposits", {OPS, SUP, FIN, API}),
    ("api/v1/deposits/products/", "POST"): door("deposits", {FIN}),
    ("api/v1/deposits/<int:deposit_id>/", "GET"): door("deposits", {OPS, CO, SUP, FIN, API}),
    ("api/v1/deposits/<int:deposit_id>/withdraw/", "POST"): door("deposits", {OPS, API}),
    ("api/v1/deposits/<int:deposit_id>/accruals/", "GET"): door("deposits", {OPS, CO, SUP, FIN, API}),
    ("api/v1/loans/products/", "GET"): door("loans", {OPS, SUP, FIN, API}),
    ("api/v1/loans/products/", "POST"): door("loans", {FIN}),
    ("api/v1/loans/products/<int:product_id>/", "GET"): door("loans", {OPS, SUP, FIN, API}),
    ("api/v1/loans/", "GET"): door("loans", {OPS, CO, SUP, FIN, API}),
    ("api/v1/loans/", "POST"): door("loans", {OPS, API}),
    ("api/v1/loans/<int:loan_id>/", "GET"): door("loans", {OPS, CO, SUP, FIN, API}),
    ("api/v1/loans/<int:loan_id>/approve/", "POST"): door("loans", {FIN}),
    ("api/v1/loans/<int:loan_id>/disburse/", "POST"): door("loans", {OPS}),
    ("api/v1/loans/<int:loan_id>/repayments/", "GET"): door("loans", {OPS, CO, SUP, FIN, API}),
    ("api/v1/loans/<int:loan_id>/repayments/", "POST"): door("loans", {OPS, API}),
    ("api/v1/loans/<int:loan_id>/early-repayment/", "GET"): door("loans", {OPS, CO, SUP, FIN, API}),
    ("api/v1/loans/<int:loan_id>/early-repayment/", "POST"): door("loans", {OPS, API}),
    ("api/v1/loans/<int:loan_id>/write-off/", "POST"): door("loans", {FIN}),
    ("api/v1/eod/runs/", "GET"): door("eod", {OPS, CO, FIN}),
    ("api/v1/eod/runs/", "POST"): door("eod", {OPS, FIN}),
    ("api/v1/eod/runs/<str:business_date>/", "GET"): door("eod", {OPS, CO, FIN}),
    ("api/v1/eod/runs/<str:business_date>/chunks/", "GET"): door("eod", {OPS, CO, FIN}),
    ("api/v1/eod/calendar/", "GET"): door("eod", {OPS, CO, FIN}),
    ("api/v1/events/", "GET"): door("events", {OPS, CO, FIN, API}),
    ("api/v1/settlement/batches/", "GET"): door("settlement", {OPS, CO, FIN}),
    ("api/v1/settlement/batches/<int:batch_id>/", "GET"): door("settlement", {OPS, CO, FIN}),
    ("api/v1/settlement/files/<int:file_id>/", "GET"): door("settlement", {OPS, CO, FIN}),
    ("api/v1/reconciliation/statements/", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/statements/", "POST"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/statements/<int:statement_id>/", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/statements/<int:statement_id>/lines/", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/matches/", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/matches/", "POST"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/matches/<int:match_id>/unmatch/", "POST"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/matches/<int:match_id>/confirm/", "POST"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/breaks/", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/breaks/ageing/", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/breaks/<int:break_id>/", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/breaks/<int:break_id>/assign/", "POST"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/breaks/<int:break_id>/investigate/", "POST"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/breaks/<int:break_id>/write-off/", "POST"): door("reconciliation", {FIN}),
    ("api/v1/reconciliation/breaks/<int:break_id>/resolve/", "POST"): door("reconciliation", {FIN}),
    ("api/v1/reconciliation/safeguarding/", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/reconciliation/safeguarding/export.csv", "GET"): door("reconciliation", {OPS, FIN}),
    ("api/v1/compliance/alerts/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/alerts/<int:alert_id>/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/alerts/<int:alert_id>/decide/", "POST"): door("compliance", {CR, CO}),
    ("api/v1/compliance/cases/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/cases/<int:case_id>/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/cases/<int:case_id>/transitions/", "POST"): door("compliance", {CR, CO}),
    ("api/v1/compliance/cases/<int:case_id>/assign/", "POST"): door("compliance", {CR, CO}),
    ("api/v1/compliance/cases/<int:case_id>/notes/", "POST"): door("compliance", {CR, CO}),
    ("api/v1/compliance/cases/<int:case_id>/attachments/", "POST"): door("compliance", {CR, CO}),
    ("api/v1/compliance/cases/<int:case_id>/attachments/<int:attachment_id>/download/", "GET"):
        door("compliance", {CR, CO}),
    ("api/v1/compliance/cases/<int:case_id>/report/", "GET"): door("compliance", {CO}),
    ("api/v1/compliance/cases/<int:case_id>/report/", "POST"): door("compliance", {CO}),
    ("api/v1/compliance/screening/lists/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/screening/lists/<str:code>/versions/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/screening/lists/<str:code>/versions/", "POST"): door("compliance", {CO}),
    ("api/v1/compliance/screening/screen/", "POST"): door("compliance", {CR, CO}),
    ("api/v1/compliance/screening/hits/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/screening/hits/<int:hit_id>/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/screening/hits/<int:hit_id>/decide/", "POST"): door("compliance", {CR, CO}),
    ("api/v1/compliance/monitoring/rules/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/monitoring/rules/", "POST"): door("compliance", {CO}),
    ("api/v1/compliance/monitoring/rules/<int:rule_id>/", "GET"): door("compliance", {CR, CO}),
    ("api/v1/compliance/monitoring/rules/<int:rule_id>/versions/", "POST"): door("compliance", {CO}),
    ("api/v1/compliance/monitoring/rules/<int:rule_id>/activate/", "POST"): door("compliance", {CO}),
    ("api/v1/compliance/monitoring/rules/<int:rule_id>/deactivate/", "POST"): door("compliance", {CO}),
    ("api/v1/me/", "GET"): door(None, {OPS, CR, CO, SUP, FIN, ADM, API}),
    ("api/v1/api-clients/", "GET"): door("api_clients", {ADM}),
    ("api/v1/api-clients/", "POST"): door("api_clients", {ADM}),
    ("api/v1/api-clients/<int:client_id>/", "GET"): door("api_clients", {ADM}),
    ("api/v1/api-clients/<int:client_id>/", "PATCH"): door("api_clients", {ADM}),
    ("api/v1/api-clients/<int:client_id>/tokens/", "GET"): door("api_clients", {ADM}),
    ("api/v1/api-clients/<int:client_id>/tokens/", "POST"):
        door("api_clients", {OPS, CR, CO, SUP, FIN, ADM}, flag=TOKEN_ISSUE),
    ("api/v1/api-tokens/<str:prefix>/revoke/", "POST"): door("api_clients", {ADM}),
    ("api/schema/", "GET"): door(None, ALL, flag=PUBLIC_SCHEMA),
    ("api/docs/", "GET"): door(None, ALL, flag=PUBLIC_SCHEMA),
    ("api/redoc/", "GET"): door(None, ALL, flag=PUBLIC_SCHEMA),
}
ADMIN_VIEW = {
    "accounts.account": grant({OPS, CR, CO, SUP, FIN}),
    "accounts.product": grant({OPS, CR, CO, SUP, FIN}),
    "api_clients.apiclient": grant({ADM}),
    "api_clients.apitoken": grant({ADM}),
    "approvals.approvalpolicy": grant({OPS, CR, CO, FIN, ADM}),
    "approvals.approvalrequest": grant({OPS, CR, CO, FIN, ADM}),
    "audit.auditevent": grant({CO, ADM}),
    "auth.group": grant({ADM}),
    "auth.user": grant({ADM}),
    "axes.accessattempt": grant({ADM}),
    "axes.accessfailurelog": grant(NONE),
    "axes.accesslog": grant(NONE),
    "compliance_cases.alert": grant({CR, CO}),
    "compliance_cases.case": grant({CR, CO}),
    "compliance_monitoring.monitoringrule": grant({CR, CO}),
    "compliance_screening.listentry": grant({CR, CO}),
    "compliance_screening.listversion": grant({CR, CO}),
    "compliance_screening.screeninghit": grant({CR, CO}),
    "compliance_screening.watchlist": grant({CR, CO}),
    "customers.customer": grant({OPS, CR, CO, SUP}),
    "deposits.depositaccrual": grant({OPS, CO, SUP, FIN}),
    "deposits.depositproduct": grant({OPS, SUP, FIN}),
    "deposits.termdeposit": grant({OPS, CO, SUP, FIN}),
    "django_celery_beat.clockedschedule": grant({ADM}),
    "eod.eodchunk": grant({OPS, CO, FIN}),
    "eod.eodrun": grant({OPS, CO, FIN}),
    "events.event": grant({OPS, CO, FIN}),
    "webhooks.delivery": grant({OPS, CO, ADM}),
    "webhooks.subscription": grant({OPS, CO, ADM}),
    "django_celery_beat.crontabschedule": grant({ADM}),
    "django_celery_beat.intervalschedule": grant({ADM}),
    "django_celery_beat.periodictask": grant({ADM}),
    "django_celery_beat.solarschedule": grant({ADM}),
    "interest.interestaccrual": grant({OPS, CO, SUP, FIN}),
    "interest.interestcapitalisation": grant({OPS, CO, SUP, FIN}),
    "interest.interestrate": grant({OPS, SUP, FIN}),
    "interest.interestrateschedule": grant({OPS, SUP, FIN}),
    "kyc.kycapplication": grant({OPS, CR, CO, SUP, ADM}),
    "ledger.businessday": grant({OPS, CR, CO, SUP, FIN}),
    "ledger.currency": grant({FIN, ADM}),
    "ledger.hold": grant({OPS, CR, CO, SUP, FIN}, flag=SUPPORT_READS_JOURNAL),
    "ledger.journalentry": grant({OPS, CR, CO, SUP, FIN}, flag=SUPPORT_READS_JOURNAL),
    "ledger.ledgeraccount": grant({OPS, CR, CO, FIN}),
    "ledger.posting": grant({OPS, CR, CO, SUP, FIN}, flag=SUPPORT_READS_JOURNAL),
    "limits.limitprofile": grant({OPS, SUP, FIN}),
    "limits.limitrule": grant({OPS, SUP, FIN}),
    "limits.limitusage": grant({OPS, SUP, FIN}),
    "limits.limitusagerecord": grant({OPS}),
    "loans.loan": grant({OPS, CO, SUP, FIN}),
    "loans.loanproduct": grant({OPS, SUP, FIN}),
    "otp_static.staticdevice": grant({ADM}),
    "otp_totp.totpdevice": grant({ADM}),
    "payments.bookingaccount": grant({OPS, FIN}),
    "payments.fxquote": grant({OPS}),
    "payments.fxrate": grant({OPS, FIN}),
    "payments.payment": grant({OPS, CR, CO, SUP, FIN}),
    "tariffs.customertariff": grant({OPS, SUP, FIN}),
    "reconciliation.break": grant({OPS, FIN}),
    "settlement.batch": grant({OPS, CO, FIN}),
    "settlement.batchitem": grant({OPS, CO, FIN}),
    "settlement.settlementfile": grant({OPS, CO, FIN}),
    "settlement.suspenseitem": grant({OPS, CO, FIN}),
    "reconciliation.externalaccount": grant({OPS, FIN}),
    "reconciliation.match": grant({OPS, FIN}),
    "reconciliation.safeguardingcheck": grant({OPS, FIN}),
    "reconciliation.statement": grant({OPS, FIN}),
    "reconciliation.statementline": grant({OPS, FIN}),
    "tariffs.feerule": grant({OPS, SUP, FIN}),
    "tariffs.feeusage": grant({OPS, SUP, FIN}),
    "tariffs.tariffplan": grant({OPS, SUP, FIN}),
    "tariffs.tariffversion": grant({OPS, SUP, FIN}),
    "tickets.category": grant({OPS, SUP, ADM}),
    "tickets.team": grant({OPS, SUP, ADM}),
    "tickets.ticket": grant({OPS, CR, CO, SUP, ADM}),
}
ADMIN_ACTIONS = {
    ("accounts.account", "close_accounts"): grant({OPS}),
    ("accounts.account", "freeze_accounts"): grant({OPS}),
    ("accounts.account", "unfreeze_accounts"): grant({OPS}),
    ("api_clients.apiclient", "issue_token_90_days"): grant({ADM}, flag=TOKEN_ISSUE),
    ("api_clients.apiclient", "issue_token_without_expiry"): grant({ADM}, flag=TOKEN_ISSUE),
    ("api_clients.apitoken", "revoke"): grant({ADM}),
    ("approvals.approvalrequest", "approve_selected"): grant({OPS, CO, FIN}),
    ("reconciliation.externalaccount", "automatch_now"): grant({OPS, FIN}),
    ("settlement.batch", "cancel_selected"): grant({OPS}),
    ("settlement.batch", "close_due_now"): grant({OPS}),
    ("settlement.suspenseitem", "return_to_sender"): grant({OPS}),
    ("approvals.approvalrequest", "cancel_selected"): grant({OPS, CR, CO, FIN, ADM}),
    ("approvals.approvalrequest", "reject_selected"): grant({OPS, CO, FIN}),
    ("approvals.approvalrequest", "retry_selected"): grant({OPS, CO, FIN}),
    ("auth.group", "delete_selected"): grant(NONE),
    ("auth.user", "delete_selected"): grant(NONE),
    ("auth.user", "remove_role"): grant({ADM}),
    ("auth.user", "request_role"): grant({ADM}),
    ("axes.accessattempt", "cleanup_expired_attempts"): grant({ADM}),
    ("axes.accessattempt", "delete_selected"): grant({ADM}),
    ("axes.accessfailurelog", "delete_selected"): grant(NONE),
    ("axes.accesslog", "delete_selected"): grant(NONE),
    ("compliance_cases.case", "assign_to_me"): grant({CR, CO}),
    ("compliance_cases.case", "escalate_selected"): grant({CR, CO}),
    ("compliance_monitoring.monitoringrule", "activate_selected"): grant({CO}),
    ("compliance_monitoring.monitoringrule", "deactivate_selected"): grant({CO}),
    ("customers.customer", "activate_customers"): grant({OPS}),
    ("customers.customer", "close_customers"): grant({OPS}),
    ("customers.customer", "suspend_customers"): grant({OPS}),
    ("deposits.termdeposit", "withdraw_early"): grant({OPS}),
    ("django_celery_beat.clockedschedule", "delete_selected"): grant({ADM}),
    ("django_celery_beat.crontabschedule", "delete_selected"): grant({ADM}),
    ("django_celery_beat.intervalschedule", "delete_selected"): grant({ADM}),
    ("django_celery_beat.periodictask", "delete_selected"): grant({ADM}),
    ("django_celery_beat.periodictask", "disable_tasks"): grant({ADM}),
    ("django_celery_beat.periodictask", "enable_tasks"): grant({ADM}),
    ("django_celery_beat.periodictask", "run_tasks"): grant({ADM}, flag=RUN_TASKS),
    ("django_celery_beat.periodictask", "toggle_tasks"): grant({ADM}),
    ("django_celery_beat.solarschedule", "delete_selected"): grant({ADM}),
    ("eod.eodrun", "rerun_selected"): grant({OPS, FIN}),
    ("webhooks.delivery", "redeliver_selected"): grant({OPS}),
    ("webhooks.subscription", "run_relay"): grant({OPS}),
    ("kyc.kycapplication", "approve_selected"): grant({CR, CO}),
    ("kyc.kycapplication", "start_review_selected"): grant({CR, CO}),
    ("loans.loan", "approve_selected"): grant({FIN}),
    ("loans.loan", "disburse_selected"): grant({OPS}),
    ("loans.loan", "write_off_selected"): grant({FIN}),
    ("otp_static.staticdevice", "delete_selected"): grant({ADM}),
    ("otp_totp.totpdevice", "delete_selected"): grant({ADM}),
    ("payments.payment", "reject_selected"): grant({CR, CO}),
    ("payments.payment", "release_selected"): grant({CR, CO}),
    ("tariffs.customertariff", "delete_selected"): grant({OPS}),
    ("tickets.ticket", "assign_selected"): grant({OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("tickets.ticket", "claim_selected"): grant({OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("tickets.ticket", "close_selected"): grant({OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("tickets.ticket", "open_selected"): grant({OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("tickets.ticket", "reopen_selected"): grant({OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("tickets.ticket", "resolve_selected"): grant({OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("tickets.ticket", "resume_selected"): grant({OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
    ("tickets.ticket", "wait_selected"): grant({OPS, SUP, ADM}, flag=ADMIN_WORKS_TICKETS),
}
