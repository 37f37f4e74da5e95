"""Demo approvals for ``manage.py seed_demo``: the default policy of every action type, and one
pending request (freeze the first demo customer's first account), made by ``demo_operations``, so
``demo_compliance_officer`` finds it in their inbox.

Runs after the payments demo, which creates the customers (``@demo.corebank.test``) and their
accounts; with none, or without a ``demo_operations`` login that may initiate approval requests,
it creates only the policies and says why. Idempotent: a request for the same account is never
made twice. Nothing is approved here, so the demo changes no account.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from core_banking.accounts.models import Account

from . import services
from .models import INITIATE, ApprovalRequest

DEMO_EMAIL_DOMAIN = "demo.corebank.test"


def load_demo(*, stdout=None) -> None:
    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    policies = services.policies_ensure()
    maker = get_user_model().objects.filter(username="demo_operations").first()
    account = Account.objects.filter(customer__email__endswith=f"@{DEMO_EMAIL_DOMAIN}",
                                     status=Account.Status.ACTIVE).order_by("id").first()
    if maker is None or not maker.has_perm(INITIATE) or account is None:
        say(f"Approvals demo: {len(policies)} policies; no demo_operations login that may initiate requests "
            "or no active demo account, so no request was made.")
        return
    if ApprovalRequest.objects.filter(action_type="account_freeze", target_key=f"account:{account.pk}").exists():
        say(f"Approvals demo: {len(policies)} policies; the demo request exists already.")
        return
    request = services.request_create(action_type="account_freeze", actor=maker, reason="demo",
                                      payload={"account_id": account.pk,
                                               "reason": "card reported stolen; customer asked to block"})
    say(f"Approvals demo: {len(policies)} policies; request #{request.pk} (freeze {account.iban}) waits for a "
        "compliance officer.")
