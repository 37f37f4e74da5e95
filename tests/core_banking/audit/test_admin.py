"""The audit trail in the admin: searchable, and read-only even for a superuser."""

import pytest
from django.contrib.auth.models import Group

from core_banking.audit.context import acting
from core_banking.audit.models import AuditEvent
from core_banking.audit.services import audit_record

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/auditevent/"


@pytest.fixture
def events(django_user_model):
    teller = django_user_model.objects.create_user("teller7", password="a-long-enough-password")
    with acting(actor_id=teller.pk, actor_repr="teller7", request_id="req-teller"):
        group = Group.objects.create(name="Night shift")
        reversal = audit_record(
            action="ledger.entry_reversed",
            object_type="ledger.entry",
            object_id="98765",
            object_repr="Entry 98765",
            before={"state": "posted"},
            after={"state": "reversed"},
            changes=["state"],
            reason="duplicate",
        )
    return {"group": group, "reversal": reversal}


def _listed_ids(response):
    return {event.pk for event in response.context["cl"].result_list}


def test_search_by_actor_username(superuser, login_with_second_factor, events):
    client = login_with_second_factor(superuser)

    response = client.get(CHANGELIST, {"q": "teller7"})

    assert response.status_code == 200
    listed = _listed_ids(response)
    assert events["reversal"].pk in listed
    assert all(
        e.actor_repr == "teller7" or "teller7" in e.object_repr
        for e in AuditEvent.objects.filter(pk__in=listed)
    )


def test_search_by_object(superuser, login_with_second_factor, events):
    client = login_with_second_factor(superuser)

    by_id = _listed_ids(client.get(CHANGELIST, {"q": "98765"}))
    by_repr = _listed_ids(client.get(CHANGELIST, {"q": "Night shift"}))
    by_type = _listed_ids(client.get(CHANGELIST, {"q": "ledger.entry"}))

    assert by_id == by_type == {events["reversal"].pk}
    assert by_repr == set(
        AuditEvent.objects.filter(
            object_type="auth.group", object_id=str(events["group"].pk)
        ).values_list("pk", flat=True)
    )


def test_filter_by_actor_and_action(superuser, login_with_second_factor, events):
    client = login_with_second_factor(superuser)
    teller_id = events["reversal"].actor_id

    response = client.get(CHANGELIST, {"actor": teller_id, "action": "ledger.entry_reversed"})

    assert _listed_ids(response) == {events["reversal"].pk}


def test_the_changelist_does_not_query_per_row(
    superuser, login_with_second_factor, events, django_assert_max_num_queries
):
    client = login_with_second_factor(superuser)
    for n in range(30):
        audit_record(action="test.event", object_type="x.y", object_id=n, actor=superuser)

    with django_assert_max_num_queries(20):
        response = client.get(CHANGELIST)

    assert response.status_code == 200


def test_the_detail_page_shows_the_change_read_only(superuser, login_with_second_factor, events):
    client = login_with_second_factor(superuser)
    url = f"{CHANGELIST}{events['reversal'].pk}/change/"

    response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert "&quot;state&quot;: &quot;reversed&quot;" in body
    assert "<pre>" in body
    assert 'name="_save"' not in body
    assert "duplicate" in body


def test_nobody_can_add_change_or_delete_events(superuser, login_with_second_factor, events):
    client = login_with_second_factor(superuser)
    event = events["reversal"]

    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}add/", {"action": "forged"}).status_code == 403
    assert (
        client.post(
            f"{CHANGELIST}{event.pk}/change/", {"action": "forged", "reason": "x"}
        ).status_code
        == 403
    )
    assert client.get(f"{CHANGELIST}{event.pk}/delete/").status_code == 403
    assert client.post(f"{CHANGELIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    changelist = client.get(CHANGELIST)
    assert "delete_selected" not in changelist.content.decode()
    bulk = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [event.pk]})
    assert bulk.status_code in (200, 302)

    event.refresh_from_db()
    assert (event.action, event.reason) == ("ledger.entry_reversed", "duplicate")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_only_users_with_the_view_permission_see_the_trail(
    staff_user, auditor, login_with_second_factor, events
):
    client = login_with_second_factor(staff_user)
    assert client.get(CHANGELIST).status_code == 403
    index = client.get("/admin/")
    assert "audit" not in {app["app_label"] for app in index.context["app_list"]}

    client = login_with_second_factor(auditor)
    index = client.get("/admin/")
    assert "audit" in {app["app_label"] for app in index.context["app_list"]}
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(f"{CHANGELIST}{events['reversal'].pk}/change/").status_code == 200
    assert client.get(f"{CHANGELIST}add/").status_code == 403
