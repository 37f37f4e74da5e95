"""Webhook permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

Operations run the integrations: they set up subscriptions for the bank's API clients, watch the
deliveries and redeliver dead ones (``webhooks.change_delivery``); they and compliance officers
read the outbox (``events.view_event``, from ``core_banking/events/roles.py``). Nobody deletes a
subscription (deactivate it) or a delivery.
"""

WEBHOOKS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": ["webhooks.view_subscription", "webhooks.add_subscription", "webhooks.change_subscription",
                   "webhooks.view_delivery", "webhooks.change_delivery"],
    "compliance_reviewer": [],
    "compliance_officer": ["webhooks.view_subscription", "webhooks.view_delivery"],
    "support_agent": [],
    "finance": [],
    "administrator": ["webhooks.view_subscription", "webhooks.view_delivery"],
    "api_client": [],
}
