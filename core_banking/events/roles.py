"""Who reads the event feed, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

``events.view_event``: the feed ``GET /api/v1/events/`` (and, in the admin, the outbox). API
clients read it (a partner sees only events about its own customers, accounts and payments;
client isolation filters by each event's audience); operations and finance watch the bank's
flow; compliance officers investigate. Reviewers, support agents and administrators work from
their own pages.
"""

VIEW = "events.view_event"

EVENTS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [VIEW],
    "compliance_reviewer": [],
    "compliance_officer": [VIEW],
    "support_agent": [],
    "finance": [VIEW],
    "administrator": [],
    "api_client": [VIEW],
}
