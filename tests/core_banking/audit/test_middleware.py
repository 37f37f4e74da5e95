"""One "http.request" event per state-changing staff or API request, even when it fails."""

import logging

import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.test import RequestFactory

from core_banking.audit import context
from core_banking.audit.middleware import RequestContextMiddleware

pytestmark = pytest.mark.django_db


def test_an_admin_post_records_the_request_and_the_change_under_one_request_id(
    superuser, login_with_second_factor, new_events
):
    client = login_with_second_factor(superuser)

    response = client.post(
        "/admin/auth/group/add/", {"name": "Tellers"}, REMOTE_ADDR="198.51.100.7"
    )

    assert response.status_code == 302, response.content[:500]
    group = Group.objects.get(name="Tellers")
    request_id = response["X-Request-ID"]
    [created] = new_events(action="model.created", object_type="auth.group")
    [request_event] = new_events(action="http.request")
    assert (created.object_id, created.after, created.actor_id, created.request_id) == (
        str(group.pk),
        {"id": group.pk, "name": "Tellers"},
        superuser.pk,
        request_id,
    )
    assert (request_event.actor_id, request_event.actor_repr, request_event.request_id) == (
        superuser.pk,
        "root",
        request_id,
    )
    # Written in the change's own transaction, before the response existed: no status; that it
    # is there says the change committed (a failed request gets its status, see below).
    assert request_event.after == {
        "method": "POST",
        "path": "/admin/auth/group/add/",
        "status": None,
        "view": "admin:auth_group_add",
    }
    assert request_event.id < created.id
    assert (request_event.client_ip, request_event.channel) == ("198.51.100.7", "web")
    assert request_event.object_repr == "POST /admin/auth/group/add/"


def test_a_refused_request_is_recorded_with_its_status(
    staff_user, login_with_second_factor, new_events
):
    client = login_with_second_factor(staff_user)  # staff, but no permission on groups

    response = client.post("/admin/auth/group/add/", {"name": "Tellers"})

    assert response.status_code == 403
    assert not Group.objects.filter(name="Tellers").exists()
    [request_event] = new_events(action="http.request")
    assert (request_event.actor_id, request_event.after["status"]) == (staff_user.pk, 403)


def test_reads_and_anonymous_requests_are_not_recorded(client, superuser, new_events):
    client.get("/admin/")
    client.post("/admin/auth/group/add/", {"name": "Tellers"})  # anonymous: to the login page
    client.force_login(superuser)
    client.get("/admin/auth/group/")

    assert new_events(action="http.request") == []


def _call(middleware_response, method="POST", path="/api/v1/transfers/", user=None):
    from django.contrib.auth.models import AnonymousUser

    request = getattr(RequestFactory(), method.lower())(path, HTTP_X_REQUEST_ID="abc123")
    request.user = user or AnonymousUser()
    return RequestContextMiddleware(middleware_response)(request)


def test_an_actor_set_during_the_view_is_the_actor_of_the_request(django_user_model, new_events):
    # DRF token authentication happens inside the view and reports the user with set_actor.
    api_user = django_user_model.objects.create_user("api:partner", password=None)

    def view(request):
        context.set_actor(api_user)
        return HttpResponse(status=201)

    response = _call(view)

    assert response["X-Request-ID"] == "abc123"
    [request_event] = new_events(action="http.request")
    assert (request_event.actor_id, request_event.actor_repr, request_event.channel) == (
        api_user.pk,
        "api:partner",
        "api",
    )
    assert (request_event.request_id, request_event.after["status"]) == ("abc123", 201)
    assert context.current() == context.RequestContext()  # nothing leaks out of the request


def test_a_view_that_raises_is_still_recorded(superuser, new_events):
    def view(request):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        _call(view, method="DELETE", path="/staff/things/1/", user=superuser)

    [request_event] = new_events(action="http.request")
    assert (request_event.after["method"], request_event.after["status"]) == ("DELETE", 500)


def test_a_failure_to_audit_never_breaks_the_response_and_is_logged(
    superuser, new_events, monkeypatch, caplog
):
    def broken_event(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("core_banking.audit.middleware.http_request_event", broken_event)

    with caplog.at_level(logging.ERROR, logger="core_banking.audit.middleware"):
        response = _call(lambda request: HttpResponse(status=200), user=superuser)

    assert response.status_code == 200
    assert new_events(action="http.request") == []
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "AUDIT EVENT NOT WRITTEN: POST /api/v1/transfers/ status=200 actor=root" in (
        record.getMessage()
    )
    assert "request_id=abc123" in record.getMessage()


def test_paths_outside_the_staff_tools_are_not_recorded(superuser, new_events):
    _call(lambda request: HttpResponse(), path="/healthz", user=superuser)

    assert new_events(action="http.request") == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_keeps_its_request_event_when_the_session_dies_after_the_commit(superuser, caplog):
    """The database session is terminated between the change's commit and the middleware's own
    write: the request's event was written in the change's transaction, so it is there."""
    import psycopg
    from django.db import connection, transaction

    from core_banking.audit.models import AuditEvent
    from core_banking.audit.services import audit_record

    def view(request):
        with transaction.atomic():
            audit_record(action="thing.changed", object_type="test.thing", object_id="1")
        pid = connection.connection.info.backend_pid
        settings = connection.settings_dict
        with psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None,
                             user=settings["USER"], dbname=settings["NAME"], autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", [pid])
        return HttpResponse(status=201)

    with caplog.at_level(logging.ERROR, logger="core_banking.audit.middleware"):
        response = _call(view, user=superuser)
    assert response.status_code == 201
    connection.close()  # the terminated session
    events = list(AuditEvent.objects.filter(request_id="abc123").order_by("id"))
    assert [(e.action, (e.after or {}).get("status")) for e in events] == [
        ("http.request", None), ("thing.changed", None)]


@pytest.mark.django_db(transaction=True)
def test_a_request_whose_change_rolled_back_is_recorded_once_with_its_status(superuser):
    from django.db import transaction

    from core_banking.audit.models import AuditEvent
    from core_banking.audit.services import audit_record

    def view(request):
        try:
            with transaction.atomic():
                audit_record(action="thing.changed", object_type="test.thing", object_id="1")
                raise ValueError("refused")
        except ValueError:
            pass
        with transaction.atomic():  # a second change in its own transaction commits
            audit_record(action="thing.changed", object_type="test.thing", object_id="2")
        return HttpResponse(status=409)

    _call(view, user=superuser)
    events = [(e.action, e.object_id, (e.after or {}).get("status"))
              for e in AuditEvent.objects.filter(request_id="abc123").order_by("id")]
    assert events == [("http.request", "", None), ("thing.changed", "2", None), ("http.request", "", 409)]
