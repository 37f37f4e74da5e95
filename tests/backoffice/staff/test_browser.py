"""End-to-end tests of the staff pages in headless Chromium (issue 9), one per scenario of the
issue, each with screenshots in var/screenshots/:

* a support agent finds a payment by IBAN and amount and opens its story;
* a reviewer approves a KYC application from the queue;
* a maker requests an account freeze and a second user approves it;
* an operations user watches an end-of-day run progress on the dashboard (htmx polling);
* a support agent works a ticket from the queue: claims it, replies, opens and resolves it.

Each signs in at the staff login and lands on the role's page (the admin's index with its panels),
then follows its "Daily work" links.

The pages run in pytest-django's ``live_server``; the data is made through the services in the
test's own thread (committed: these tests are transactional)."""

from __future__ import annotations

import re

import pytest

from backoffice.approvals.models import ApprovalRequest
from core_banking.accounts.models import Account
from core_banking.customers.models import Customer
from core_banking.eod.services import eod_start

from .browser import TIMEOUT_MS, chromium_executable, shot, sign_in
from .pages_world import COUNTERPARTY, eod_finish, eod_population, eod_step, kyc_in_review

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser():
    """Chromium for this module's tests. Module-scoped, with the async-safety switch only for its
    lifetime: Playwright's sync API keeps an event loop in this thread, which Django's ORM (the
    test's own set-up) would otherwise refuse to run beside; no other test module sees either."""
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                                  args=["--no-sandbox", "--disable-dev-shm-usage"])
            yield chromium
            chromium.close()


@pytest.fixture
def expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    return expect


def test_support_finds_a_payment_by_iban_and_amount_and_opens_its_story(live_server, browser, expect, people, world):
    page = sign_in(browser, live_server, people.support)
    shot(page, "00-support-landing")
    page.get_by_role("link", name="Transaction look-up").first.click()
    page.get_by_label("IBAN (ours or the counterparty's)").fill(COUNTERPARTY)
    page.get_by_label("Amount from").fill("250")
    page.get_by_label("Amount to").fill("250")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", name="1 payment found")).to_be_visible()
    shot(page, "01-support-transaction-lookup")
    page.get_by_role("link", name=world.outgoing.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Payment {world.outgoing.reference}")
    expect(page.get_by_role("heading", name="Ledger entries and postings")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Erika Mustermann")
    expect(page.locator("body")).to_contain_text(f"Entry #{world.outgoing.entry_id}")
    shot(page, "02-support-payment-story")
    page.context.close()


def test_a_support_agent_works_a_ticket_from_the_queue(live_server, browser, expect, people, world):
    from backoffice.tickets.models import Ticket

    page = sign_in(browser, live_server, people.support)
    page.get_by_role("link", name="My work queues").first.click()
    expect(page.get_by_role("heading", name=re.compile("My tickets"))).to_be_visible()
    page.get_by_role("link", name=world.ticket.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Ticket {world.ticket.number}")
    expect(page.locator("#ticket-sla")).to_contain_text("First response due")
    shot(page, "13-support-ticket")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status")).to_contain_text("assigned to support")
    page.get_by_label("Message", exact=True).fill("We found your payment; it arrives today.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#ticket-messages")).to_contain_text("We found your payment")
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Resolved")
    expect(page.locator("#ticket-history")).to_contain_text("resolve")
    shot(page, "14-support-ticket-resolved")
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    assert ticket.status == "resolved" and ticket.assignee == people.support and ticket.first_response_at
    page.context.close()


def test_a_reviewer_approves_a_kyc_application_from_the_queue(live_server, browser, expect, people, world):
    application = kyc_in_review(world.carol, people)
    page = sign_in(browser, live_server, people.reviewer)
    page.get_by_role("link", name="My work queues").first.click()
    expect(page.get_by_role("heading", name=re.compile("My KYC reviews"))).to_be_visible()
    shot(page, "03-reviewer-queue")
    page.get_by_role("link", name=f"Application {application.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("In review")
    page.get_by_label("Reason", exact=True).fill("Identity and address verified")
    shot(page, "04-reviewer-kyc-application")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("approve done")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Approved")
    shot(page, "05-reviewer-kyc-approved")
    assert Customer.objects.get(pk=world.carol.pk).kyc_status == "approved"
    page.context.close()


def test_a_maker_requests_a_freeze_and_a_second_user_approves_it(live_server, browser, expect, people, world):
    maker = sign_in(browser, live_server, people.ops)
    maker.get_by_role("link", name="Search everywhere").first.click()
    maker.get_by_label("Search", exact=True).fill("Lovelace")
    maker.get_by_label("Search", exact=True).press("Enter")
    expect(maker.get_by_role("heading", name="Customers")).to_be_visible()
    shot(maker, "06a-maker-search-results")
    maker.get_by_role("link", name=world.ada.number).click()
    expect(maker.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    shot(maker, "06b-maker-customer-360")
    maker.get_by_text("Request an account freeze").click()
    maker.get_by_label("Account to freeze").select_option(str(world.a.pk))
    maker.get_by_label("Reason", exact=True).fill("Card reported stolen; suspicious payments")
    maker.get_by_role("button", name="Request the freeze").click()
    expect(maker.get_by_role("status")).to_contain_text("waits for a second person")
    expect(maker.get_by_role("heading", level=1)).to_contain_text("Pending")
    shot(maker, "07-maker-freeze-requested")
    request = ApprovalRequest.objects.get(action_type="account_freeze")
    assert Account.objects.get(pk=world.a.pk).status == "active"
    maker.context.close()

    checker = sign_in(browser, live_server, people.officer)
    checker.get_by_role("link", name="My work queues").first.click()
    checker.get_by_role("link", name=f"Request {request.pk}").first.click()
    expect(checker.get_by_role("heading", name=re.compile("About"))).to_contain_text("")
    checker.get_by_label("Comment or reason").fill("Confirmed with the customer by phone")
    shot(checker, "08-checker-approval-request")
    checker.get_by_role("button", name="Approve").click()
    expect(checker.get_by_role("heading", level=1)).to_contain_text("Executed")
    shot(checker, "09-checker-freeze-executed")
    assert Account.objects.get(pk=world.a.pk).status == "frozen"
    checker.context.close()


def test_operations_watch_an_end_of_day_run_on_the_dashboard(live_server, browser, expect, people, world, settings):
    eod_population(settings)
    run = eod_start(actor=people.ops)
    page = sign_in(browser, live_server, people.ops)
    page.get_by_role("link", name="Operations dashboard").first.click()
    status = page.locator("#eod-status")
    expect(status).to_have_attribute("data-status", "running")
    # The vendored Chart.js loaded, offline (a deferred script: wait for it, do not race it).
    page.wait_for_function("typeof window.Chart === 'function'", timeout=15000)
    expect(page.locator("#chart-payments")).to_be_visible()
    shot(page, "10-operations-dashboard-eod-running")
    eod_step(run.pk, chunks=1)
    expect(page.locator("#eod-panel")).to_contain_text("1/3")  # htmx polled the panel
    shot(page, "11-operations-dashboard-eod-progress")
    eod_finish(run.pk)
    expect(status).to_have_attribute("data-status", "completed")
    expect(page.locator("#eod-progress")).to_have_attribute("value", "100")
    shot(page, "12-operations-dashboard-eod-completed")
    page.context.close()
