"""The compliance case permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* ``compliance_cases.view_case`` / ``view_alert``: the queue, the case page and the alerts (with
  the customer's data in full: the compliance roles hold ``customers.view_customer_pii``).
* ``compliance_cases.work_case``: investigate, escalate, close, notes and attachments, *on the
  cases assigned to them* (guardian object permission ``work_case``), and claim an unassigned case.
* ``compliance_cases.decide_alert``: clear or confirm an alert of a case one may work; a held
  payment is released or rejected with it (that also needs ``payments.review_payment``, which both
  compliance roles hold; a large release goes through maker-checker).
* ``compliance_cases.manage_case``: act on any case, assign and reassign.
* ``compliance_cases.report_case`` and ``view_suspiciousactivityreport``: file and read the
  suspicious activity report (the regulator's copy, full personal data; tipping-off rules keep it
  to officers).

Roles:

* compliance_reviewer: works the cases assigned to them and decides their alerts.
* compliance_officer: also supervises (any case, assignment) and files reports.
* operations, support_agent, finance, administrator, api_client: nothing. Investigations are
  confidential (no tipping off): support answers customers and must not see that a case exists;
  administrators run the platform. A partner's token is refused by the API whatever its role.
"""

VIEW = "compliance_cases.view_case"
VIEW_ALERT = "compliance_cases.view_alert"
WORK = "compliance_cases.work_case"
DECIDE = "compliance_cases.decide_alert"
MANAGE = "compliance_cases.manage_case"
REPORT = "compliance_cases.report_case"
VIEW_REPORT = "compliance_cases.view_suspiciousactivityreport"

_REVIEWER = [VIEW, VIEW_ALERT, WORK, DECIDE]

CASES_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [],
    "compliance_reviewer": list(_REVIEWER),
    "compliance_officer": [*_REVIEWER, MANAGE, REPORT, VIEW_REPORT],
    "support_agent": [],
    "finance": [],
    "administrator": [],
    "api_client": [],
}
