"""Demo KYC applications for ``manage.py seed_demo``: every demo customer whose KYC is pending gets
an application a reviewer can work on (issue 16: the payments demo sets the status, but without an
application nobody could review the customer).

Runs after the payments demo (which creates the customers, one of them pending). The application is
opened and submitted by ``demo_operations`` through the services, so its automatic checks, risk
score and history are real; it then waits for ``demo_compliance_officer`` (or a reviewer it is
assigned to). Idempotent: a customer that has an open application gets no second one.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from core_banking.common.errors import DomainError
from core_banking.customers.models import Customer

from . import services
from .models import ADD, KycApplication

DEMO_EMAIL_DOMAIN = "demo.corebank.test"


def load_demo(*, stdout=None) -> None:
    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    maker = get_user_model().objects.filter(username="demo_operations").first()
    if maker is None or not maker.has_perm(ADD):
        say("KYC demo: no demo_operations login that may open KYC applications; nothing opened.")
        return
    waiting = Customer.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}", kyc_status=Customer.KycStatus.PENDING,
                                      status=Customer.Status.ACTIVE).exclude(
        kyc_applications__status__in=KycApplication.OPEN_STATES).order_by("id")
    opened = []
    for customer in waiting:
        try:
            application = services.application_create(customer_id=customer.pk, actor=maker)
            services.application_submit(application_id=application.pk, actor=maker)
        except DomainError as error:
            say(f"KYC demo: {customer.number}: {error.detail}")
            continue
        opened.append(f"KYC-{application.pk} ({customer.display_name})")
    if opened:
        say(f"KYC demo: submitted for review: {', '.join(opened)}.")
    else:
        say("KYC demo: every demo customer with KYC pending has an open application already.")
