"""The world the staff-page tests (issue 9) work in: the role groups, one person per role, a bank
with two customers and their accounts, payments between them and out of the bank, a ticket, a
KYC application in review, a compliance case and an account-freeze request. Everything is made
through the services (nothing that skips the rules)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from backoffice.kyc import services as kyc
from backoffice.tickets import services as tickets
from compliance.cases.services import alert_raise
from core_banking.payments import services as payments
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
COUNTERPARTY = "DE89370400440532013000"


def make_people() -> SimpleNamespace:
    ensure_roles()
    people = SimpleNamespace(
        ops=staff_user("operations", username="ops"),
        ops2=staff_user("operations", username="ops-two"),
        support=staff_user("support_agent", username="support"),
        reviewer=staff_user("compliance_reviewer", username="reviewer"),
        officer=staff_user("compliance_officer", username="officer"),
        finance=staff_user("finance", username="finance"),
        admin=staff_user("administrator", username="admin"),
        nobody=staff_user(None, username="no-role"),
    )
    people.team = tickets.team_create(name="Support", members=[people.support])
    return people


def make_world(people) -> SimpleNamespace:
    bank = banking.setup_bank()
    product = banking.product(bank, code="CUR-EUR", name="Current account EUR")
    ada = banking.customer(first_name="Ada", last_name="Lovelace", email="ada@example.test",
                           phone="+31 20 555 0101", date_of_birth=dt.date(1815, 12, 10))
    bram = banking.customer(first_name="Bram", last_name="de Vries", email="bram@example.test")
    carol = banking.customer(kyc="not_started", first_name="Carol", last_name="Shaw", email="carol@example.test")
    a, b = banking.account(ada, product), banking.account(bram, product)
    banking.fund(bank, a, "5000.00")
    banking.fund(bank, b, "100.00")
    internal, _ = payments.payment_create(kind="internal_transfer", amount="12.50", currency="EUR",
                                          debtor_account_id=a.pk, creditor_account_id=b.pk,
                                          remittance_info="Invoice 42", idempotency_key="w-internal")
    outgoing, _ = payments.payment_create(kind="outgoing", amount="250.00", currency="EUR", debtor_account_id=a.pk,
                                          counterparty_iban=COUNTERPARTY, counterparty_name="Erika Mustermann",
                                          remittance_info="Rent", idempotency_key="w-outgoing")
    tickets.category_create(code="GENERAL", name="General question", slas={
        "low": (480, 7200), "normal": (240, 2880), "high": (60, 480), "urgent": (15, 120)})
    ticket = tickets.ticket_create(customer_id=ada.pk, category_code="GENERAL", subject="Where is my money?",
                                   payment_id=internal.pk, team_id=people.team.pk)
    return SimpleNamespace(bank=bank, product=product, ada=ada, bram=bram, carol=carol, a=a, b=b, internal=internal,
                           outgoing=outgoing, ticket=ticket)


def kyc_in_review(customer, people, *, start=True):
    """A submitted application for ``customer`` with a passport and a proof of address, assigned
    to the reviewer (and, with ``start``, under review)."""
    application = kyc.application_create(customer_id=customer.pk, actor=people.ops)
    for kind in ("passport", "proof_of_address"):
        kyc.document_upload(application_id=application.pk, type=kind, actor=people.ops,
                            upload=SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf"),
                            expiry_date=dt.date.today() + dt.timedelta(days=1000) if kind == "passport" else None)
    kyc.application_submit(application_id=application.pk, actor=people.ops)
    kyc.application_assign(application_id=application.pk, assignee_id=people.reviewer.pk, actor=people.ops)
    if start:
        kyc.application_start_review(application_id=application.pk, actor=people.reviewer)
    application.refresh_from_db()
    return application


def compliance_case(world, people):
    alert, _ = alert_raise(customer_id=world.ada.pk, source="monitoring", rule_code="large_amount",
                           summary="large_amount fired", score=70, dedup_key="w-alert",
                           facts={"amount": "250.00"}, rule_version=1, payment_id=world.outgoing.pk)
    from compliance.cases import services as cases

    cases.case_assign(case_id=alert.case_id, assignee=people.reviewer, actor=people.officer)
    return alert


# --- the end of day, with the framework's own test steps (tests/core_banking/eod/steps.py) --------

EOD_STEPS = ["tests.core_banking.eod.steps.CREDIT", "tests.core_banking.eod.steps.EMPTY"]


def eod_population(settings, accounts: int = 9):
    """The test steps in place of the bank's, and ``accounts`` ledger accounts for them to credit."""
    from core_banking.ledger.models import AccountType
    from core_banking.ledger.services import ledger_account_create
    from tests.core_banking.eod import steps

    settings.CORE_BANKING_EOD_STEPS = EOD_STEPS
    ledger_account_create(code=steps.SOURCE, name="EOD test source", type=AccountType.ASSET, currency="EUR")
    for n in range(accounts):
        ledger_account_create(code=f"{steps.PREFIX}{n:02d}", name=f"EOD test {n}", type=AccountType.LIABILITY,
                              currency="EUR")


def eod_step(run_id: int, chunks: int | None = None) -> list[int]:
    """Advance the run and execute up to ``chunks`` of the chunks it hands out (all by default),
    as the Celery workers would. Returns the ids executed."""
    from core_banking.eod.models import EodChunk
    from core_banking.eod.services import advance, chunk_execute

    advance(run_id)
    pending = list(EodChunk.objects.filter(step__run_id=run_id, status="pending").order_by("id")
                   .values_list("id", flat=True))
    done = pending if chunks is None else pending[:chunks]
    for chunk_id in done:
        chunk_execute(chunk_id, worker="test")
    return done


def eod_finish(run_id: int) -> None:
    from core_banking.eod.models import EodRun

    for _ in range(20):
        eod_step(run_id)
        if EodRun.objects.get(pk=run_id).status != "running":
            return
    raise AssertionError("the end of day did not finish")
