"""The tickets admin (pages, the change page's workflow panel, queue filters) and the demo loader."""

from io import StringIO

import pytest
from django.contrib.messages import get_messages

from backoffice.tickets import demo, services
from backoffice.tickets.models import Category, Team, Ticket
from tests.core_banking.ledger.interfaces import sign_in, staff_user

from .conftest import advance, make_ticket

pytestmark = pytest.mark.django_db
ADMIN = "/admin/tickets"


def panel(page: str) -> str:
    start = page.index('id="ticket-workflow"')
    return page[start:page.index("</div>", start)]


def test_the_pages_open(client, ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    services.message_post(ticket_id=ticket.pk, body="A note", visibility="internal_note", actor=people.agent)
    browser = sign_in(client, staff_user(superuser=True))
    for url in (f"{ADMIN}/ticket/", f"{ADMIN}/ticket/{ticket.pk}/change/", f"{ADMIN}/ticket/add/",
                f"{ADMIN}/ticket/?queue=mine", f"{ADMIN}/ticket/?queue=team-{people.support.pk}",
                f"{ADMIN}/ticket/?sla=breached", f"{ADMIN}/ticket/?q={ticket.number}", f"{ADMIN}/team/",
                f"{ADMIN}/team/{people.support.pk}/change/", f"{ADMIN}/team/add/", f"{ADMIN}/category/",
                f"{ADMIN}/category/{category.pk}/change/"):
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_the_change_page_offers_only_what_the_user_may_fire(client, ada, category, people):
    ticket = advance(make_ticket(ada, team=people.support), people.agent, "open")
    url = f"{ADMIN}/ticket/{ticket.pk}/change/"

    page = panel(sign_in(client, people.agent).get(url).content.decode())
    assert "/do/wait_on_customer/" in page and "/do/resolve/" in page and "/do/close/" in page
    assert "/do/open/" not in page and "/do/reopen/" not in page and "/do/assign/" not in page
    assert "/do/claim/" in page and "/do/message/" in page

    client.logout()
    page = panel(sign_in(client, people.other_agent).get(url).content.decode())
    assert "/do/" not in page and "No transition you may fire" in page

    client.logout()
    page = panel(sign_in(client, people.supervisor).get(url).content.decode())
    assert "/do/assign/" in page and "/do/claim/" not in page and "/do/resolve/" in page


def test_a_transition_from_the_change_page_and_a_refusal_as_an_error_message(client, ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    browser = sign_in(client, people.agent)

    response = browser.post(f"{ADMIN}/ticket/{ticket.pk}/do/close/", {"reason": ""})
    assert response.status_code == 302
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        f"{ticket.number}: closing a ticket that was not resolved needs a reason"]
    assert Ticket.objects.get().status == "new"

    browser.post(f"{ADMIN}/ticket/{ticket.pk}/do/close/", {"reason": "duplicate"})
    assert Ticket.objects.get().status == "closed"
    assert browser.get(f"{ADMIN}/ticket/{ticket.pk}/do/close/").status_code == 405


def test_internal_notes_are_hidden_in_the_admin_without_the_permission(client, ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    services.message_post(ticket_id=ticket.pk, body="Secret note", visibility="internal_note", actor=people.agent)
    services.message_post(ticket_id=ticket.pk, body="Public reply", visibility="customer_reply", actor=people.agent)
    page = sign_in(client, staff_user("compliance_reviewer")).get(f"{ADMIN}/ticket/{ticket.pk}/change/")
    assert "Public reply" in page.content.decode() and "Secret note" not in page.content.decode()


def test_the_queue_filter_lists_my_queue(client, ada, category, people):
    mine = make_ticket(ada, team=people.support)
    other = make_ticket(ada, team=people.payments)
    browser = sign_in(client, people.agent)
    listed = browser.get(f"{ADMIN}/ticket/?queue=mine").context["cl"].result_list
    assert [t.pk for t in listed] == [mine.pk]
    assert list(browser.get(f"{ADMIN}/ticket/?queue=team-{people.payments.pk}").context["cl"].result_list) == []
    assert other.pk in [t.pk for t in browser.get(f"{ADMIN}/ticket/").context["cl"].result_list]


def test_a_team_made_in_the_admin_gets_its_permission_group(client, people):
    browser = sign_in(client, staff_user("operations"))
    response = browser.post(f"{ADMIN}/team/add/", {"name": "Cards", "description": "", "members": [people.agent.pk]})
    assert response.status_code == 302
    team = Team.objects.get(name="Cards")
    assert list(team.group.user_set.all()) == [people.agent]


def test_the_add_form_refuses_what_the_service_refuses(client, ada, bram, account, category, people):
    browser = sign_in(client, people.agent)
    response = browser.post(f"{ADMIN}/ticket/add/", {"customer": bram.pk, "account": account.pk,
                                                     "category": category.pk, "priority": "normal",
                                                     "subject": "Wrong account"})
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "is not an account of customer" in response.content.decode()


def test_the_demo_without_customers_creates_no_tickets(db):
    out = StringIO()
    demo.load_demo(stdout=out)
    assert "no tickets were created" in out.getvalue()
    assert not Ticket.objects.exists() and Team.objects.count() == 2 and Category.objects.count() == 4


def test_the_demo_is_idempotent(db, roles):
    from tests import banking

    for n in range(6):
        banking.customer(first_name="Demo", last_name=f"Person{n}", email=f"person{n}@demo.corebank.test")
    staff_user("operations", username="demo_operations")
    staff_user("support_agent", username="demo_support_agent")

    demo.load_demo(stdout=StringIO())
    statuses = sorted(Ticket.objects.values_list("status", flat=True))
    assert statuses == ["closed", "new", "open", "open", "resolved", "waiting_on_customer"]
    assert Ticket.objects.filter(assignee__username="demo_support_agent").count() == 3
    counts = (Ticket.objects.count(), Team.objects.count(), Category.objects.count())

    out = StringIO()
    demo.load_demo(stdout=out)
    assert (Ticket.objects.count(), Team.objects.count(), Category.objects.count()) == counts == (6, 2, 4)
    assert "0 tickets created" in out.getvalue()
