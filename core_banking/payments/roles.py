"""The payments permissions per role, merged into ``backoffice/staff/roles.py``'s ``ROLE_PERMISSIONS``.

* operations: pays on customers' behalf and returns payments; keeps the FX rates table (adds
  rates) and the booking accounts.
* compliance_reviewer, compliance_officer: see payments and review the ones held for review.
* support_agent: sees payments.
* finance: sees payments, the FX rates and the booking accounts.
* administrator: nothing.
* api_client: a partner app initiates payments for its customers and shows them the FX rates.
"""

from core_banking.common.roles import (
    ADMINISTRATOR,
    API_CLIENT,
    COMPLIANCE_OFFICER,
    COMPLIANCE_REVIEWER,
    FINANCE,
    OPERATIONS,
    SUPPORT_AGENT,
)

VIEW = "payments.view_payment"
REVIEW = "payments.review_payment"

PAYMENTS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPERATIONS: [
        VIEW,
        "payments.initiate_payment",
        "payments.return_payment",
        "payments.view_fxrate",
        "payments.add_fxrate",
        "payments.view_fxquote",
        "payments.view_bookingaccount",
        "payments.add_bookingaccount",
        "payments.change_bookingaccount",
    ],
    COMPLIANCE_REVIEWER: [VIEW, REVIEW],
    COMPLIANCE_OFFICER: [VIEW, REVIEW],
    SUPPORT_AGENT: [VIEW],
    FINANCE: [VIEW, "payments.view_fxrate", "payments.view_bookingaccount"],
    ADMINISTRATOR: [],
    API_CLIENT: [VIEW, "payments.initiate_payment", "payments.view_fxrate"],
}
