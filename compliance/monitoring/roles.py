"""Transaction monitoring permissions per role, merged into ``backoffice/staff/roles.py``'s
``ROLE_PERMISSIONS``.

* compliance_officer: owns the rules: sees them, their versions and the aggregates, and
  manages them (``manage_monitoringrule``: propose a version, activate / deactivate; every such
  change is a ``monitoring_rule_change`` approved by another compliance officer).
* compliance_reviewer: sees the rules and their versions (to read an alert: which version fired
  and what it says) and the aggregates; changes nothing.
* operations, support_agent, finance, administrator, api_client: nothing. What the bank watches
  for is not shared beyond compliance (tipping-off).
"""

VIEW_RULE = "compliance_monitoring.view_monitoringrule"
VIEW_VERSION = "compliance_monitoring.view_ruleversion"
MANAGE = "compliance_monitoring.manage_monitoringrule"
VIEW_FLOW = "compliance_monitoring.view_monitoredflow"
VIEW_DAY = "compliance_monitoring.view_customerday"

MONITORING_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [],
    "compliance_reviewer": [VIEW_RULE, VIEW_VERSION, VIEW_FLOW, VIEW_DAY],
    "compliance_officer": [VIEW_RULE, VIEW_VERSION, MANAGE, VIEW_FLOW, VIEW_DAY],
    "support_agent": [],
    "finance": [],
    "administrator": [],
    "api_client": [],
}
