"""The reconciliation permissions per role, to merge into ``backoffice/staff/roles.py``'s
``ROLE_PERMISSIONS`` (as ``core_banking/eod/roles.py``).

* finance: owns reconciliation and safeguarding: sees everything, imports statements, matches and
  unmatches by hand, works breaks and resolves them (write-off; an adjustment goes through
  maker-checker on top), configures external accounts.
* operations: runs the daily import and first-line matching: sees everything, imports, matches
  and unmatches, works breaks (assign, investigate); does not write off or resolve (finance).
* everyone else (compliance, support, administrator, api_client): nothing. A bank-channel client
  that uploads statements gets the ``reconciliation`` scope and the operations role.
"""

VIEW = ["reconciliation.view_externalaccount", "reconciliation.view_statementfile", "reconciliation.view_statement",
        "reconciliation.view_statementline", "reconciliation.view_match", "reconciliation.view_break",
        "reconciliation.view_safeguardingcheck"]
IMPORT = "reconciliation.add_statementfile"
MATCH = "reconciliation.match_manually"
WORK_BREAK = "reconciliation.change_break"
RESOLVE_BREAK = "reconciliation.resolve_break"
CONFIGURE = ["reconciliation.add_externalaccount", "reconciliation.change_externalaccount"]

RECONCILIATION_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [*VIEW, IMPORT, MATCH, WORK_BREAK],
    "compliance_reviewer": [],
    "compliance_officer": [],
    "support_agent": [],
    "finance": [*VIEW, IMPORT, MATCH, WORK_BREAK, RESOLVE_BREAK, *CONFIGURE],
    "administrator": [],
    "api_client": [],
}
